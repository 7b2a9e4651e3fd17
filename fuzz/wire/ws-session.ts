/**
 * An attack session over a raw WebSocket (the `ws` package as client): sends whatever frames a
 * case holds, records what comes back, and probes the session afterwards (invariant 3).
 */
import WebSocket from "ws";
import { DeadlineError, withDeadline } from "../deadline.ts";
import type { PlayContext, Verdict } from "../surfaces/types.ts";

/** The ack id of the liveness probe (far above what the generators pick). */
export const PROBE_ACK_ID = 987_654_321;
/** `42<id>["fuzz:probe"]`: the probe event the target acknowledges with "alive". */
export const PROBE_EVENT = `42${PROBE_ACK_ID}["fuzz:probe"]`;
/** The acknowledgement a served session answers the probe with. */
export const PROBE_ANSWER = `43${PROBE_ACK_ID}["alive"]`;

type Frame = string | Buffer;

/** One raw WebSocket to the engine path. */
export class AttackSocket {
  /** Every frame received, in order. */
  readonly frames: Frame[] = [];
  /** How it ended (close code and reason, refused upgrade, error), once it did. */
  ended: string | undefined;
  private changed: Array<() => boolean> = [];
  private readonly ws: WebSocket;

  /**
   * Starts the connection to `ws://127.0.0.1:PORT<path>?<query>`; answers pings with pongs
   * so that the heartbeat never decides a case.
   */
  constructor(ctx: PlayContext, query: string) {
    this.ws = new WebSocket(`ws://127.0.0.1:${ctx.port}${ctx.path}?${query}`, { handshakeTimeout: ctx.waitMs });
    this.ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      const frame = isBinary ? toBuffer(data) : toBuffer(data).toString("utf8");
      if (frame === "2") this.send("3");
      this.frames.push(frame);
      this.notify();
    });
    this.ws.on("error", (err: Error) => {
      this.ended ??= `error: ${err.message}`;
      this.notify();
    });
    this.ws.on("close", (code: number, reason: Buffer) => {
      this.ended ??= `close ${code}${reason.length > 0 ? ` "${reason.toString()}"` : ""}`;
      this.notify();
    });
  }

  /** Resolves true once the upgrade is done, false if it was refused or the socket closed. */
  opened(ms: number): Promise<boolean> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve(true);
    return withDeadline(
      new Promise<boolean>((resolve) => {
        const check = (): boolean => {
          if (this.ws.readyState === WebSocket.OPEN) resolve(true);
          else if (this.ended !== undefined) resolve(false);
          else return false;
          return true;
        };
        this.ws.once("open", () => resolve(true));
        this.onChange(check);
      }),
      ms,
      "the WebSocket upgrade was neither answered nor refused",
    );
  }

  /**
   * Resolves with the first frame from index `from` on that matches, or undefined once the
   * socket has ended without one.
   *
   * @throws DeadlineError when neither happens within `ms`.
   */
  waitFor(pred: (f: Frame) => boolean, from: number, ms: number, what: string): Promise<Frame | undefined> {
    return withDeadline(
      new Promise<Frame | undefined>((resolve) => {
        const check = (): boolean => {
          for (let i = from; i < this.frames.length; i++) {
            const f = this.frames[i] as Frame;
            if (pred(f)) {
              resolve(f);
              return true;
            }
          }
          if (this.ended !== undefined) {
            resolve(undefined);
            return true;
          }
          return false;
        };
        if (!check()) this.onChange(check);
      }),
      ms,
      what,
    );
  }

  /** Sends a text (string) or binary frame, if the socket is open. */
  send(data: string | Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(data, { binary: typeof data !== "string" }, () => {});
  }

  /** The Engine.IO OPEN packet received, if any. */
  openPacket(): string | undefined {
    return this.frames.find((f): f is string => typeof f === "string" && f.startsWith("0{"));
  }

  /**
   * Invariant 3: the session is closed, or still served. Served means: a CONNECT to the main
   * namespace is answered (`40{…}` or `44{…}`), and the acknowledged probe event is answered.
   *
   * @param joinedMain whether the case already joined the main namespace (then no CONNECT is sent)
   */
  async probe(label: string, joinedMain: boolean, ms: number): Promise<Verdict> {
    if (this.ended !== undefined) return { session: label, outcome: "closed", how: this.ended };
    try {
      if (!joinedMain) {
        const mark = this.frames.length;
        this.send("40");
        const answer = await this.waitFor(isMainConnectAnswer, mark, ms, "no answer to a CONNECT and no close");
        if (answer === undefined) return { session: label, outcome: "closed", how: this.ended ?? "closed" };
        if ((answer as string).startsWith("44")) return { session: label, outcome: "served", how: `CONNECT refused: ${cut(answer as string)}` };
      }
      const mark = this.frames.length;
      this.send(PROBE_EVENT);
      const answer = await this.waitFor((f) => f === PROBE_ANSWER, mark, ms, "no ack to the probe event and no close");
      if (answer === undefined) return { session: label, outcome: "closed", how: this.ended ?? "closed" };
      return { session: label, outcome: "served", how: "probe acknowledged" };
    } catch (err) {
      if (err instanceof DeadlineError) return { session: label, outcome: "hang", how: `${err.message}; last frames: ${lastFrames(this.frames)}` };
      throw err;
    }
  }

  /** Drops the TCP connection. */
  terminate(): void {
    this.ws.terminate();
  }

  private onChange(check: () => boolean): void {
    this.changed.push(check);
  }

  private notify(): void {
    this.changed = this.changed.filter((check) => !check());
  }
}

function isMainConnectAnswer(f: Frame): boolean {
  return typeof f === "string" && (f.startsWith("40{") || f.startsWith("44{"));
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function cut(s: string, max = 120): string {
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}

/** The last few frames, for a hang report. */
export function lastFrames(frames: readonly Frame[]): string {
  return frames
    .slice(-4)
    .map((f) => (typeof f === "string" ? JSON.stringify(cut(f, 80)) : `<binary ${f.length} bytes>`))
    .join(", ");
}
