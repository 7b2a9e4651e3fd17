/**
 * Memory benchmark: server RSS growth per 1000 idle connections, roomcast against
 * socket.io, alternating, medians. Each run: a fresh server process (with `--expose-gc`); 50
 * warm-up connections opened and closed (so lazily loaded code is not counted); a GC'd
 * reading; C raw clients connected to the main namespace; a second GC'd reading once the
 * server counts exactly C sockets. Heap growth is reported beside RSS (RSS also holds what V8
 * keeps but does not use). Writes bench/results/memory-<timestamp>.json and memory-latest.json.
 *
 * Run: `node --import tsx bench/memory.ts [--quick] [--conns 2000] [--r 3] [--out dir]`.
 */
import { parseArgs } from "node:util";
import { IMPL_LABEL, IMPLS, type Impl, type Snapshot } from "./fanout/ipc.ts";
import { startLoadGen, startServer, stopServer, type LoadGen } from "./fanout/phases.ts";
import { RESULTS_DIR, machineInfo, writeResult } from "./results.ts";
import { fmt, median, ratio, table } from "./stats.ts";

/** The goal for RSS growth per 1000 connections, roomcast / socket.io (not judged in quick mode). */
const TARGET = 0.6;
const WARM_CONNS = 50;
const DEADLINE = 120_000;
const MB = 2 ** 20;

/** The JSON this script writes (bench/bench.ts reads it back). */
export interface MemoryResult {
  kind: "memory";
  summary: { impl: Impl; rssPer1000MB: number; heapPer1000MB: number; baselineRssMB: number }[];
  rssRatio: number;
  heapRatio: number;
  target: number;
}

interface MemoryRun {
  impl: Impl;
  run: number;
  conns: number;
  before: Snapshot;
  after: Snapshot;
  rssPer1000MB: number;
  heapPer1000MB: number;
}

async function measure(lg: LoadGen, impl: Impl, run: number, conns: number, concurrency: number): Promise<MemoryRun> {
  const { server, port } = await startServer(impl, DEADLINE);
  try {
    const connect = (n: number) => lg.request({ cmd: "connect", port, scenario: "idle", n, ramp: 0, concurrency }, "connected", DEADLINE);
    await connect(WARM_CONNS);
    await lg.request({ cmd: "closeAll" }, "closed", DEADLINE);
    const before = (await server.request({ cmd: "snap", gc: true, sockets: 0 }, "snap", DEADLINE)).snap;
    await connect(conns);
    const after = (await server.request({ cmd: "snap", gc: true, sockets: conns }, "snap", DEADLINE)).snap;
    await lg.request({ cmd: "closeAll" }, "closed", DEADLINE);
    return {
      impl,
      run,
      conns,
      before,
      after,
      rssPer1000MB: ((after.rss - before.rss) / MB / conns) * 1000,
      heapPer1000MB: ((after.heapUsed - before.heapUsed) / MB / conns) * 1000,
    };
  } finally {
    await stopServer(server);
  }
}

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    conns: { type: "string" },
    r: { type: "string" },
    concurrency: { type: "string", default: "100" },
    out: { type: "string", default: RESULTS_DIR },
  },
});
const conns = Number(values.conns ?? (values.quick ? "500" : "2000"));
const rounds = Number(values.r ?? (values.quick ? "1" : "3"));
const concurrency = Number(values.concurrency);
if (![conns, rounds, concurrency].every((v) => Number.isInteger(v) && v > 0)) {
  console.error("usage: bench/memory.ts [--quick] [--conns <int>] [--r <int>] [--concurrency <int>] [--out <dir>]");
  process.exit(2);
}

const machine = machineInfo();
const lg = await startLoadGen(DEADLINE);
const runs: MemoryRun[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const impl of round % 2 === 0 ? IMPLS : [...IMPLS].reverse()) {
      const r = await measure(lg, impl, round, conns, concurrency);
      runs.push(r);
      console.log(`memory ${IMPL_LABEL[impl]} run ${round + 1}: RSS +${fmt(r.rssPer1000MB)} MB, heap +${fmt(r.heapPer1000MB)} MB per 1000 connections`);
    }
  }
} catch (err) {
  console.error(`memory benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
lg.send({ cmd: "exit" });
await lg.exited;

const summary = IMPLS.map((impl) => {
  const mine = runs.filter((r) => r.impl === impl);
  return {
    impl,
    rssPer1000MB: median(mine.map((r) => r.rssPer1000MB)),
    heapPer1000MB: median(mine.map((r) => r.heapPer1000MB)),
    baselineRssMB: median(mine.map((r) => r.before.rss / MB)),
  };
});
const [rc, sio] = summary;
const rssRatio = ratio(rc?.rssPer1000MB ?? Number.NaN, sio?.rssPer1000MB ?? Number.NaN);
const heapRatio = ratio(rc?.heapPer1000MB ?? Number.NaN, sio?.heapPer1000MB ?? Number.NaN);
const rows = [["impl", "RSS MB / 1000 conns", "heap MB / 1000 conns", "baseline RSS MB"]];
for (const s of summary) rows.push([IMPL_LABEL[s.impl], fmt(s.rssPer1000MB), fmt(s.heapPer1000MB), fmt(s.baselineRssMB, 1)]);
rows.push([values.quick === true ? "ratio" : `ratio (goal ≤${TARGET})`, fmt(rssRatio), fmt(heapRatio), ""]);
console.log(`\nmemory: growth per 1000 idle connections (${conns} raw clients, GC before each reading), R=${rounds}, medians.\n${table(rows)}\n`);

const json: MemoryResult & Record<string, unknown> = {
  kind: "memory",
  date: new Date().toISOString(),
  machine,
  config: { conns, rounds, warmConns: WARM_CONNS },
  summary,
  rssRatio,
  heapRatio,
  target: TARGET,
  runs,
};
const paths = writeResult(values.out ?? RESULTS_DIR, "memory", "json", `${JSON.stringify(json, null, 2)}\n`);
console.log(`wrote ${paths.join(", ")}`);
