/**
 * The end-to-end fan-out benchmark's orchestrator: for each of R rounds and each scenario it
 * runs roomcast and socket.io (and, with `--impls …,bare`, the bare floor server) alternately
 * (the order rotated every round), each in a fresh server process, against one long-lived
 * load-generator process; then prints medians and ratios and
 * writes JSON and an SVG chart to bench/results/. Exits 1 if any delivery check failed.
 *
 * With `--latency` it runs the latency mode instead (latency.ts: latency under load at fixed
 * offered rates).
 *
 * Run: `node --import tsx bench/fanout/run.ts [--quick] [--latency] [--help]`.
 */
import { renderChart } from "../chart.ts";
import { machineInfo, writeResult } from "../results.ts";
import { USAGE, parseFanoutArgs, type FanoutConfig } from "./config.ts";
import { IMPL_LABEL } from "./ipc.ts";
import { runLatencyMode } from "./latency.ts";
import { LATENCY_USAGE, parseLatencyArgs, type LatencyConfig } from "./latency-config.ts";
import { failedRecord, runScenario, startLoadGen, type LoadGen, type RunRecord } from "./phases.ts";
import { chartPanels, formatTable, summarize, type ScenarioSummary } from "./report.ts";

/** The JSON this script writes (bench/bench.ts reads it back). */
export interface FanoutResult {
  kind: "fanout";
  config: FanoutConfig;
  allPassed: boolean;
  summary: ScenarioSummary[];
  runs: RunRecord[];
}

function progress(rec: RunRecord, total: number, done: number): void {
  const head = `[${done}/${total}] ${rec.scenario} ${IMPL_LABEL[rec.impl]} run ${rec.run + 1}:`;
  if (rec.failure !== null && rec.verdict === null) {
    console.log(`${head} FAILED — ${rec.failure}`);
    return;
  }
  const unit = rec.unit === "msg" ? "msg" : "conn";
  console.log(
    `${head} ${rec.cpuPerUnitUs.toFixed(2)} µs/${unit}, ${Math.round(rec.ratePerSec)} ${unit}/s, ` +
      `server ${rec.serverCpuPct.toFixed(0)}% / loadgen ${rec.loadgenCpuPct.toFixed(0)}% cpu, ` +
      `check ${rec.ok ? "pass" : `FAIL (${rec.verdict?.errors.slice(0, 3).join("; ")})`}`,
  );
}

async function main(cfg: FanoutConfig): Promise<number> {
  const machine = machineInfo();
  console.log(`fan-out on ${machine.cores}× ${machine.cpu}, node ${machine.node}, 1-min load average ${machine.loadAvg1m}`);
  const records: RunRecord[] = [];
  const total = cfg.r * cfg.scenarios.length * cfg.impls.length;
  let lg: LoadGen = await startLoadGen(cfg.deadlineMs);
  for (let round = 0; round < cfg.r; round++) {
    // Rotate which implementation goes first, so none always runs on a warmer machine (with
    // two implementations this swaps them every round).
    const shift = round % cfg.impls.length;
    const order = [...cfg.impls.slice(shift), ...cfg.impls.slice(0, shift)];
    for (const id of cfg.scenarios) {
      for (const impl of order) {
        let rec: RunRecord;
        try {
          rec = await runScenario(cfg, lg, impl, id, round);
        } catch (err) {
          rec = failedRecord(impl, id, round, err);
          // The load generator may hold half-open clients: start a clean one.
          await lg.kill();
          lg = await startLoadGen(cfg.deadlineMs);
        }
        records.push(rec);
        progress(rec, total, records.length);
      }
    }
  }
  lg.send({ cmd: "exit" });
  await lg.exited;

  const summary = summarize(cfg, records);
  const allPassed = records.every((r) => r.ok);
  console.log(`\n${formatTable(cfg, summary)}\n`);
  const result: FanoutResult & Record<string, unknown> = { kind: "fanout", date: new Date().toISOString(), machine, config: cfg, allPassed, summary, runs: records };
  const json = writeResult(cfg.out, "fanout", "json", `${JSON.stringify(result, null, 2)}\n`);
  const subtitle =
    `${cfg.quick ? "QUICK run (not representative) · " : ""}N=${cfg.n}, M=${cfg.m}, R=${cfg.r}, medians · ${machine.cores}× ${machine.cpu} · ` +
    `node ${machine.node} · load ${machine.loadAvg1m} at start`;
  const svg = writeResult(cfg.out, "fanout", "svg", renderChart("roomcast vs socket.io: end-to-end fan-out", chartPanels(summary, cfg.quick), subtitle));
  console.log(`wrote ${[...json, ...svg].join(", ")}`);
  if (!allPassed) {
    console.log("FAILED: a delivery check or a run failed:");
    for (const r of records.filter((x) => !x.ok)) {
      console.log(`  ${r.scenario} ${IMPL_LABEL[r.impl]} run ${r.run + 1}: ${r.failure}`);
      for (const e of r.verdict?.errors ?? []) console.log(`    ${e}`);
    }
  }
  return allPassed ? 0 : 1;
}

const argv = process.argv.slice(2);
const latencyMode = argv.includes("--latency");
let cfg: FanoutConfig | LatencyConfig | "help";
try {
  cfg = latencyMode ? parseLatencyArgs(argv) : parseFanoutArgs(argv);
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n${latencyMode ? LATENCY_USAGE : USAGE}`);
  process.exit(2);
}
if (cfg === "help") {
  console.log(latencyMode ? LATENCY_USAGE : `${USAGE}\n\n${LATENCY_USAGE}`);
  process.exit(0);
}
process.exitCode = "fanout" in cfg ? await runLatencyMode(cfg) : await main(cfg);
