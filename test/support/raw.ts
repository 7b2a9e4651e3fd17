/**
 * A raw Engine.IO v4 / Socket.IO v5 client over `ws`, for sending what the official client
 * never would. It connects to `ws://127.0.0.1:PORT/socket.io/?EIO=4&transport=websocket`,
 * records every frame, answers pings (unless told not to) and exposes the close.
 */
import WebSocket from "ws";
import { onCleanup } from "./harness.ts";

export type Frame = string | Buffer;

/** The Engine.IO OPEN packet payload. */
export interface OpenPayload {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

export interface RawOptions {
  /** Answer server pings ("2") with pongs ("3"). Default true. */
  autoPong?: boolean;
  /** Extra query string parameters. */
  query?: Record<string, string>;
  /** Path (default "/socket.io/"). */
  path?: string;
  /** Appended to the query string as is (e.g. a repeated key, which `query` cannot express). */
  rawQuery?: string;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export class RawClient {
  readonly ws: WebSocket;
  /** Every frame received, in order. */
  readonly frames: Frame[] = [];
  /** Resolves when the WebSocket is closed (by either side). */
  readonly closed: Promise<CloseInfo>;
  autoPong: boolean;
  private claimed = new Set<number>();
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private isClosed = false;

  private constructor(url: string, opts: RawOptions) {
    this.autoPong = opts.autoPong ?? true;
    this.ws = new WebSocket(url);
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code: number, reason: Buffer) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
      });
    });
    // Errors (e.g. the server dropping the TCP connection) surface as a close.
    this.ws.on("error", () => {});
    this.ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      const frame: Frame = isBinary ? toBuffer(data) : toBuffer(data).toString("utf8");
      if (this.autoPong && frame === "2") this.send("3");
      const idx = this.frames.length;
      this.frames.push(frame);
      const w = this.waiters.find((x) => x.pred(frame));
      if (w) {
        this.claimed.add(idx);
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(frame);
      }
    });
  }

  /** Opens the WebSocket and awaits the Engine.IO OPEN packet. */
  static async open(port: number, opts: RawOptions = {}): Promise<{ raw: RawClient; open: OpenPayload }> {
    const qs = new URLSearchParams({ EIO: "4", transport: "websocket", ...opts.query });
    const extra = opts.rawQuery === undefined ? "" : `&${opts.rawQuery}`;
    const raw = new RawClient(`ws://127.0.0.1:${port}${opts.path ?? "/socket.io/"}?${qs.toString()}${extra}`, opts);
    onCleanup(() => raw.terminate());
    const first = await raw.next((f) => typeof f === "string" && f.startsWith("0"));
    const open = JSON.parse((first as string).slice(1)) as OpenPayload;
    return { raw, open };
  }

  /** Resolves with the first not-yet-claimed frame (received or future) matching `pred`. */
  next(pred: (f: Frame) => boolean = () => true): Promise<Frame> {
    const idx = this.frames.findIndex((f, i) => !this.claimed.has(i) && pred(f));
    if (idx >= 0) {
      this.claimed.add(idx);
      return Promise.resolve(this.frames[idx] as Frame);
    }
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Resolves with the first text frame starting with `prefix`. */
  nextText(prefix: string): Promise<string> {
    return this.next((f) => typeof f === "string" && f.startsWith(prefix)) as Promise<string>;
  }

  /** Text frames received so far. */
  texts(): string[] {
    return this.frames.filter((f): f is string => typeof f === "string");
  }

  send(frame: string | Buffer): void {
    this.ws.send(frame, { binary: typeof frame !== "string" });
  }

  /**
   * Sends the Socket.IO CONNECT for `nsp` (with optional auth) and awaits the server's answer;
   * returns the socket id from `40{"sid":...}` (throws on CONNECT_ERROR).
   */
  async connectNsp(nsp = "/", auth?: Record<string, unknown>): Promise<string> {
    const prefix = nsp === "/" ? "" : `${nsp},`;
    this.send(`40${prefix}${auth ? JSON.stringify(auth) : ""}`);
    const answer = await this.next(
      (f) => typeof f === "string" && (f.startsWith(`40${prefix}`) || f.startsWith(`44${prefix}`)),
    );
    const text = answer as string;
    if (text.startsWith("44")) throw new Error(`CONNECT_ERROR: ${text}`);
    const body = JSON.parse(text.slice(2 + prefix.length)) as { sid: string };
    return body.sid;
  }

  get isOpen(): boolean {
    return !this.isClosed && this.ws.readyState === WebSocket.OPEN;
  }

  terminate(): void {
    if (!this.isClosed) this.ws.terminate();
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
