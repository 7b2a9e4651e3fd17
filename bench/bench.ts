/**
 * `npm run bench`: the micro benchmark, the end-to-end fan-out benchmark (with the bare floor
 * server unless the fan-out flags choose the implementations) and the memory benchmark, one
 * after the other, each in its own process; then a summary of every ratio next to its goal
 * (the fan-out CPU goals as multiples of the floor; no goals in quick mode),
 * bench/results/bench-<timestamp>.json and bench-latest.json, and an SVG chart bench-latest.svg
 * (fan-out CPU, ramp CPU, memory, micro). Nothing it writes is tracked by git.
 *
 * Run: `node --import tsx bench/bench.ts [--quick] [--only micro,fanout,memory] [--out dir] [-- fanout flags]`.
 * Exits non-zero if any part fails (a failed delivery check included).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { renderChart, type ChartPanel } from "./chart.ts";
import type { FanoutResult } from "./fanout/run.ts";
import { FLOOR_LINE, RECOVERY_GOALS, chartPanels } from "./fanout/report.ts";
import type { MemoryResult } from "./memory.ts";
import type { MicroResult } from "./micro.ts";
import { REPO_ROOT, RESULTS_DIR, machineInfo, writeResult } from "./results.ts";
import { fmt, table } from "./stats.ts";

const PARTS = ["micro", "fanout", "memory"] as const;
type Part = (typeof PARTS)[number];
const SCRIPT: Record<Part, string> = { micro: "bench/micro.ts", fanout: "bench/fanout/run.ts", memory: "bench/memory.ts" };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", default: PARTS.join(",") },
    out: { type: "string", default: RESULTS_DIR },
  },
});
const out = values.out ?? RESULTS_DIR;
const parts = PARTS.filter((p) => (values.only ?? "").split(",").includes(p));

function runPart(part: Part): Promise<number> {
  const args = ["--import", "tsx", SCRIPT[part], "--out", out, ...(values.quick ? ["--quick"] : [])];
  if (part === "fanout") {
    // The CPU goals are multiples of the floor: run the bare server unless told what to run.
    const chosen = positionals.some((flag) => flag === "--impls" || flag.startsWith("--impls=") || flag === "--recovery");
    if (!chosen) args.push("--impls", "roomcast,socketio,bare");
    args.push(...positionals);
  }
  console.log(`\n=== ${part}: node ${args.join(" ")}`);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: "inherit" });
  const kill = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", kill);
  return new Promise((done) => {
    child.once("exit", (code) => {
      process.off("exit", kill);
      done(code ?? 1);
    });
  });
}

function readLatest<T>(name: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(out, `${name}-latest.json`), "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** JSON turns NaN into null: read numbers back as NaN. */
function num(v: unknown): number {
  return typeof v === "number" ? v : Number.NaN;
}

const machine = machineInfo();
const codes: Partial<Record<Part, number>> = {};
for (const part of parts) codes[part] = await runPart(part);

const micro = parts.includes("micro") ? readLatest<MicroResult>("micro") : undefined;
const fanout = parts.includes("fanout") ? readLatest<FanoutResult>("fanout") : undefined;
const memory = parts.includes("memory") ? readLatest<MemoryResult>("memory") : undefined;

const judge = !values.quick;
const rows: string[][] = [judge ? ["ratio", "value", "goal", ""] : ["ratio", "value"]];
const goalRow = (what: string, value: number, goal: number | null, strict = false): string[] => {
  if (!judge) return [what, fmt(value)];
  if (goal === null || !Number.isFinite(value)) return [what, fmt(value), goal === null ? "—" : `≤${goal}`, "—"];
  const ok = strict ? value < goal : value <= goal;
  return [what, fmt(value), `${strict ? "<" : "≤"}${goal}`, ok ? "meets" : "misses"];
};
let floorShown = false;
for (const s of fanout?.summary ?? []) {
  const what = s.unit === "conn" ? "CPU per connection" : "CPU per delivered message";
  rows.push(goalRow(`fan-out ${s.scenario} ${s.title}: ${what}, roomcast / socket.io`, num(s.cpuRatio), null));
  const overFloor = num(s.floorMultiple);
  if (Number.isFinite(overFloor)) {
    floorShown = true;
    rows.push(goalRow(`fan-out ${s.scenario} ${s.title}: ${what}, roomcast / floor`, overFloor, s.floorGoal));
  }
  // Present when the recovery variants ran (`-- --recovery`).
  const overhead = num(s.recoveryOverhead);
  if (Number.isFinite(overhead)) rows.push(goalRow(`fan-out ${s.scenario}: recovery on / off (roomcast)`, overhead, RECOVERY_GOALS.overhead));
  const versus = num(s.recoveryRatio);
  if (Number.isFinite(versus)) rows.push(goalRow(`fan-out ${s.scenario}: recovery on, roomcast / socket.io`, versus, RECOVERY_GOALS.versusSocketIo, true));
}
if (memory) {
  rows.push(goalRow("memory: RSS growth per 1000 connections, roomcast / socket.io", num(memory.rssRatio), memory.target));
}
for (const c of micro?.cases ?? []) {
  rows.push(goalRow(`micro ${c.case}: ns per recipient, roomcast / socket.io`, num(c.ratio), c.target));
}
const failed = Object.entries(codes).filter(([, code]) => code !== 0).map(([part]) => part);
const checks = fanout ? (fanout.allPassed ? "every delivery check passed" : "A DELIVERY CHECK FAILED") : "fan-out not run";
const notes = [
  ...(floorShown ? [FLOOR_LINE] : []),
  ...(values.quick ? ["quick run: sizes too small to judge; ratios shown, no goals."] : []),
];
console.log(`\n=== summary (medians of alternating runs; lower is better)\n${[...notes, table(rows)].join("\n")}\n${checks}`);

const panels: ChartPanel[] = [];
if (fanout) {
  const fixed = fanout.summary.map((s) => ({ ...s, impls: s.impls.map((i) => ({ ...i, cpuPerUnitUs: num(i.cpuPerUnitUs) })) }));
  panels.push(...chartPanels(fixed, values.quick));
}
if (memory) {
  const pick = (impl: string): number => num(memory.summary.find((s) => s.impl === impl)?.rssPer1000MB);
  panels.push({
    title: "Server RSS growth per 1000 idle connections",
    unit: "MB",
    groups: [{ label: "RSS / 1000 conns", roomcast: pick("roomcast"), socketio: pick("socketio"), ...(values.quick ? {} : { target: memory.target }) }],
  });
}
if (micro) {
  panels.push({
    title: "Micro: recipient resolution + encoding",
    unit: "ns / recipient",
    groups: micro.cases.map((c) => ({
      label: c.case,
      roomcast: num(c.roomcast.nsPerRecipient),
      socketio: num(c.socketio.nsPerRecipient),
      ...(values.quick ? {} : { target: c.target }),
    })),
  });
}
const subtitle = `${values.quick ? "QUICK mode (not representative) · " : ""}${machine.cores}× ${machine.cpu} · node ${machine.node} · load ${machine.loadAvg1m} at start · medians`;
const written = [
  ...writeResult(out, "bench", "json", `${JSON.stringify({ kind: "bench", date: new Date().toISOString(), machine, quick: values.quick, exitCodes: codes, micro, fanout, memory }, null, 2)}\n`),
  ...writeResult(out, "bench", "svg", renderChart("roomcast vs socket.io", panels, subtitle)),
];
console.log(`wrote ${written.join(", ")}`);
if (failed.length > 0) console.log(`FAILED: ${failed.join(", ")}`);
process.exitCode = failed.length > 0 ? 1 : 0;
