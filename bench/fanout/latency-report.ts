/**
 * Latency-mode results: medians per (load level, implementation) over the rounds, the printed
 * table, the lines saying which implementation fell behind its offered rate, and the chart
 * (latency against delivered messages per second, one line per implementation).
 */
import { COLORS } from "../chart.ts";
import type { LinePanel, LineSeries } from "../line-chart.ts";
import { fmt, fmtRate, median, table } from "../stats.ts";
import { IMPL_LABEL, type Impl } from "./ipc.ts";
import type { LatencyConfig } from "./latency-config.ts";
import { BEHIND_BELOW, type LatencyRecord, type LoadLevel } from "./latency-phases.ts";

/** socket.io's saturation rate as measured in the same invocation (scenario a). */
export interface SaturationSummary {
  runs: number;
  recipients: number;
  /** Median delivered messages per second over the saturation runs. */
  deliveredPerSec: number;
  /** The same in broadcasts per second: 100% load. */
  broadcastsPerSec: number;
}

/** Medians over the rounds of one implementation at one load level. */
export interface LatencyRow {
  load: number | null;
  impl: Impl;
  rounds: number;
  allPassed: boolean;
  offeredPerSec: number;
  achievedPerSec: number;
  /** Rounds in which the server fell behind the offered rate. */
  behindRounds: number;
  deliveredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  cpuPerDeliveryUs: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  lagP99Ms: number;
  /** Deliveries measured, summed over the rounds. */
  measured: number;
}

/** One row per (level, implementation), levels in the order run, implementations as configured. */
export function summarizeLatency(cfg: LatencyConfig, levels: LoadLevel[], records: LatencyRecord[]): LatencyRow[] {
  const rows: LatencyRow[] = [];
  for (const level of levels) {
    for (const impl of cfg.impls) {
      const mine = records.filter((r) => r.impl === impl && r.offeredPerSec === level.ratePerSec);
      const m = (f: (r: LatencyRecord) => number): number => median(mine.map(f));
      rows.push({
        load: level.load,
        impl,
        rounds: mine.length,
        allPassed: mine.length > 0 && mine.every((r) => r.ok),
        offeredPerSec: level.ratePerSec,
        achievedPerSec: m((r) => r.pace?.achievedPerSec ?? Number.NaN),
        behindRounds: mine.filter((r) => r.behind).length,
        deliveredPerSec: m((r) => r.deliveredPerSec),
        p50Ms: m((r) => r.p50Ms),
        p99Ms: m((r) => r.p99Ms),
        p999Ms: m((r) => r.p999Ms),
        maxMs: m((r) => r.maxMs),
        cpuPerDeliveryUs: m((r) => r.cpuPerDeliveryUs),
        serverCpuPct: m((r) => r.serverCpuPct),
        loadgenCpuPct: m((r) => r.loadgenCpuPct),
        lagP99Ms: m((r) => r.pace?.lagP99Ms ?? Number.NaN),
        measured: mine.reduce((sum, r) => sum + r.measured, 0),
      });
    }
  }
  return rows;
}

function levelLabel(row: Pick<LatencyRow, "load" | "offeredPerSec">): string {
  return row.load === null ? `${fmt(row.offeredPerSec, 1)}/s` : `${row.load}%`;
}

/** The printed table, with its legend and the behind-schedule lines. */
export function formatLatencyTable(cfg: LatencyConfig, saturation: SaturationSummary | null, rows: LatencyRow[]): string {
  const cells: string[][] = [
    ["load", "impl", "offered/s", "achieved/s", "delivered msg/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "cpu µs/dlv", "srv cpu%", "lg cpu%", "lag p99 ms", "check"],
  ];
  let previous = "";
  for (const row of rows) {
    const label = levelLabel(row);
    cells.push([
      label === previous ? "" : label,
      IMPL_LABEL[row.impl],
      fmt(row.offeredPerSec, 1),
      `${fmt(row.achievedPerSec, 1)}${row.behindRounds > 0 ? " behind" : ""}`,
      fmtRate(row.deliveredPerSec),
      fmt(row.p50Ms, 2),
      fmt(row.p99Ms, 2),
      fmt(row.p999Ms, 2),
      fmt(row.maxMs, 1),
      fmt(row.cpuPerDeliveryUs, 2),
      fmt(row.serverCpuPct, 0),
      fmt(row.loadgenCpuPct, 0),
      fmt(row.lagP99Ms, 2),
      row.allPassed ? "pass" : "FAIL",
    ]);
    previous = label;
  }
  const n = cfg.fanout.n;
  const hundred =
    saturation === null
      ? "offered rates given in broadcasts/s (--rates)."
      : `100% = socket.io's saturation rate, measured first in this invocation: ${fmt(saturation.broadcastsPerSec, 1)} broadcasts/s ` +
        `(${fmtRate(saturation.deliveredPerSec)} delivered msg/s; scenario a, sending as fast as it can, median of ${saturation.runs} runs).`;
  const head = [
    `latency under load: io.to(room).emit to ${n} recipients (+ outsiders that must get nothing), paced at each offered rate for ` +
      `${cfg.durationSec} s; R=${cfg.r} rounds, implementations alternating, medians.`,
    hundred,
    "latency = stamp in the payload (at emit) to receipt at the load generator, every delivery (histogram, ≤0.8% error); " +
      "cpu µs/dlv = server user+system CPU per delivered message;",
    "srv/lg cpu% = server / load generator CPU as a share of one core (they share 2 cores; ≥85% = saturated); " +
      `lag = how late the sends were against their schedule; "behind" = achieved < ${BEHIND_BELOW * 100}% of offered in some round.`,
  ];
  const behind = rows
    .filter((r) => r.behindRounds > 0)
    .map(
      (r) =>
        `behind schedule: ${IMPL_LABEL[r.impl]} at ${levelLabel(r)} sent ${fmt(r.achievedPerSec, 1)} of ${fmt(r.offeredPerSec, 1)} broadcasts/s offered ` +
        `(median; behind in ${r.behindRounds} of ${r.rounds} rounds): its latency there does not count the time broadcasts waited to be sent.`,
    );
  return [...head, table(cells), ...behind].join("\n");
}

const IMPL_COLOR: Partial<Record<Impl, string>> = {
  socketio: "#6b7280",
  roomcast: COLORS.roomcast,
  "roomcast-wd1": "#7c3aed",
  bare: COLORS.bare,
};
const FALLBACK_COLORS = ["#0d9488", "#db2777", "#65a30d", "#0891b2"];

/** Two panels, p50 and p99 against delivered messages per second, one line per implementation. */
export function latencyPanels(cfg: LatencyConfig, rows: LatencyRow[]): LinePanel[] {
  const series = (pick: (r: LatencyRow) => number): LineSeries[] =>
    cfg.impls.map((impl, i) => ({
      name: IMPL_LABEL[impl],
      color: IMPL_COLOR[impl] ?? FALLBACK_COLORS[i % FALLBACK_COLORS.length] ?? COLORS.text,
      points: rows.filter((r) => r.impl === impl).map((r) => ({ x: r.deliveredPerSec, y: pick(r), label: levelLabel(r) })),
    }));
  const xUnit = "delivered messages / s";
  return [
    { title: "p50 emit-to-receipt latency", xUnit, yUnit: "ms", series: series((r) => r.p50Ms) },
    { title: "p99 emit-to-receipt latency", xUnit, yUnit: "ms", series: series((r) => r.p99Ms) },
  ];
}
