/**
 * The load generator, in its own process: N raw WebSocket clients (see loadgen-conn.ts), driven
 * over IPC by the orchestrator. It checks delivery exactly — each recipient gets every seq once
 * and in order, non-recipients get none, everyone gets exactly one `end` barrier after the last
 * broadcast — and measures receive latency from the stamp in each frame: a stride sample over
 * seqs and clients, or (offered-rate latency mode) every delivery, in a histogram.
 */
import { LatencyHistogram } from "../histogram.ts";
import { quantileSorted } from "../stats.ts";
import { epochMs, snapshot, type LatencySummary, type LoadCommand, type LoadReply, type Verdict } from "./ipc.ts";
import { Conn, readStamp, type ConnSink } from "./loadgen-conn.ts";
import { clientPlans, type ClientPlan } from "./scenarios.ts";

const MAX_ERRORS = 20;
const IDLE: ClientPlan = { rooms: null, role: "member", expect: false };

function reply(msg: LoadReply): void {
  process.send?.(msg);
}

function summarize(samples: Float64Array, count: number): LatencySummary {
  const sorted = samples.subarray(0, count).sort();
  return {
    p50: quantileSorted(sorted, 0.5),
    p99: quantileSorted(sorted, 0.99),
    p999: quantileSorted(sorted, 0.999),
    max: quantileSorted(sorted, 1),
    samples: count,
  };
}

function histogramLatency(h: LatencyHistogram): LatencySummary {
  const s = h.summary();
  return { p50: s.p50, p99: s.p99, p999: s.p999, max: s.max, samples: s.count, negative: s.negative };
}

/** Slots of the stamp cache (a power of two). */
const STAMP_SLOTS = 1024;

/**
 * The stamps of recent seqs, so that a broadcast's stamp is parsed from the first frame of it
 * that arrives, not from each recipient's copy (every copy of one broadcast carries the same
 * stamp). Direct-mapped by seq: in-flight seqs span far fewer than {@link STAMP_SLOTS}.
 */
class StampCache {
  private readonly seqs = new Float64Array(STAMP_SLOTS).fill(-1);
  private readonly stamps = new Float64Array(STAMP_SLOTS);

  stampOf(seq: number, frame: Buffer, at: number): number {
    const slot = seq & (STAMP_SLOTS - 1);
    if (this.seqs[slot] === seq) return this.stamps[slot] as number;
    const stamp = readStamp(frame, at);
    this.seqs[slot] = seq;
    this.stamps[slot] = stamp;
    return stamp;
  }
}

/** Delivery bookkeeping for the current run. */
class Tracker implements ConnSink {
  conns: Conn[] = [];
  recipients = 0;
  upTo = 0;
  measureFrom = Number.POSITIVE_INFINITY;
  stride = 1;
  pending = 0;
  samples = new Float64Array(0);
  nSamples = 0;
  /** Every measured delivery, when the orchestrator asks for all of them. */
  histogram: LatencyHistogram | null = null;
  /** Reset with the clients: seqs start again from 0 on every server. */
  stamps = new StampCache();
  endedClients = 0;
  errorCount = 0;
  errors: string[] = [];
  awaitingEnd = false;

  reset(conns: Conn[]): void {
    this.conns = conns;
    this.stamps = new StampCache();
    this.recipients = conns.filter((c) => c.plan.expect).length;
    this.upTo = 0;
    this.measureFrom = Number.POSITIVE_INFINITY;
    this.pending = 0;
    this.nSamples = 0;
    this.histogram = null;
    this.endedClients = 0;
    this.errorCount = 0;
    this.errors = [];
    this.awaitingEnd = false;
  }

  error(message: string): void {
    this.errorCount++;
    if (this.errors.length < MAX_ERRORS) this.errors.push(message);
  }

  onSeq(conn: Conn, seq: number, frame: Buffer, at: number): void {
    conn.received++;
    if (!conn.plan.expect) {
      this.error(`client ${conn.index} is not a recipient but got seq ${seq}`);
      return;
    }
    if (seq !== conn.next) this.error(`client ${conn.index} expected seq ${conn.next}, got ${seq}`);
    conn.next = seq + 1;
    if (seq >= this.measureFrom) {
      if (this.histogram !== null) this.histogram.record(epochMs() - this.stamps.stampOf(seq, frame, at));
      else if ((seq + conn.index) % this.stride === 0 && this.nSamples < this.samples.length) {
        this.samples[this.nSamples++] = epochMs() - readStamp(frame, at);
      }
    }
    if (!conn.reached && conn.next >= this.upTo) {
      conn.reached = true;
      if (--this.pending === 0) this.reportReached();
    }
  }

  onEnd(conn: Conn): void {
    if (++conn.ends === 1) this.endedClients++;
    else this.error(`client ${conn.index} got ${conn.ends} end barriers`);
    if (this.awaitingEnd && this.endedClients === this.conns.length) this.reportVerdict();
  }

  onError(_conn: Conn, message: string): void {
    this.error(message);
  }

  expect(upTo: number, measureFrom: number, sampleCap: number, everyDelivery: boolean): void {
    this.upTo = upTo;
    this.measureFrom = measureFrom;
    this.histogram = everyDelivery ? new LatencyHistogram() : null;
    this.samples = new Float64Array(everyDelivery ? 0 : sampleCap);
    this.nSamples = 0;
    const measured = this.recipients * Math.max(0, upTo - measureFrom);
    this.stride = Math.max(1, Math.floor(measured / Math.max(1, sampleCap)));
    this.pending = 0;
    for (const conn of this.conns) {
      if (!conn.plan.expect) continue;
      conn.reached = conn.next >= upTo;
      if (!conn.reached) this.pending++;
    }
    reply({ type: "expecting", snap: snapshot() });
    if (this.pending === 0) this.reportReached();
  }

  expectEnd(): void {
    this.awaitingEnd = true;
    if (this.endedClients === this.conns.length) this.reportVerdict();
  }

  private reportReached(): void {
    const lastRecvAt = epochMs();
    const latency = this.histogram !== null ? histogramLatency(this.histogram) : summarize(this.samples, this.nSamples);
    reply({ type: "reached", lastRecvAt, snap: snapshot(), latency });
  }

  private reportVerdict(): void {
    this.awaitingEnd = false;
    let delivered = 0;
    for (const conn of this.conns) {
      delivered += conn.received;
      if (conn.plan.expect && (conn.received !== this.upTo || conn.next !== this.upTo)) {
        this.error(`client ${conn.index} received ${conn.received} of ${this.upTo} (next seq ${conn.next})`);
      }
    }
    const verdict: Verdict = {
      ok: this.errorCount === 0,
      clients: this.conns.length,
      recipients: this.recipients,
      delivered,
      errorCount: this.errorCount,
      errors: this.errors,
    };
    reply({ type: "verified", verdict });
  }
}

const tracker = new Tracker();

async function connectAll(cmd: Extract<LoadCommand, { cmd: "connect" }>): Promise<void> {
  if (tracker.conns.length > 0) throw new Error("connect: clients from the previous run are still open");
  const plans =
    cmd.scenario === "idle"
      ? Array.from({ length: cmd.n }, () => IDLE)
      : clientPlans(cmd.scenario, { n: cmd.n, ramp: cmd.ramp });
  const conns: Conn[] = new Array<Conn>(plans.length);
  tracker.reset([]);
  const latencies = new Float64Array(plans.length);
  const start = snapshot();
  let nextIndex = 0;
  // A pool of `concurrency` workers, each opening one connection at a time.
  const worker = async (): Promise<void> => {
    while (nextIndex < plans.length) {
      const i = nextIndex++;
      const t0 = epochMs();
      const conn = new Conn(i, plans[i] as ClientPlan, cmd.port, tracker);
      conns[i] = conn;
      await conn.ready;
      latencies[i] = epochMs() - t0;
    }
  };
  const workers = Array.from({ length: Math.min(cmd.concurrency, plans.length) }, worker);
  try {
    await Promise.all(workers);
  } catch (err) {
    await Promise.allSettled(workers);
    await Promise.all(conns.filter((c) => c !== undefined).map((c) => c.terminate()));
    throw err;
  }
  const end = snapshot();
  tracker.reset(conns);
  reply({
    type: "connected",
    clients: conns.length,
    recipients: tracker.recipients,
    start,
    end,
    latency: summarize(latencies, latencies.length),
  });
}

async function closeAll(): Promise<void> {
  await Promise.all(tracker.conns.map((c) => c.terminate()));
  tracker.reset([]);
}

async function handle(cmd: LoadCommand): Promise<void> {
  switch (cmd.cmd) {
    case "connect":
      return connectAll(cmd);
    case "expect":
      return tracker.expect(cmd.upTo, cmd.measureFrom, cmd.samples, cmd.everyDelivery === true);
    case "expectEnd":
      return tracker.expectEnd();
    case "status":
      return reply({ type: "status", pending: tracker.pending, errors: tracker.errors });
    case "closeAll":
      await closeAll();
      return reply({ type: "closed" });
    case "exit":
      await closeAll();
      process.exit(0);
  }
}

process.on("message", (cmd: LoadCommand) => {
  handle(cmd).catch((err: unknown) => {
    reply({ type: "error", message: err instanceof Error ? err.message : String(err) });
  });
});
process.on("disconnect", () => process.exit(0));
reply({ type: "ready" });
