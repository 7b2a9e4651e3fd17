/**
 * The two ways a load-test client reaches the server, behind one small interface: a raw `ws`
 * WebSocket, or HTTP long-polling over a shared keep-alive agent. Both hand the client whole
 * Engine.IO packets as text and count the bytes each way; neither knows about Socket.IO.
 */
import http, { type Agent } from "node:http";
import https from "node:https";
import WebSocket, { type RawData } from "ws";

/** Byte and frame counts shared by every client of a run. */
export interface WireCounters {
  bytesIn: number;
  bytesOut: number;
}

/** What a transport reports to its client. */
export interface TransportSink {
  /** One Engine.IO packet, as text (binary packets arrive as `b…`, never decoded). */
  onPacket(packet: string): void;
  /** The transport is gone (error, refusal or close by the server); `error` says why. */
  onClose(error: Error | undefined): void;
}

/** One client's connection, WebSocket or long-polling. */
export interface Transport {
  /** Sends one Engine.IO packet. */
  send(packet: string): void;
  /**
   * Closes politely, then for good after `graceMs`; resolves once nothing of it is open, with
   * true when the server took part in the close in time, false when it had to be cut (or was
   * already closed).
   */
  close(graceMs: number): Promise<boolean>;
}

/** Where and how to connect: the Engine.IO URL without its query, e.g. `http://h:3000/socket.io/`. */
export interface TransportTarget {
  engineUrl: URL;
  counters: WireCounters;
  /** The agent polling requests share (keep-alive); unused by WebSocket. */
  agent: Agent;
}

function toText(data: RawData): { text: string; bytes: number } {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return { text: buf.toString("utf8"), bytes: buf.length };
}

/** Opens a WebSocket transport [EIO4:websocket-framing]: one Engine.IO packet per frame. */
export function openWebSocket(target: TransportTarget, sink: TransportSink): Transport {
  const url = new URL(target.engineUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("EIO", "4");
  url.searchParams.set("transport", "websocket");
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  let error: Error | undefined;
  const closed = new Promise<void>((done) => {
    ws.once("close", () => {
      sink.onClose(error);
      done();
    });
  });
  // ws emits `error` (refused, HTTP status instead of 101, reset…) and then `close`.
  ws.on("error", (err: Error) => (error ??= err));
  ws.on("message", (data: RawData, isBinary: boolean) => {
    const { text, bytes } = toText(data);
    target.counters.bytesIn += bytes;
    sink.onPacket(isBinary ? "b" : text);
  });
  return {
    send(packet) {
      if (ws.readyState !== WebSocket.OPEN) return;
      target.counters.bytesOut += Buffer.byteLength(packet);
      ws.send(packet);
    },
    async close(graceMs) {
      if (ws.readyState === WebSocket.CLOSED) return false;
      // A close handshake, so the server sees a normal "transport close"; cut if it stalls.
      const polite = ws.readyState === WebSocket.OPEN;
      ws.close(1000);
      let cut = false;
      const timer = setTimeout(() => {
        cut = true;
        ws.terminate();
      }, graceMs);
      await closed;
      clearTimeout(timer);
      return polite && !cut;
    },
  };
}

const SEPARATOR = "\x1e";

/**
 * Opens an HTTP long-polling transport [EIO4:polling-handshake] [EIO4:polling-payload]: a
 * handshake GET, then always exactly one waiting GET and at most one POST at a time
 * [EIO4:polling-overlap]; packets queued while a POST is in flight go out together in the next.
 */
export function openPolling(target: TransportTarget, sink: TransportSink): Transport {
  const lib = target.engineUrl.protocol === "https:" ? https : http;
  const base = new URL(target.engineUrl);
  base.searchParams.set("EIO", "4");
  base.searchParams.set("transport", "polling");
  let sid: string | undefined;
  let done = false;
  let posting = false;
  let queue: string[] = [];
  let requestTimeoutMs = 60_000;
  const inFlight = new Set<http.ClientRequest>();
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));

  const finish = (error: Error | undefined): void => {
    if (done) return;
    done = true;
    for (const req of inFlight) req.destroy();
    inFlight.clear();
    sink.onClose(error);
    resolveClosed();
  };

  const request = (method: "GET" | "POST", body: string | undefined, onBody: (text: string) => void): void => {
    const url = new URL(base);
    if (sid !== undefined) url.searchParams.set("sid", sid);
    const headers: http.OutgoingHttpHeaders = body === undefined ? {} : { "content-type": "text/plain;charset=UTF-8", "content-length": Buffer.byteLength(body) };
    const req = lib.request(url, { method, agent: target.agent, headers, timeout: requestTimeoutMs });
    inFlight.add(req);
    req.on("timeout", () => req.destroy(new Error(`${method} got no answer within ${requestTimeoutMs} ms`)));
    req.on("error", (err) => {
      inFlight.delete(req);
      finish(err);
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (err) => finish(err));
      res.on("end", () => {
        inFlight.delete(req);
        const raw = Buffer.concat(chunks);
        target.counters.bytesIn += raw.length;
        if (done) return;
        // [EIO4:http-errors]: a session the server does not know (or closed) answers 400.
        if (res.statusCode !== 200) return finish(new Error(`Unexpected server response: ${res.statusCode ?? "?"}`));
        onBody(raw.toString("utf8"));
      });
    });
    if (body !== undefined) target.counters.bytesOut += Buffer.byteLength(body);
    req.end(body);
  };

  const deliver = (text: string): void => {
    for (const packet of text.split(SEPARATOR)) {
      if (done) return;
      if (packet === "1") return finish(undefined); // the server closed the session [EIO4:close]
      sink.onPacket(packet);
    }
  };

  const poll = (): void => {
    if (done) return;
    request("GET", undefined, (text) => {
      deliver(text);
      poll();
    });
  };

  const flush = (): void => {
    if (done || posting || queue.length === 0 || sid === undefined) return;
    posting = true;
    const body = queue.join(SEPARATOR);
    queue = [];
    request("POST", body, () => {
      posting = false;
      flush();
    });
  };

  request("GET", undefined, (text) => {
    const open = text.split(SEPARATOR)[0] ?? "";
    try {
      const payload = JSON.parse(open.slice(1)) as { sid?: unknown; pingInterval?: unknown; pingTimeout?: unknown };
      if (open[0] !== "0" || typeof payload.sid !== "string") throw new Error();
      sid = payload.sid;
      // A waiting GET is answered at least every pingInterval (a ping); allow for the timeout too.
      if (typeof payload.pingInterval === "number" && typeof payload.pingTimeout === "number") {
        requestTimeoutMs = payload.pingInterval + payload.pingTimeout + 5_000;
      }
    } catch {
      return finish(new Error(`expected an Engine.IO open packet, got ${open.slice(0, 80)}`));
    }
    deliver(text);
    poll();
    flush();
  });

  return {
    send(packet) {
      if (done) return;
      queue.push(packet);
      flush();
    },
    async close(graceMs) {
      if (done) return false;
      let polite = sid !== undefined;
      const timer = setTimeout(() => {
        polite = false;
        finish(undefined);
      }, graceMs);
      if (sid === undefined) finish(undefined);
      else {
        // The close packet [EIO4:close]: the server ends the session and answers the waiting GET.
        queue.push("1");
        posting = false;
        const body = queue.join(SEPARATOR);
        queue = [];
        request("POST", body, () => finish(undefined));
      }
      await closed;
      clearTimeout(timer);
      return polite;
    },
  };
}
