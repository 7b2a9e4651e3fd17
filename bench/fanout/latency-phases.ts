/**
 * One latency-mode session: a fresh server process for one implementation, the load
 * generator's clients of scenario a (a room of N plus outsiders), warm-up broadcasts, then one
 * paced phase per load level (ascending, back to back on the same connections), then the
 * delivery check over every broadcast of the session.
 */
import { cpuBetween, type Impl, type PaceReport, type Verdict } from "./ipc.ts";
import type { LatencyConfig } from "./latency-config.ts";
import { broadcastPhase, ignore, saturation, startServer, stopServer, verify, withStatus, type LoadGen, type Step } from "./phases.ts";
import { SCENARIOS } from "./scenarios.ts";

/** One offered rate to run. */
export interface LoadLevel {
  /** % of socket.io's saturation rate, or null for an absolute rate (`--rates`). */
  load: number | null;
  /** Broadcasts per second. */
  ratePerSec: number;
}

/** An achieved rate below this share of the offered one counts as behind schedule. */
export const BEHIND_BELOW = 0.98;

/** The outcome of one implementation at one load level in one round. */
export interface LatencyRecord {
  impl: Impl;
  round: number;
  load: number | null;
  offeredPerSec: number;
  ok: boolean;
  failure: string | null;
  recipients: number;
  broadcasts: number;
  /** Deliveries whose latency was measured (every delivery of the phase when the check passed). */
  measured: number;
  /** Latencies below 0 (clock skew between processes), counted as 0. */
  negative: number;
  pace: PaceReport | null;
  /** The achieved rate fell below {@link BEHIND_BELOW} of the offered one. */
  behind: boolean;
  /** Deliveries / (last receipt − phase start). */
  deliveredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Server user + system CPU over the phase / deliveries. */
  cpuPerDeliveryUs: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  saturated: string;
  wallMs: number;
}

function failed(impl: Impl, round: number, level: LoadLevel, failure: string): LatencyRecord {
  return {
    impl,
    round,
    load: level.load,
    offeredPerSec: level.ratePerSec,
    ok: false,
    failure,
    recipients: 0,
    broadcasts: 0,
    measured: 0,
    negative: 0,
    pace: null,
    behind: false,
    deliveredPerSec: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    p999Ms: Number.NaN,
    maxMs: Number.NaN,
    cpuPerDeliveryUs: Number.NaN,
    serverCpuPct: Number.NaN,
    loadgenCpuPct: Number.NaN,
    saturated: "—",
    wallMs: Number.NaN,
  };
}

/** Broadcasts in one phase: the offered rate × the duration, at least one. */
export function broadcastsAt(cfg: LatencyConfig, level: LoadLevel): number {
  return Math.max(1, Math.round(level.ratePerSec * cfg.durationSec));
}

/** Runs one paced phase of `count` broadcasts from seq `from` and measures every delivery. */
async function pacedPhase(s: Step, cfg: LatencyConfig, impl: Impl, round: number, level: LoadLevel, from: number, recipients: number): Promise<LatencyRecord> {
  const d = cfg.fanout.deadlineMs;
  const count = broadcastsAt(cfg, level);
  // The watchdog covers the paced sending itself on top of the usual step deadline.
  const phaseDeadline = d + cfg.durationSec * 1000 * 2;
  const expecting = await s.lg.request({ cmd: "expect", upTo: from + count, measureFrom: from, samples: 0, everyDelivery: true }, "expecting", d);
  const started = s.server.request({ cmd: "paced", kind: SCENARIOS.a.kind, from, count, ratePerSec: level.ratePerSec, gc: true }, "started", d);
  const sent = s.server.next("sent", phaseDeadline);
  started.catch(ignore);
  sent.catch(ignore);
  const reached = await withStatus(s.lg, s.lg.next("reached", phaseDeadline));
  const ended = (await s.server.request({ cmd: "snap", gc: false }, "snap", d)).snap;
  const start = (await started).snap;
  const pace = (await sent).pace ?? null;
  const deliveries = recipients * count;
  const wallMs = reached.lastRecvAt - start.t;
  const cpuUs = cpuBetween(start, ended);
  const serverCpuPct = cpuUs / (10 * wallMs);
  const loadgenCpuPct = cpuBetween(expecting.snap, reached.snap) / (10 * wallMs);
  const measured = reached.latency.samples;
  return {
    impl,
    round,
    load: level.load,
    offeredPerSec: level.ratePerSec,
    ok: measured === deliveries,
    failure: measured === deliveries ? null : `measured ${measured} of ${deliveries} deliveries`,
    recipients,
    broadcasts: count,
    measured,
    negative: reached.latency.negative ?? 0,
    pace,
    behind: pace !== null && pace.achievedPerSec < BEHIND_BELOW * pace.offeredPerSec,
    deliveredPerSec: (deliveries * 1000) / wallMs,
    p50Ms: reached.latency.p50,
    p99Ms: reached.latency.p99,
    p999Ms: reached.latency.p999,
    maxMs: reached.latency.max,
    cpuPerDeliveryUs: cpuUs / deliveries,
    serverCpuPct,
    loadgenCpuPct,
    saturated: saturation(serverCpuPct, loadgenCpuPct),
    wallMs,
  };
}

function applyVerdict(records: LatencyRecord[], verdict: Verdict): void {
  if (verdict.ok) return;
  const why = `delivery check failed: ${verdict.errorCount} error(s): ${verdict.errors.slice(0, 3).join("; ")}`;
  for (const rec of records) {
    rec.ok = false;
    rec.failure = rec.failure === null ? why : `${rec.failure}; ${why}`;
  }
}

/**
 * Runs every load level against a fresh server of `impl`. Throws if a process fails or a step
 * misses its deadline (the caller then records the levels as failed and restarts the load
 * generator); a failed delivery check marks every level of the session failed.
 *
 * @returns one record per level, and the session's delivery verdict.
 */
export async function runLatencySession(
  cfg: LatencyConfig,
  lg: LoadGen,
  impl: Impl,
  round: number,
  levels: LoadLevel[],
): Promise<{ records: LatencyRecord[]; verdict: Verdict }> {
  const f = cfg.fanout;
  const { server, port } = await startServer(impl, f.deadlineMs, f.fault);
  const s: Step = { cfg: f, lg, server, port };
  try {
    const conn = await lg.request({ cmd: "connect", port, scenario: "a", n: f.n, ramp: 0, concurrency: f.concurrency }, "connected", f.deadlineMs);
    if (f.warmup > 0) await broadcastPhase(s, SCENARIOS.a, 0, f.warmup, false);
    const records: LatencyRecord[] = [];
    let seq = f.warmup;
    for (const level of levels) {
      records.push(await pacedPhase(s, cfg, impl, round, level, seq, conn.recipients));
      seq += broadcastsAt(cfg, level);
    }
    const verdict = await verify(s);
    if (verdict.delivered !== conn.recipients * seq) {
      verdict.ok = false;
      verdict.errors.push(`delivered ${verdict.delivered} broadcast frames, expected ${conn.recipients * seq}`);
      verdict.errorCount++;
    }
    applyVerdict(records, verdict);
    return { records, verdict };
  } finally {
    await stopServer(server);
  }
}

/** Records for every level of a session that could not complete. */
export function failedSession(impl: Impl, round: number, levels: LoadLevel[], err: unknown): LatencyRecord[] {
  const why = err instanceof Error ? err.message : String(err);
  return levels.map((level) => failed(impl, round, level, why));
}
