/**
 * Fan-out results: medians per (scenario, implementation), ratios roomcast / socket.io (and,
 * when the bare floor server ran, bare / socket.io), the printed table and the chart panels.
 */
import type { ChartPanel } from "../chart.ts";
import { fmt, fmtRate, median, ratio, table } from "../stats.ts";
import type { FanoutConfig } from "./config.ts";
import { IMPL_LABEL, type Impl } from "./ipc.ts";
import type { RunRecord } from "./phases.ts";
import { SCENARIOS, type ScenarioId } from "./scenarios.ts";

/**
 * Issue 12's goals for connection state recovery's cost: roomcast with recovery on at most
 * 1.2× its own CPU with recovery off, and below socket.io with recovery on.
 */
export const RECOVERY_GOALS = { overhead: 1.2, versusSocketIo: 1 } as const;

/** Issue 4's targets for the CPU ratio roomcast / socket.io, per scenario. */
export const CPU_TARGETS: Readonly<Record<ScenarioId, number>> = { a: 0.55, b: 0.55, c: 0.55, d: 0.6, e: 0.55, f: 0.25 };

/** Medians over the runs of one implementation in one scenario. */
export interface ImplSummary {
  impl: Impl;
  runs: number;
  allPassed: boolean;
  recipients: number;
  cpuPerUnitUs: number;
  userPerUnitUs: number;
  sysPerUnitUs: number;
  ratePerSec: number;
  rssMB: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  /** Per run, which process saturated its core. */
  saturated: string[];
}

/** One scenario: every implementation that ran and the ratios. */
export interface ScenarioSummary {
  scenario: ScenarioId;
  title: string;
  unit: "msg" | "conn";
  impls: ImplSummary[];
  /** roomcast / socket.io server CPU per unit (NaN unless both ran). */
  cpuRatio: number;
  /** roomcast / socket.io delivery rate. */
  rateRatio: number;
  rssRatio: number;
  /**
   * The floor: bare / socket.io server CPU per unit (NaN unless both ran). A `cpuRatio` target
   * below it asks for less than one write syscall per recipient per message costs here.
   */
  floorRatio: number;
  /** bare / socket.io delivery rate. */
  floorRateRatio: number;
  floorRssRatio: number;
  /** roomcast with metrics / roomcast without, server CPU per unit (NaN unless both ran). */
  metricsRatio: number;
  /** roomcast with metrics / roomcast without, delivery rate. */
  metricsRateRatio: number;
  target: number;
  /** roomcast with recovery on / roomcast with it off, server CPU per unit (NaN unless both ran). */
  recoveryOverhead: number;
  /** roomcast / socket.io, both with recovery on, server CPU per unit (NaN unless both ran). */
  recoveryRatio: number;
}

function summarizeImpl(impl: Impl, runs: RunRecord[]): ImplSummary {
  const m = (f: (r: RunRecord) => number): number => median(runs.map(f));
  return {
    impl,
    runs: runs.length,
    allPassed: runs.length > 0 && runs.every((r) => r.ok),
    recipients: m((r) => r.recipients),
    cpuPerUnitUs: m((r) => r.cpuPerUnitUs),
    userPerUnitUs: m((r) => r.userPerUnitUs),
    sysPerUnitUs: m((r) => r.sysPerUnitUs),
    ratePerSec: m((r) => r.ratePerSec),
    rssMB: m((r) => r.rssMB),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    serverCpuPct: m((r) => r.serverCpuPct),
    loadgenCpuPct: m((r) => r.loadgenCpuPct),
    saturated: runs.map((r) => r.saturated),
  };
}

/** Medians and ratios per scenario, in the configured order. */
export function summarize(cfg: FanoutConfig, records: RunRecord[]): ScenarioSummary[] {
  return cfg.scenarios.map((id) => {
    const impls = cfg.impls.map((impl) => summarizeImpl(impl, records.filter((r) => r.scenario === id && r.impl === impl)));
    const rc = impls.find((i) => i.impl === "roomcast");
    const sio = impls.find((i) => i.impl === "socketio");
    const bare = impls.find((i) => i.impl === "bare");
    const withMetrics = impls.find((i) => i.impl === "roomcast-metrics");
    const rcRec = impls.find((i) => i.impl === "roomcast-recovery");
    const sioRec = impls.find((i) => i.impl === "socketio-recovery");
    const r = (f: (s: ImplSummary) => number): number => (rc && sio ? ratio(f(rc), f(sio)) : Number.NaN);
    const fl = (f: (s: ImplSummary) => number): number => (bare && sio ? ratio(f(bare), f(sio)) : Number.NaN);
    return {
      scenario: id,
      title: SCENARIOS[id].title,
      unit: SCENARIOS[id].ramp ? "conn" : "msg",
      impls,
      cpuRatio: r((s) => s.cpuPerUnitUs),
      rateRatio: r((s) => s.ratePerSec),
      rssRatio: r((s) => s.rssMB),
      floorRatio: fl((s) => s.cpuPerUnitUs),
      floorRateRatio: fl((s) => s.ratePerSec),
      floorRssRatio: fl((s) => s.rssMB),
      metricsRatio: rc && withMetrics ? ratio(withMetrics.cpuPerUnitUs, rc.cpuPerUnitUs) : Number.NaN,
      metricsRateRatio: rc && withMetrics ? ratio(withMetrics.ratePerSec, rc.ratePerSec) : Number.NaN,
      target: CPU_TARGETS[id],
      recoveryOverhead: rcRec && rc ? ratio(rcRec.cpuPerUnitUs, rc.cpuPerUnitUs) : Number.NaN,
      recoveryRatio: rcRec && sioRec ? ratio(rcRec.cpuPerUnitUs, sioRec.cpuPerUnitUs) : Number.NaN,
    };
  });
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = "—";
  let bestCount = 0;
  for (const [v, c] of counts) if (c > bestCount) (best = v), (bestCount = c);
  return values.length > 1 && bestCount < values.length ? `${best} (${bestCount}/${values.length})` : best;
}

/** The printed table. */
export function formatTable(cfg: FanoutConfig, summary: ScenarioSummary[]): string {
  const rows: string[][] = [
    ["scenario", "impl", "recips", "cpu µs/unit", "usr+sys", "rate/s", "rss MB", "p50 ms", "p99 ms", "srv cpu%", "lg cpu%", "saturated", "check"],
  ];
  for (const s of summary) {
    s.impls.forEach((i, k) => {
      rows.push([
        k === 0 ? `${s.scenario} ${s.title}${s.unit === "conn" ? " (per conn)" : ""}` : "",
        IMPL_LABEL[i.impl],
        fmt(i.recipients, 0),
        fmt(i.cpuPerUnitUs, s.unit === "conn" ? 0 : 2),
        `${fmt(i.userPerUnitUs, s.unit === "conn" ? 0 : 2)}+${fmt(i.sysPerUnitUs, s.unit === "conn" ? 0 : 2)}`,
        fmtRate(i.ratePerSec),
        fmt(i.rssMB, 1),
        fmt(i.p50Ms, 1),
        fmt(i.p99Ms, 1),
        fmt(i.serverCpuPct, 0),
        fmt(i.loadgenCpuPct, 0),
        mostCommon(i.saturated),
        i.allPassed ? "pass" : "FAIL",
      ]);
    });
    if (Number.isFinite(s.cpuRatio)) {
      const verdict = s.cpuRatio <= s.target ? "meets" : "misses";
      rows.push(["", "ratio", "", fmt(s.cpuRatio), "", fmt(s.rateRatio), fmt(s.rssRatio), "", "", "", "", `${verdict} ≤${s.target}`, ""]);
    }
    if (Number.isFinite(s.floorRatio)) {
      // The bare server never batches, so in f (many broadcasts per turn) batching can go below it.
      const floor = s.scenario === "f" ? "unbatched floor" : "floor";
      const reachable = s.floorRatio <= s.target ? `${floor} ≤${s.target}` : `target below ${floor}`;
      rows.push(["", "floor: bare / socket.io", "", fmt(s.floorRatio), "", fmt(s.floorRateRatio), fmt(s.floorRssRatio), "", "", "", "", reachable, ""]);
    }
    if (Number.isFinite(s.metricsRatio)) {
      const within = s.metricsRatio <= 1.03 ? "within 3%" : "above 3%";
      rows.push(["", "metrics: on / off", "", fmt(s.metricsRatio, 3), "", fmt(s.metricsRateRatio, 3), "", "", "", "", "", within, ""]);
    }
    if (Number.isFinite(s.recoveryOverhead)) {
      const goal = RECOVERY_GOALS.overhead;
      const verdict = s.recoveryOverhead <= goal ? "meets" : "misses";
      rows.push(["", "recovery on / off (roomcast)", "", fmt(s.recoveryOverhead), "", "", "", "", "", "", "", `${verdict} ≤${goal}`, ""]);
    }
    if (Number.isFinite(s.recoveryRatio)) {
      const verdict = s.recoveryRatio < RECOVERY_GOALS.versusSocketIo ? "meets" : "misses";
      rows.push(["", "recovery on: roomcast / socket.io", "", fmt(s.recoveryRatio), "", "", "", "", "", "", "", `${verdict} <${RECOVERY_GOALS.versusSocketIo}`, ""]);
    }
  }
  const head =
    `fan-out: N=${cfg.n} recipients, M=${cfg.m} measured broadcasts (+${cfg.warmup} warm-up), ` +
    `ramp=${cfg.ramp}, burst(f)=${cfg.burst}, R=${cfg.r} alternating runs, medians.\n` +
    "cpu µs/unit = server user+system CPU per delivered message (per connection for d); " +
    "ratio = roomcast / socket.io; saturated = process at ≥85% of a core." +
    (cfg.impls.includes("bare")
      ? "\nfloor = bare / socket.io: bare writes one pre-built frame per recipient (bench/fanout/bare-server.ts); " +
        "\"target below floor\" = the target asks for less CPU than that (f: bare does not batch, batching can beat it)."
      : "");
  return `${head}\n${table(rows)}`;
}

/** Chart panels: CPU per delivered message, and CPU per connection for the ramp. */
export function chartPanels(summary: ScenarioSummary[]): ChartPanel[] {
  const pick = (s: ScenarioSummary, impl: Impl): number => s.impls.find((i) => i.impl === impl)?.cpuPerUnitUs ?? Number.NaN;
  const group = (s: ScenarioSummary) => ({
    label: `${s.scenario} ${s.title}`,
    roomcast: pick(s, "roomcast"),
    socketio: pick(s, "socketio"),
    bare: pick(s, "bare"),
    target: s.target,
  });
  const panels: ChartPanel[] = [];
  const msgs = summary.filter((s) => s.unit === "msg");
  if (msgs.length > 0) panels.push({ title: "Server CPU per delivered message", unit: "µs / message", groups: msgs.map(group) });
  const recovering = summary.filter((s) => s.unit === "msg" && Number.isFinite(s.recoveryRatio));
  if (recovering.length > 0) {
    panels.push({
      title: "With connection state recovery on: server CPU per delivered message",
      unit: "µs / message",
      groups: recovering.map((s) => ({ label: `${s.scenario} ${s.title}`, roomcast: pick(s, "roomcast-recovery"), socketio: pick(s, "socketio-recovery") })),
    });
  }
  const conns = summary.filter((s) => s.unit === "conn");
  if (conns.length > 0) panels.push({ title: "Server CPU per connection (connect + join ramp)", unit: "µs / connection", groups: conns.map(group) });
  return panels;
}
