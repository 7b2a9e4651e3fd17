/**
 * Fan-out results: medians per (scenario, implementation), ratios roomcast / socket.io (and,
 * when the bare floor server ran, bare / socket.io and roomcast / floor against its goal), the
 * printed table and the chart panels.
 */
import type { ChartPanel } from "../chart.ts";
import { fmt, fmtRate, median, ratio, table } from "../stats.ts";
import type { FanoutConfig } from "./config.ts";
import { IMPL_LABEL, type Impl } from "./ipc.ts";
import type { RunRecord } from "./phases.ts";
import { SCENARIOS, type ScenarioId } from "./scenarios.ts";

/**
 * The goals for connection state recovery's cost: roomcast with recovery on at most 1.2× its
 * own CPU with recovery off, and below socket.io with recovery on.
 */
export const RECOVERY_GOALS = { overhead: 1.2, versusSocketIo: 1 } as const;

/**
 * The goals for roomcast's server CPU per delivered message (per connection in d), as a
 * multiple of the floor's: the bare server, which writes one pre-built frame per recipient and
 * does nothing else. None in f: the bare server does not batch broadcasts across a tick, so
 * there the floor is not a limit (roomcast goes below it).
 */
export const FLOOR_GOALS: Readonly<Record<ScenarioId, number | null>> = { a: 1.05, b: 1.05, c: 1.05, d: 1.15, e: 1.05, f: null };

/** The goal for roomcast with `writeDelay: 1` in (a): at most this share of socket.io's CPU per delivered message. */
export const WRITE_DELAY_GOAL = 0.33;

/** The line printed under every table and summary that compares with the floor. */
export const FLOOR_LINE =
  "floor = the bare implementation (bench/fanout/bare-server.ts): one pre-built WebSocket frame written per recipient, " +
  "nothing else — what one write syscall per recipient per message costs on this machine.";

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
  /**
   * roomcast / socket.io server CPU per unit (NaN unless both ran): the median of the per-round
   * ratios (see {@link pairedRatio}).
   */
  cpuRatio: number;
  /** roomcast / socket.io delivery rate. */
  rateRatio: number;
  rssRatio: number;
  /**
   * The floor: bare / socket.io server CPU per unit (NaN unless both ran): below it, a server
   * would cost less than one write syscall per recipient per message costs here.
   */
  floorRatio: number;
  /** bare / socket.io delivery rate. */
  floorRateRatio: number;
  floorRssRatio: number;
  /** roomcast with metrics / roomcast without, server CPU per unit (NaN unless both ran). */
  metricsRatio: number;
  /** roomcast with metrics / roomcast without, delivery rate. */
  metricsRateRatio: number;
  /**
   * roomcast / bare server CPU per unit (NaN unless both ran): the median of the per-round
   * ratios (see {@link pairedRatio}).
   */
  floorMultiple: number;
  /** The smallest and largest per-round roomcast / bare ratio ([NaN, NaN] unless both ran). */
  floorMultipleRange: [number, number];
  /** The goal for `floorMultiple` (null: none in this scenario). */
  floorGoal: number | null;
  /**
   * roomcast with `writeDelay: 1` / socket.io, server CPU per unit: the median of the per-round
   * ratios (NaN unless both ran).
   */
  writeDelayRatio: number;
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

/**
 * The median over rounds of `a`'s CPU per unit divided by `b`'s in the same round, with the
 * smallest and largest of those ratios. The two runs of a round are next to each other in time,
 * while rounds are minutes apart: this machine's speed drifts by up to 30% over that long (the
 * floor alone measured 7.07 to 11.2 µs in (a) within an hour), which moves a ratio of medians
 * taken across rounds but cancels out of a ratio taken within one. NaN when either has no
 * passed run in any round.
 */
export function pairedRatio(records: readonly RunRecord[], scenario: ScenarioId, a: Impl, b: Impl): { median: number; min: number; max: number } {
  const ratios: number[] = [];
  const rounds = new Set(records.map((r) => r.run));
  for (const round of rounds) {
    const x = records.find((r) => r.scenario === scenario && r.impl === a && r.run === round && r.ok);
    const y = records.find((r) => r.scenario === scenario && r.impl === b && r.run === round && r.ok);
    if (x !== undefined && y !== undefined) ratios.push(ratio(x.cpuPerUnitUs, y.cpuPerUnitUs));
  }
  const finite = ratios.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) };
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
    const overFloor = rc && bare ? pairedRatio(records, id, "roomcast", "bare") : undefined;
    return {
      scenario: id,
      title: SCENARIOS[id].title,
      unit: SCENARIOS[id].ramp ? "conn" : "msg",
      impls,
      cpuRatio: rc && sio ? pairedRatio(records, id, "roomcast", "socketio").median : Number.NaN,
      rateRatio: r((s) => s.ratePerSec),
      rssRatio: r((s) => s.rssMB),
      floorRatio: fl((s) => s.cpuPerUnitUs),
      floorRateRatio: fl((s) => s.ratePerSec),
      floorRssRatio: fl((s) => s.rssMB),
      metricsRatio: rc && withMetrics ? ratio(withMetrics.cpuPerUnitUs, rc.cpuPerUnitUs) : Number.NaN,
      metricsRateRatio: rc && withMetrics ? ratio(withMetrics.ratePerSec, rc.ratePerSec) : Number.NaN,
      floorMultiple: overFloor?.median ?? Number.NaN,
      floorMultipleRange: overFloor ? [overFloor.min, overFloor.max] : [Number.NaN, Number.NaN],
      floorGoal: FLOOR_GOALS[id],
      writeDelayRatio: sio && impls.some((i) => i.impl === "roomcast-wd1") ? pairedRatio(records, id, "roomcast-wd1", "socketio").median : Number.NaN,
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

/** "meets ≤1.05" / "misses ≤1.05" (never printed in quick mode). */
function verdict(value: number, goal: number, strict = false): string {
  const ok = strict ? value < goal : value <= goal;
  return `${ok ? "meets" : "misses"} ${strict ? "<" : "≤"}${goal}`;
}

/**
 * The printed table. Goals are judged against the floor (when the bare server ran), and never
 * in quick mode, whose sizes are too small to judge anything.
 */
export function formatTable(cfg: FanoutConfig, summary: ScenarioSummary[]): string {
  const judge = !cfg.quick;
  const rows: string[][] = [
    ["scenario", "impl", "recips", "cpu µs/unit", "usr+sys", "rate/s", "rss MB", "p50 ms", "p99 ms", "srv cpu%", "lg cpu%", "saturated", judge ? "check / goal" : "check"],
  ];
  const ratioRow = (label: string, cpu: number, rate: number, rss: number, note: string, digits = 2): string[] =>
    ["", label, "", fmt(cpu, digits), "", fmt(rate, digits), fmt(rss, digits), "", "", "", "", "", note];
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
    if (Number.isFinite(s.cpuRatio)) rows.push(ratioRow("roomcast / socket.io", s.cpuRatio, s.rateRatio, s.rssRatio, ""));
    if (Number.isFinite(s.floorRatio)) rows.push(ratioRow("floor: bare / socket.io", s.floorRatio, s.floorRateRatio, s.floorRssRatio, ""));
    if (Number.isFinite(s.floorMultiple)) {
      // The bare server never batches, so in f (many broadcasts per turn) batching goes below it.
      const note = !judge ? "" : s.floorGoal === null ? "bare does not batch" : verdict(s.floorMultiple, s.floorGoal);
      const [lo, hi] = s.floorMultipleRange;
      const spread = Number.isFinite(lo) && lo !== hi ? ` (rounds ${fmt(lo)}–${fmt(hi)})` : "";
      rows.push(["", "roomcast / floor", "", `${fmt(s.floorMultiple)}${spread}`, "", "", "", "", "", "", "", "", note]);
    }
    if (Number.isFinite(s.writeDelayRatio)) {
      // Only (a) has a goal: back-to-back broadcasts to one room, where coalescing pays most.
      const note = judge && s.scenario === "a" ? verdict(s.writeDelayRatio, WRITE_DELAY_GOAL) : "";
      rows.push(["", "writeDelay 1 / socket.io", "", fmt(s.writeDelayRatio), "", "", "", "", "", "", "", "", note]);
    }
    if (Number.isFinite(s.metricsRatio)) {
      const within = !judge ? "" : s.metricsRatio <= 1.03 ? "within 3%" : "above 3%";
      rows.push(ratioRow("metrics: on / off", s.metricsRatio, s.metricsRateRatio, Number.NaN, within, 3));
    }
    if (Number.isFinite(s.recoveryOverhead)) {
      const note = judge ? verdict(s.recoveryOverhead, RECOVERY_GOALS.overhead) : "";
      rows.push(["", "recovery on / off (roomcast)", "", fmt(s.recoveryOverhead), "", "", "", "", "", "", "", "", note]);
    }
    if (Number.isFinite(s.recoveryRatio)) {
      const note = judge ? verdict(s.recoveryRatio, RECOVERY_GOALS.versusSocketIo, true) : "";
      rows.push(["", "recovery on: roomcast / socket.io", "", fmt(s.recoveryRatio), "", "", "", "", "", "", "", "", note]);
    }
  }
  const lines = [
    `fan-out: N=${cfg.n} recipients, M=${cfg.m} measured broadcasts (+${cfg.warmup} warm-up), ` +
      `ramp=${cfg.ramp}, burst(f)=${cfg.burst}, R=${cfg.r} alternating runs, medians.`,
    "cpu µs/unit = server user+system CPU per delivered message (per connection for d); saturated = process at ≥85% of a core.",
    "roomcast / socket.io and roomcast / floor: medians of per-round ratios (the two runs of a round are adjacent in time).",
  ];
  if (cfg.quick) lines.push("quick run: sizes too small to judge; ratios shown, no goals.");
  if (cfg.impls.includes("bare")) {
    lines.push(FLOOR_LINE);
    if (judge) {
      lines.push(
        `goal: roomcast / floor ≤${FLOOR_GOALS.a} in a, b, c, e and ≤${FLOOR_GOALS.d} in d (server CPU per unit); ` +
          "none in f, where batching across broadcasts can go below a floor that does not batch.",
      );
    }
  } else if (judge && cfg.impls.includes("roomcast")) {
    lines.push("The CPU goals are multiples of the floor: add bare to --impls (e.g. --impls roomcast,socketio,bare) to judge them.");
  }
  return `${lines.join("\n")}\n${table(rows)}`;
}

/**
 * Chart panels: CPU per delivered message, and CPU per connection for the ramp. In `quick`
 * mode no goal is drawn.
 */
export function chartPanels(summary: ScenarioSummary[], quick = false): ChartPanel[] {
  const pick = (s: ScenarioSummary, impl: Impl): number => s.impls.find((i) => i.impl === impl)?.cpuPerUnitUs ?? Number.NaN;
  const group = (s: ScenarioSummary) => ({
    label: `${s.scenario} ${s.title}`,
    roomcast: pick(s, "roomcast"),
    socketio: pick(s, "socketio"),
    bare: pick(s, "bare"),
    ...(Number.isFinite(s.floorMultiple) && s.floorGoal !== null && !quick ? { floorGoal: s.floorGoal } : {}),
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
