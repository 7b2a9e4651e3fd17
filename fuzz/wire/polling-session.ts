/**
 * An attack session over HTTP long-polling: the handshake, POSTs of any body, GETs (racing
 * ones too), the liveness probe (invariant 3) and the close the harness sends when it is done.
 */
import type { PlayContext, Verdict } from "../surfaces/types.ts";
import { httpRequest, openedSid, type HttpOutcome } from "./http.ts";
import { isProbeConnectAnswer, PROBE_ANSWER, PROBE_CONNECT, PROBE_EVENT } from "./ws-session.ts";

/** The probe's packets inside a polling payload: without the Engine.IO framing, they are the same. */
const PROBE_ANSWER_PACKET = PROBE_ANSWER;

/** One polling session. */
export class PollingSession {
  /** Packets received by every GET, in order. */
  readonly packets: string[] = [];
  /** Why the session is known to be over (a 4xx, a close packet), once it is. */
  ended: string | undefined;
  /** A 5xx answer seen on this session. */
  bad: string | undefined;
  /** A request of this session that got neither an answer nor a close within the bound. */
  hung: string | undefined;
  private inflight = 0;
  private gets: Array<Promise<void>> = [];

  private constructor(
    private readonly ctx: PlayContext,
    readonly sid: string,
  ) {}

  /** Performs the handshake; undefined when the server refused it (which the caller reports). */
  static async open(ctx: PlayContext): Promise<PollingSession | HttpOutcome> {
    const res = await httpRequest(ctx.port, { method: "GET", path: `${ctx.path}?EIO=4&transport=polling` }, ctx.waitMs);
    const sid = res.kind === "response" && res.status === 200 ? openedSid(res.body) : undefined;
    return sid === undefined ? res : new PollingSession(ctx, sid);
  }

  /** The request path of this session (or of another sid). */
  url(sid: string | undefined = this.sid): string {
    return `${this.ctx.path}?EIO=4&transport=polling${sid === undefined ? "" : `&sid=${encodeURIComponent(sid)}`}`;
  }

  /** A POST carrying `body`; a 4xx on the session's own sid marks it ended. */
  async post(body: string | Uint8Array, contentType: string | null, sid: string | undefined = this.sid): Promise<HttpOutcome> {
    const headers: Record<string, string> = contentType === null ? {} : { "Content-Type": contentType };
    const res = await httpRequest(this.ctx.port, { method: "POST", path: this.url(sid), headers, body }, this.ctx.waitMs);
    if (sid === this.sid) this.note(res, "POST");
    return res;
  }

  /** Starts a GET (not awaited: a poll is held until the server has something to send). */
  startGet(sid: string | undefined = this.sid): void {
    this.inflight++;
    const done = httpRequest(this.ctx.port, { method: "GET", path: this.url(sid) }, this.ctx.waitMs).then((res) => {
      this.inflight--;
      if (sid !== this.sid) return;
      this.note(res, "GET");
      if (res.kind === "response" && res.status === 200) this.packets.push(...res.body.toString("utf8").split("\x1e"));
    });
    this.gets.push(done);
  }

  /** Awaits every GET started so far (each is bounded by the context's wait). */
  async settleGets(): Promise<void> {
    await Promise.all(this.gets);
  }

  /**
   * Invariant 3 over polling: the session is closed (a 4xx, a close packet) or still served (a
   * CONNECT to the probe's namespace is answered, then the probe event is acknowledged).
   */
  async probe(label: string): Promise<Verdict> {
    const deadline = Date.now() + this.ctx.waitMs;
    if (this.bad || this.hung) return this.closedVerdict(label);
    if (this.ended) return { session: label, outcome: "closed", how: this.ended };
    let from = this.packets.length;
    await this.post(PROBE_CONNECT, "text/plain;charset=UTF-8");
    const joined = await this.awaitPacket(isProbeConnectAnswer, from, deadline);
    if (joined === "hang") return { session: label, outcome: "hang", how: `no answer to the probe's CONNECT; last packets: ${this.lastPackets()}` };
    if (joined === undefined) return this.closedVerdict(label);
    if (joined.startsWith("44")) return { session: label, outcome: "served", how: "probe CONNECT refused" };
    from = this.packets.length;
    await this.post(PROBE_EVENT, "text/plain;charset=UTF-8");
    const answer = await this.awaitPacket((p) => p === PROBE_ANSWER_PACKET, from, deadline);
    if (answer === "hang") return { session: label, outcome: "hang", how: `no ack to the probe event; last packets: ${this.lastPackets()}` };
    if (answer === undefined) return this.closedVerdict(label);
    return { session: label, outcome: "served", how: "probe acknowledged" };
  }

  /** Ends the session from the client side (a close packet), unless it is over already. */
  async close(): Promise<void> {
    if (this.ended === undefined) await this.post("1", "text/plain;charset=UTF-8");
    await this.settleGets();
  }

  private closedVerdict(label: string): Verdict {
    if (this.bad) return { session: label, outcome: "bad", how: this.bad };
    if (this.hung) return { session: label, outcome: "hang", how: this.hung };
    return { session: label, outcome: "closed", how: this.ended ?? "closed" };
  }

  /**
   * Polls until a packet from index `from` matches (the packet), the session ends (undefined),
   * or the deadline passes ("hang"). A GET is started only when none is in flight: a second one
   * would itself be a protocol violation.
   */
  private async awaitPacket(pred: (p: string) => boolean, from: number, deadline: number): Promise<string | undefined | "hang"> {
    for (;;) {
      const found = this.packets.slice(from).find(pred);
      if (found !== undefined) return found;
      if (this.ended !== undefined || this.bad !== undefined || this.hung !== undefined) return undefined;
      if (Date.now() >= deadline) return "hang";
      if (this.inflight === 0) this.startGet();
      await untilSettledOr(Promise.all(this.gets), deadline);
      // A held GET that answered starts the next round; one that is still held means the deadline passed.
      if (this.inflight > 0 && Date.now() >= deadline) return "hang";
    }
  }

  private note(res: HttpOutcome, what: string): void {
    if (res.kind === "response") {
      if (res.status >= 500) this.bad ??= `${what} answered ${res.status}: ${res.body.toString("utf8").slice(0, 120)}`;
      else if (res.status >= 400) this.ended ??= `${what} answered ${res.status}: ${res.body.toString("utf8").slice(0, 120)}`;
      else if (what === "GET" && res.body.toString("utf8").split("\x1e").includes("1")) this.ended ??= "close packet";
    } else if (res.kind === "closed") {
      this.ended ??= `${what} connection closed: ${res.how}`;
    } else {
      this.hung ??= `${what} got neither an answer nor a close within ${this.ctx.waitMs} ms`;
    }
  }

  private lastPackets(): string {
    return this.packets
      .slice(-4)
      .map((p) => JSON.stringify(p.length > 80 ? `${p.slice(0, 80)}…` : p))
      .join(", ");
  }
}

/** Resolves when `promise` settles or at `deadline`, whichever comes first. */
function untilSettledOr(promise: Promise<unknown>, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
