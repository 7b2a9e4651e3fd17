/**
 * The fan-out benchmark's latency mode (`run.ts --latency`): latency under load at fixed
 * offered rates. First, unless `--rates` gives absolute rates, socket.io's saturation rate is
 * measured with scenario a (R runs, median); the load levels are percentages of it. Then R
 * rounds: in each, every implementation in turn (the order rotated every round) gets a fresh
 * server, the load generator's clients, warm-up broadcasts and one paced phase per level.
 * Prints medians, writes latency-latest.json and latency-latest.svg (plus timestamped copies)
 * to the results directory. Exits 1 if a delivery check or a run failed, 2 if an
 * implementation cannot start (a roomcast without `writeDelay` for roomcast-wd1).
 */
import { renderLineChart } from "../line-chart.ts";
import { machineInfo, writeResult } from "../results.ts";
import { median } from "../stats.ts";
import { IMPL_LABEL, type Impl, type Verdict } from "./ipc.ts";
import type { LatencyConfig } from "./latency-config.ts";
import { failedSession, runLatencySession, type LatencyRecord, type LoadLevel } from "./latency-phases.ts";
import { formatLatencyTable, latencyPanels, summarizeLatency, type LatencyRow, type SaturationSummary } from "./latency-report.ts";
import { runScenario, startLoadGen, startServer, stopServer, type LoadGen, type RunRecord } from "./phases.ts";

/** The JSON the latency mode writes. */
export interface LatencyResult {
  kind: "latency";
  date: string;
  machine: ReturnType<typeof machineInfo>;
  config: LatencyConfig;
  saturation: (SaturationSummary & { records: RunRecord[] }) | null;
  levels: LoadLevel[];
  allPassed: boolean;
  rows: LatencyRow[];
  records: LatencyRecord[];
  /** The delivery verdict of each session (implementation × round). */
  sessions: { impl: Impl; round: number; verdict: Verdict | null; failure: string | null }[];
}

/** Starts `impl`'s server once, so that one refusing its options stops the run at once. */
async function preflight(impls: Impl[], deadlineMs: number): Promise<string | null> {
  // Only roomcast-wd1 depends on an option this roomcast may not have.
  if (!impls.includes("roomcast-wd1")) return null;
  try {
    const { server } = await startServer("roomcast-wd1", deadlineMs);
    await stopServer(server);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function measureSaturation(cfg: LatencyConfig, lg: { current: LoadGen }): Promise<SaturationSummary & { records: RunRecord[] }> {
  const records: RunRecord[] = [];
  for (let run = 0; run < cfg.r; run++) {
    const rec = await runScenario(cfg.fanout, lg.current, "socketio", "a", run);
    if (!rec.ok) throw new Error(`socket.io's saturation run failed: ${rec.failure ?? "delivery check"} ${rec.verdict?.errors.slice(0, 3).join("; ") ?? ""}`);
    console.log(
      `saturation run ${run + 1}/${cfg.r}: socket.io ${Math.round(rec.ratePerSec)} msg/s delivered ` +
        `(${(rec.ratePerSec / rec.recipients).toFixed(1)} broadcasts/s), server ${rec.serverCpuPct.toFixed(0)}% / loadgen ${rec.loadgenCpuPct.toFixed(0)}% cpu`,
    );
    records.push(rec);
  }
  const deliveredPerSec = median(records.map((r) => r.ratePerSec));
  const recipients = records[0]?.recipients ?? cfg.fanout.n;
  return { runs: records.length, recipients, deliveredPerSec, broadcastsPerSec: deliveredPerSec / recipients, records };
}

function progress(rec: LatencyRecord): void {
  const level = rec.load === null ? `${rec.offeredPerSec.toFixed(1)}/s` : `${rec.load}%`;
  const head = `round ${rec.round + 1} ${IMPL_LABEL[rec.impl]} at ${level}:`;
  if (rec.pace === null) {
    console.log(`${head} FAILED — ${rec.failure}`);
    return;
  }
  console.log(
    `${head} ${rec.pace.achievedPerSec.toFixed(1)}/${rec.offeredPerSec.toFixed(1)} broadcasts/s${rec.behind ? " (behind)" : ""}, ` +
      `p50 ${rec.p50Ms.toFixed(2)} p99 ${rec.p99Ms.toFixed(2)} p99.9 ${rec.p999Ms.toFixed(2)} ms, ${rec.cpuPerDeliveryUs.toFixed(2)} µs/dlv, ` +
      `server ${rec.serverCpuPct.toFixed(0)}% / loadgen ${rec.loadgenCpuPct.toFixed(0)}% cpu${rec.ok ? "" : ` FAIL (${rec.failure})`}`,
  );
}

/** Runs the latency mode; resolves with the exit code. */
export async function runLatencyMode(cfg: LatencyConfig): Promise<number> {
  const machine = machineInfo();
  console.log(`latency under load on ${machine.cores}× ${machine.cpu}, node ${machine.node}, 1-min load average ${machine.loadAvg1m}`);
  const refused = await preflight(cfg.impls, cfg.fanout.deadlineMs);
  if (refused !== null) {
    console.error(`cannot run: ${refused}`);
    return 2;
  }
  const lg = { current: await startLoadGen(cfg.fanout.deadlineMs) };
  const restartLoadGen = async (): Promise<void> => {
    // The load generator may hold half-open clients: start a clean one.
    await lg.current.kill();
    lg.current = await startLoadGen(cfg.fanout.deadlineMs);
  };
  let saturation: LatencyResult["saturation"] = null;
  if (cfg.loads !== null) {
    try {
      saturation = await measureSaturation(cfg, lg);
    } catch (err) {
      console.error(`cannot run: ${err instanceof Error ? err.message : String(err)}`);
      await lg.current.kill();
      return 1;
    }
  }
  const sat = saturation;
  const levels: LoadLevel[] =
    sat !== null && cfg.loads !== null
      ? cfg.loads.map((load) => ({ load, ratePerSec: (sat.broadcastsPerSec * load) / 100 }))
      : (cfg.rates ?? []).map((ratePerSec) => ({ load: null, ratePerSec }));
  const records: LatencyRecord[] = [];
  const sessions: LatencyResult["sessions"] = [];
  for (let round = 0; round < cfg.r; round++) {
    // Rotate which implementation goes first, so none always runs on a warmer machine.
    const shift = round % cfg.impls.length;
    for (const impl of [...cfg.impls.slice(shift), ...cfg.impls.slice(0, shift)]) {
      try {
        const { records: recs, verdict } = await runLatencySession(cfg, lg.current, impl, round, levels);
        records.push(...recs);
        sessions.push({ impl, round, verdict, failure: verdict.ok ? null : "delivery check failed" });
        recs.forEach(progress);
      } catch (err) {
        const recs = failedSession(impl, round, levels, err);
        records.push(...recs);
        sessions.push({ impl, round, verdict: null, failure: recs[0]?.failure ?? String(err) });
        recs.forEach(progress);
        await restartLoadGen();
      }
    }
  }
  lg.current.send({ cmd: "exit" });
  await lg.current.exited;

  const rows = summarizeLatency(cfg, levels, records);
  const allPassed = records.every((r) => r.ok) && sessions.every((s) => s.failure === null);
  console.log(`\n${formatLatencyTable(cfg, sat, rows)}\n`);
  const result: LatencyResult = { kind: "latency", date: new Date().toISOString(), machine, config: cfg, saturation: sat, levels, allPassed, rows, records, sessions };
  const out = cfg.fanout.out;
  const json = writeResult(out, "latency", "json", `${JSON.stringify(result, null, 2)}\n`);
  const subtitle =
    `N=${cfg.fanout.n} recipients, ${cfg.durationSec} s per level, R=${cfg.r}, medians · ${machine.cores}× ${machine.cpu} · node ${machine.node} · ` +
    `load ${machine.loadAvg1m} at start`;
  const svg = writeResult(out, "latency", "svg", renderLineChart("Latency under load: io.to(room).emit", latencyPanels(cfg, rows), subtitle));
  console.log(`wrote ${[...json, ...svg].join(", ")}`);
  if (!allPassed) {
    console.log("FAILED: a delivery check or a run failed:");
    for (const r of records.filter((x) => !x.ok)) console.log(`  ${IMPL_LABEL[r.impl]} round ${r.round + 1} at ${r.offeredPerSec.toFixed(1)}/s: ${r.failure}`);
  }
  return allPassed ? 0 : 1;
}
