/**
 * One load-generator client: a raw `ws` WebSocket speaking Engine.IO v4 / Socket.IO v5 by
 * hand (socket.io-client costs too much CPU to generate load on 2 cores).
 *
 * Handshake: read the Engine.IO open packet `0{…}` [EIO4:open], send `40` and await
 * `40{"sid":…}` [SIO5:connect], then `420["join",rooms,role]` and await the ack `430[]`
 * [SIO5:ack]. Every ping `2` is answered with `3` [EIO4:heartbeat]. Broadcast frames
 * `42["m",seq,stamp,"hello"]` are parsed from the bytes without decoding the whole frame.
 */
import WebSocket, { type RawData } from "ws";
import type { ClientPlan } from "./scenarios.ts";

/** What the connection reports to the load generator's tracker. */
export interface ConnSink {
  /** A broadcast frame with sequence number `seq`; `frame` and `at` allow reading its stamp. */
  onSeq(conn: Conn, seq: number, frame: Buffer, at: number): void;
  onEnd(conn: Conn): void;
  onError(conn: Conn, message: string): void;
}

type Stage = "open" | "connect" | "join" | "ready" | "closed";

// `42["m",` — the fixed prefix of every broadcast frame.
const M_PREFIX = Buffer.from('42["m",');
const PING = 0x32;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** True when `frame` starts with `42["m",`. */
function isBroadcast(frame: Buffer): boolean {
  if (frame.length <= M_PREFIX.length) return false;
  for (let i = 0; i < M_PREFIX.length; i++) if (frame[i] !== M_PREFIX[i]) return false;
  return true;
}

/**
 * The stamp (epoch ms) of a broadcast frame: the number after the seq's comma, `at` being
 * the index of that comma. NaN when the frame is not shaped as expected.
 */
export function readStamp(frame: Buffer, at: number): number {
  const end = frame.indexOf(0x2c, at + 1);
  if (end < 0) return Number.NaN;
  return Number(frame.toString("latin1", at + 1, end));
}

/** A raw Socket.IO client for the load generator. */
export class Conn {
  readonly index: number;
  readonly plan: ClientPlan;
  readonly ws: WebSocket;
  /** The next seq this client should receive. */
  next = 0;
  /** Broadcast frames received. */
  received = 0;
  /** `end` barrier frames received. */
  ends = 0;
  /** Whether `next` has reached the current target (maintained by the tracker). */
  reached = false;
  private stage: Stage = "open";
  private readonly sink: ConnSink;
  private settle: ((err?: Error) => void) | undefined;
  private closing = false;
  /** Resolves once the socket is closed. */
  readonly closed: Promise<void>;
  /** Resolves when the handshake (and the join, if any) has completed; rejects on failure. */
  readonly ready: Promise<void>;

  /** Opens the WebSocket; {@link ready} resolves once joined (or connected, for idle plans). */
  constructor(index: number, plan: ClientPlan, port: number, sink: ConnSink) {
    this.index = index;
    this.plan = plan;
    this.sink = sink;
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    this.ready = new Promise((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
    this.closed = new Promise((done) => {
      this.ws.once("close", (code: number, reason: Buffer) => {
        const wasReady = this.stage === "ready";
        this.stage = "closed";
        if (!this.closing) {
          const why = `client ${this.index} closed unexpectedly (${code} ${reason.toString()})`;
          this.fail(why);
          if (wasReady) this.sink.onError(this, why);
        }
        done();
      });
    });
    this.ws.on("error", (err: Error) => this.fail(`client ${this.index}: ${err.message}`));
    this.ws.on("message", (data: RawData) => this.onFrame(toBuffer(data)));
  }

  /** Drops the connection without a close handshake and awaits the close. */
  terminate(): Promise<void> {
    this.closing = true;
    if (this.stage !== "closed") this.ws.terminate();
    return this.closed;
  }

  private fail(message: string): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.(new Error(message));
  }

  private onFrame(frame: Buffer): void {
    if (frame.length === 1 && frame[0] === PING) {
      this.ws.send("3");
      return;
    }
    if (this.stage === "ready" && isBroadcast(frame)) {
      let i = M_PREFIX.length;
      let seq = 0;
      let c = frame[i];
      while (c !== undefined && c >= 0x30 && c <= 0x39) {
        seq = seq * 10 + (c - 0x30);
        c = frame[++i];
      }
      this.sink.onSeq(this, seq, frame, i);
      return;
    }
    this.onControl(frame.toString("utf8"));
  }

  private onControl(text: string): void {
    switch (this.stage) {
      case "open":
        if (!text.startsWith("0{")) return this.fail(`client ${this.index}: expected open packet, got ${text}`);
        this.stage = "connect";
        this.ws.send("40");
        return;
      case "connect":
        if (!text.startsWith("40{")) return this.fail(`client ${this.index}: expected 40{sid}, got ${text}`);
        if (this.plan.rooms === null) return this.becomeReady();
        this.stage = "join";
        this.ws.send(`420${JSON.stringify(["join", this.plan.rooms, this.plan.role])}`);
        return;
      case "join":
        if (!text.startsWith("430")) return this.fail(`client ${this.index}: expected ack 430, got ${text}`);
        return this.becomeReady();
      case "ready":
        // `42["end","<offset>"]` when the server runs connection state recovery.
        if (text === '42["end"]' || text.startsWith('42["end",')) return this.sink.onEnd(this);
        return this.sink.onError(this, `client ${this.index}: unexpected frame ${text.slice(0, 80)}`);
      case "closed":
        return;
    }
  }

  private becomeReady(): void {
    this.stage = "ready";
    const settle = this.settle;
    this.settle = undefined;
    settle?.();
  }
}
