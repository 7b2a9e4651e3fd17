/**
 * HTTP as an attacker sends it: well-formed requests through `http.request`, and raw bytes over
 * a `net.Socket` (malformed requests, lying lengths, upgrade heads) with trickled writes, resets
 * and half-closes. Every wait is bounded; a wait that runs out is reported, never thrown.
 */
import http from "node:http";
import net from "node:net";
import { pause } from "../deadline.ts";

/** What became of one request. */
export type HttpOutcome =
  | { kind: "response"; status: number; body: Buffer }
  | { kind: "closed"; how: string }
  | { kind: "hang" };

/** A well-formed request. */
export interface PlainRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Sends one request on a fresh connection and awaits its whole answer (at most `ms`). */
export function httpRequest(port: number, init: PlainRequest, ms: number): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: HttpOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    let req: http.ClientRequest;
    try {
      req = http.request({ host: "127.0.0.1", port, path: init.path, method: init.method, headers: init.headers, agent: false });
    } catch (err) {
      // Node's own client refused to send it (an invalid header, say): nothing reached the server.
      resolve({ kind: "closed", how: `not sent: ${(err as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy();
      finish({ kind: "hang" });
    }, ms);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => finish({ kind: "response", status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", (err: Error) => finish({ kind: "closed", how: `response: ${err.message}` }));
      res.on("aborted", () => finish({ kind: "closed", how: "response aborted" }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => finish({ kind: "closed", how: err.code ?? err.message }));
    req.end(init.body === undefined ? undefined : Buffer.from(init.body));
  });
}

/** How raw bytes are written and what the client does once they are. */
export interface RawPlan {
  /** The bytes, cut into chunks written one after another. */
  chunks: Uint8Array[];
  /** Pause between two chunks (a trickled write). */
  chunkDelayMs: number;
  /**
   * After the last chunk: `reset` sends an RST after `resetAfterMs`; `end` half-closes and
   * awaits the server's close; `wait` awaits the server's close (or, with `untilHead`, a
   * complete response head).
   */
  after: "reset" | "end" | "wait";
  resetAfterMs?: number;
  untilHead?: boolean;
}

/** What the raw exchange saw. */
export interface RawOutcome {
  /** Every byte the server sent. */
  data: Buffer;
  /** The server closed (FIN or reset) before the bound. */
  serverClosed: boolean;
  /** The bound ran out first (only for `end` and `wait`). */
  timedOut: boolean;
  /** The open client socket, when `wait` stopped at a response head (the caller goes on with it). */
  socket?: net.Socket;
}

/** Plays `plan` on a fresh TCP connection to the server. */
export async function rawExchange(port: number, plan: RawPlan, ms: number): Promise<RawOutcome> {
  const socket = net.connect(port, "127.0.0.1");
  const received: Buffer[] = [];
  let serverClosed = false;
  let wake: (() => void) | undefined;
  socket.on("data", (c: Buffer) => {
    received.push(c);
    wake?.();
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    serverClosed = true;
    wake?.();
  });
  socket.on("end", () => {
    serverClosed = true;
    wake?.();
  });
  await new Promise<void>((resolve) => {
    socket.once("connect", () => resolve());
    socket.once("close", () => resolve());
  });
  for (let i = 0; i < plan.chunks.length && !socket.destroyed; i++) {
    if (i > 0 && plan.chunkDelayMs > 0) await pause(plan.chunkDelayMs);
    if (!socket.destroyed) socket.write(plan.chunks[i] as Uint8Array);
  }
  const data = (): Buffer => Buffer.concat(received);
  if (plan.after === "reset") {
    if (plan.resetAfterMs) await pause(plan.resetAfterMs);
    const closedBefore = serverClosed;
    if (!socket.destroyed) socket.resetAndDestroy();
    return { data: data(), serverClosed: closedBefore, timedOut: false };
  }
  if (plan.after === "end" && !socket.destroyed) socket.end();
  const settled = (): boolean => serverClosed || (plan.untilHead === true && headOf(data()) !== undefined);
  const deadline = Date.now() + ms;
  while (!settled() && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadline - Date.now());
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }
  const timedOut = !settled();
  if (serverClosed || timedOut) {
    socket.destroy();
    return { data: data(), serverClosed, timedOut };
  }
  return { data: data(), serverClosed, timedOut, socket };
}

/** The status of a complete HTTP response head in `data`, or undefined while incomplete. */
export function headOf(data: Buffer): { status: number; headEnd: number } | undefined {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(data.subarray(0, Math.min(end, 64)).toString("latin1"));
  return { status: m ? Number(m[1]) : 0, headEnd: end + 4 };
}

/** The sid of an Engine.IO OPEN packet anywhere in a response (a handshake that succeeded). */
export function openedSid(data: Buffer | string): string | undefined {
  const text = typeof data === "string" ? data : data.toString("utf8");
  return /0\{"sid":"([^"]+)"/.exec(text)?.[1];
}
