/**
 * The HTTP long-polling transport: the client GETs to receive and POSTs to send.
 *
 * [EIO4:polling-payload] Both directions carry a payload: packets encoded as text and joined by
 * the record separator `\x1e`, a binary message as `b` + base64 (engine.io-parser's
 * encodePayload/decodePayload). A GET is answered at once when packets are waiting, otherwise
 * held (the long poll) until the session has something to send; the heartbeat's ping bounds the
 * wait to pingInterval.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { decodePayload } from "engine.io-parser";
import { abortRequest, EngineErrorCode, TransportFailure } from "./errors.ts";
import type { TransportFailureCode } from "./errors.ts";
import { compress, pickCoding } from "./http-compression.ts";
import { sizeOf } from "./outbox.ts";
import { encodePollingPayload } from "./polling-payload.ts";
import type { ContentCoding } from "./http-compression.ts";
import { fromParser, NOOP, type EnginePacket, type Transport, type TransportSink } from "./transport.ts";

/** Limits and settings of a polling transport, from the engine's options. */
export interface PollingSettings {
  /** Largest POST body accepted, in bytes (maxHttpBufferSize). */
  maxHttpBufferSize: number;
  /** Smallest GET payload compressed, in bytes, or null for no compression. */
  compressionThreshold: number | null;
  /**
   * Milliseconds a server-closed transport waits for the client's next GET to deliver the last
   * packets and the close packet. A live client re-polls at once, so this is a bound, not a delay.
   */
  lingerTimeout: number;
}

const CLOSE: EnginePacket = Object.freeze({ type: "close" });

/**
 * [EIO4:polling-batch] The most one polling response carries: 1 MiB, weighed as the session's
 * buffer weighs packets (UTF-16 length of text, bytes of binary); a single larger packet goes
 * alone. What the session hands over beyond it waits here, in order, for the next GETs (the
 * session queues anything newer behind it, bounded by maxBufferedBytes, as a WebSocket's socket
 * buffer holds a burst). Building a response is synchronous, so without a cap a burst became one
 * giant payload built in a single tick (measured: 30 ms per polling client for a 20 MB burst with
 * encodePayload + Buffer.from, and several copies of it in memory), for every polling member of
 * the room in the same tick, stalling every other client's heartbeat. engine.io-client splits
 * its POSTs at maxPayload the same way.
 */
export const POLL_BATCH_BYTES = 1024 * 1024;
/** Fatal: a body that is not UTF-8 is refused rather than silently repaired with U+FFFD. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const BINARY_CONTENT_TYPE = /^application\/octet-stream/i;

/**
 * Engine.IO transport over HTTP long-polling. The engine hands it every request carrying its
 * sid (and the handshake GET) through {@link PollingTransport.handle}.
 *
 * @example
 * ```ts
 * const transport = new PollingTransport({ maxHttpBufferSize: 1e6, compressionThreshold: 1024, lingerTimeout: 20_000 });
 * transport.handle(req, res); // the handshake GET becomes the first pending poll
 * ```
 */
export class PollingTransport implements Transport {
  /** Always `"polling"`. */
  readonly name = "polling" as const;
  /** Who hears this transport (its session; the engine while it lingers). */
  sink: TransportSink | null = null;

  private readonly settings: PollingSettings;
  /** The pending GET's response; at most one (a second concurrent GET closes the session). */
  private poll: ServerResponse | null = null;
  /** Content coding the pending GET accepts. */
  private pollCoding: ContentCoding | null = null;
  /** The POST whose body is being read; at most one. */
  private dataReq: IncomingMessage | null = null;
  /** Packets waiting for the next GET (handed over while none was pending). */
  private queue: EnginePacket[] = [];
  /** "lingering": closed by the server, waiting for one last GET to say so. */
  private state: "open" | "lingering" | "closed" = "open";
  private lingerTimer: NodeJS.Timeout | undefined = undefined;

  /** @param settings - see {@link PollingSettings}. */
  constructor(settings: PollingSettings) {
    this.settings = settings;
    this.onPollWritten = this.onPollWritten.bind(this);
  }

  /** True when a GET is pending, so a send is written at once. */
  get writable(): boolean {
    return this.poll !== null && this.state === "open";
  }

  /** True while a server-closed transport waits for its last GET (see {@link PollingSettings.lingerTimeout}). */
  get lingering(): boolean {
    return this.state === "lingering";
  }

  /**
   * Takes a request of this transport's session: a GET (poll) or a POST (data).
   *
   * @param req - the request (already checked by the engine: path, EIO, transport, method).
   * @param res - its response.
   */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.state === "closed") abortRequest(res, EngineErrorCode.UNKNOWN_SID);
    else if (req.method === "GET") this.onPoll(req, res);
    else if (req.method === "POST") this.onData(req, res);
    else abortRequest(res, EngineErrorCode.BAD_REQUEST);
  }

  /**
   * Writes the packets into the pending GET, or keeps them for the next one.
   *
   * @param packets - packets to write, in order.
   */
  send(packets: readonly EnginePacket[]): void {
    for (const packet of packets) this.queue.push(packet);
    if (this.poll !== null && this.state === "open") this.answerPoll(this.takeBatch());
  }

  /**
   * Closes the transport.
   *
   * Without `final` (the session failed or the client left) a pending GET gets the close packet
   * `1` and the transport is closed at once: later requests for the sid are refused.
   *
   * With `final` (a server-initiated close) the client must learn it was closed, after reading
   * the final packets: they go out first (in the pending GET, or the next one), and the close
   * packet alone in the response after. Alone, because clients act on `1` as soon as they decode
   * it, while Socket.IO clients handle the packets before it a tick later: in one payload a
   * DISCONNECT would lose the race to the close. Meanwhile the transport lingers, bounded by
   * lingerTimeout per step.
   *
   * @param final - last packets of a server-initiated close.
   */
  close(final?: readonly EnginePacket[]): void {
    if (this.state !== "open") return;
    const packets = this.takeQueue();
    if (final === undefined) {
      if (this.poll !== null) {
        packets.push(CLOSE);
        this.answerPoll(packets);
      }
      this.finish();
      return;
    }
    for (const packet of final) packets.push(packet);
    if (this.poll !== null && packets.length === 0) {
      this.answerPoll([CLOSE]);
      this.finish();
      return;
    }
    this.queue = packets;
    if (this.poll !== null) this.answerPoll(this.takeBatch());
    this.state = "lingering";
    this.lingerTimer = setTimeout(PollingTransport.onLingerTimeout, this.settings.lingerTimeout, this);
  }

  /** [EIO4:upgrade] The session moved to WebSocket: a GET still pending is released with a noop. */
  discard(): void {
    if (this.state !== "open") return;
    if (this.poll !== null) this.answerPoll([NOOP]);
    this.finish();
  }

  /** Ends the transport at once, lingering or not (the engine is shutting down). */
  destroy(): void {
    if (this.state === "closed") return;
    this.queue = [];
    this.finish();
  }

  /** A GET reached a lingering transport: the final packets if still queued, else the close packet. */
  private lingerStep(): void {
    clearTimeout(this.lingerTimer);
    if (this.queue.length === 0) {
      this.answerPoll([CLOSE]);
      this.finish();
      return;
    }
    this.answerPoll(this.takeBatch());
    this.lingerTimer = setTimeout(PollingTransport.onLingerTimeout, this.settings.lingerTimeout, this);
  }

  private static onLingerTimeout(transport: PollingTransport): void {
    transport.finish();
  }

  private finish(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.queue = [];
    this.sink?.onTransportClose();
  }

  private takeQueue(): EnginePacket[] {
    const packets = this.queue;
    this.queue = [];
    return packets;
  }

  /** The oldest queued packets up to {@link POLL_BATCH_BYTES} (at least one); the rest stays. */
  private takeBatch(): EnginePacket[] {
    let count = 0;
    let weight = 0;
    while (count < this.queue.length) {
      const next = sizeOf((this.queue[count] as EnginePacket).data);
      if (count > 0 && weight + next > POLL_BATCH_BYTES) break;
      weight += next;
      count++;
    }
    return count === this.queue.length ? this.takeQueue() : this.queue.splice(0, count);
  }

  private onPoll(req: IncomingMessage, res: ServerResponse): void {
    if (this.poll !== null) {
      // [EIO4:polling-overlap] Two GETs at once means two clients share a sid, or a broken one:
      // the newcomer gets 400 and the session closes (the first GET gets the close packet).
      abortRequest(res, EngineErrorCode.BAD_REQUEST);
      this.fail("ROOMCAST_ERR_POLL_OVERLAP", "a second GET arrived while one was pending");
      return;
    }
    this.poll = res;
    this.pollCoding = this.settings.compressionThreshold === null ? null : pickCoding(req.headers["accept-encoding"]);
    res.once("close", () => {
      // 'close' also follows a normal answer, by which time `poll` is no longer this response.
      if (this.poll === res) {
        this.poll = null;
        this.fail("ROOMCAST_ERR_REQUEST_ABORTED", "the pending GET lost its connection");
      }
    });
    if (this.state === "lingering") {
      this.lingerStep();
    } else if (this.queue.length > 0) {
      this.answerPoll(this.takeBatch());
    } else {
      this.sink?.onTransportDrain();
    }
  }

  private onData(req: IncomingMessage, res: ServerResponse): void {
    if (this.dataReq !== null) {
      abortRequest(res, EngineErrorCode.BAD_REQUEST);
      this.fail("ROOMCAST_ERR_POST_OVERLAP", "a second POST arrived while one was being read");
      return;
    }
    const type = req.headers["content-type"];
    if (type !== undefined && BINARY_CONTENT_TYPE.test(type)) {
      // [EIO4:polling-payload] Engine.IO v4 polling payloads are text (binary travels as base64).
      abortRequest(res, EngineErrorCode.BAD_REQUEST);
      this.fail("ROOMCAST_ERR_BINARY_PAYLOAD", `a POST with content type ${type}; polling payloads are text`);
      return;
    }
    const max = this.settings.maxHttpBufferSize;
    if (Number(req.headers["content-length"]) > max) {
      this.tooLarge(res);
      return;
    }
    this.dataReq = req;
    const chunks: Buffer[] = [];
    let size = 0;
    const onChunk = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      // Limit checked before keeping the bytes: memory stays bounded whatever the client sends.
      this.dataReq = null;
      req.off("data", onChunk);
      req.off("end", onEnd);
      this.tooLarge(res);
    };
    const onEnd = (): void => {
      this.dataReq = null;
      this.onBody(Buffer.concat(chunks, size), res);
    };
    req.on("data", onChunk);
    req.once("end", onEnd);
    req.once("close", () => {
      if (this.dataReq === req) {
        this.dataReq = null;
        this.fail("ROOMCAST_ERR_REQUEST_ABORTED", "a POST lost its connection before its body was read");
      }
    });
  }

  /** [EIO4:max-payload] 413, and the session closes; the rest of the body is not read. */
  private tooLarge(res: ServerResponse): void {
    abortRequest(res, EngineErrorCode.BAD_REQUEST, 413, true);
    this.fail("ROOMCAST_ERR_PAYLOAD_TOO_LARGE", `a POST body above maxHttpBufferSize (${this.settings.maxHttpBufferSize} bytes)`);
  }

  private onBody(body: Buffer, res: ServerResponse): void {
    if (this.state !== "open") {
      // A POST that raced a server close: accepted and dropped, so the client reads the close
      // from its GET instead of failing on this POST.
      if (this.state === "lingering") writeOk(res);
      else abortRequest(res, EngineErrorCode.UNKNOWN_SID);
      return;
    }
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch {
      this.parseError(res, "the POST body is not valid UTF-8");
      return;
    }
    const decoded = decodePayload(text);
    // [EIO4:parse-error] All or nothing: a payload with one undecodable packet delivers none.
    if (decoded.some((p) => p.type === "error")) {
      this.parseError(res, "the POST body is not an Engine.IO payload");
      return;
    }
    writeOk(res);
    for (const parsed of decoded) {
      // A packet listener may have closed the session (and this transport).
      if (this.state !== "open") return;
      if (parsed.type === "close" && this.poll !== null) {
        // [EIO4:close] The client is leaving: its pending GET is released with a noop (not a
        // close packet: the client asked, it needs no telling), then the session closes.
        this.answerPoll([NOOP]);
      }
      this.sink?.onTransportPacket(fromParser(parsed));
    }
  }

  private parseError(res: ServerResponse, why: string): void {
    abortRequest(res, EngineErrorCode.BAD_REQUEST);
    // An "error" packet is how a transport reports undecodable input; the session closes with
    // "parse error" and this transport with it.
    this.sink?.onTransportPacket({ type: "error", data: why });
  }

  private fail(code: TransportFailureCode, message: string): void {
    if (this.state === "closed") return;
    // Lingering or detached, nobody hears it: the close is what matters.
    this.sink?.onTransportError(new TransportFailure(code, message));
    this.close();
  }

  /** Answers the pending GET with a payload; the transport is not writable until the next GET. */
  private answerPoll(packets: EnginePacket[]): void {
    const res = this.poll;
    if (res === null) return;
    this.poll = null;
    const body = encodePollingPayload(packets);
    const threshold = this.settings.compressionThreshold;
    const coding = this.pollCoding;
    if (coding === null || threshold === null || body.length < threshold) {
      this.writePayload(res, body, null);
      return;
    }
    compress(body, coding, (err, out) => {
      if (err === null) this.writePayload(res, out, coding);
      else this.writePayload(res, body, null);
    });
  }

  private writePayload(res: ServerResponse, body: Buffer, coding: ContentCoding | null): void {
    // no-store, as engine.io: a cached poll would replay packets.
    const headers: OutgoingHttpHeaders = {
      "Content-Type": "text/plain; charset=UTF-8",
      "Content-Length": body.length,
      "Cache-Control": "no-store",
    };
    if (coding !== null) headers["Content-Encoding"] = coding;
    if (this.settings.compressionThreshold !== null) {
      // The answer depends on Accept-Encoding; merged with the Vary CORS may have set.
      const vary = res.getHeader("Vary");
      headers["Vary"] = vary === undefined ? "Accept-Encoding" : `${String(vary)}, Accept-Encoding`;
    }
    res.once("finish", this.onPollWritten);
    res.writeHead(200, headers);
    res.end(body);
  }

  private onPollWritten(): void {
    // The packets are out: their send callbacks are due.
    if (this.state === "open") this.sink?.onTransportDrain();
  }
}

function writeOk(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "text/html", "Content-Length": 2 });
  res.end("ok");
}
