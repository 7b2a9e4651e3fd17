/**
 * An attack session over a raw WebSocket (the `ws` package as client): sends whatever frames a
 * case holds, records what comes back, and probes the session afterwards (invariant 3).
 */
import WebSocket from "ws";
import { DeadlineError, withDeadline } from "../deadline.ts";
import type { PlayContext, Verdict } from "../surfaces/types.ts";

/** The ack id of the liveness probe (far above what the generators pick). */
export const PROBE_ACK_ID = 987_654_321;
/**
 * The namespace of the probe: a dynamic one no case ever touches, so the probe does not depend on
 * what the case did to the others (a namespace the case left drops packets by design).
 */
export const PROBE_NSP = `/dyn-${PROBE_ACK_ID}`;
/** The CONNECT of the probe (Engine.IO message + Socket.IO packet). */
export const PROBE_CONNECT = `40${PROBE_NSP},`;
/** `42/dyn-…,<id>["fuzz:probe"]`: the probe event the target acknowledges with "alive". */
export const PROBE_EVENT = `42${PROBE_NSP},${PROBE_ACK_ID}["fuzz:probe"]`;
/** The acknowledgement a served session answers the probe with. */
export const PROBE_ANSWER = `43${PROBE_NSP},${PROBE_ACK_ID}["alive"]`;

/** Whether a packet is the server's answer to the probe's CONNECT (accepted or refused). */
export function isProbeConnectAnswer(packet: string): boolean {
  return packet.startsWith(`40${PROBE_NSP},{`) || packet.startsWith(`44${PROBE_NSP},{`);
}

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
   * Invariant 3: the session is closed, or still served. Served means: a CONNECT to the probe's
   * namespace is answered (`40…` or `44…`), then its acknowledged probe event is answered.
   */
  async probe(label: string, ms: number): Promise<Verdict> {
    if (this.ended !== undefined) return { session: label, outcome: "closed", how: this.ended };
    try {
      let mark = this.frames.length;
      this.send(PROBE_CONNECT);
      const joined = await this.waitFor((f) => typeof f === "string" && isProbeConnectAnswer(f), mark, ms, "no answer to the probe's CONNECT and no close");
      if (joined === undefined) return { session: label, outcome: "closed", how: this.ended ?? "closed" };
      if ((joined as string).startsWith("44")) return { session: label, outcome: "served", how: `probe CONNECT refused: ${cut(joined as string)}` };
      mark = this.frames.length;
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
