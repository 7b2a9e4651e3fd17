/**
 * Instruction counts of the measured phase when the bench server runs under
 * `valgrind --tool=callgrind` (BENCH_SERVER_EXEC = a wrapper that execs valgrind on node,
 * BENCH_CALLGRIND = a JSON-lines file to append results to). Counts are repeatable whatever
 * else the machine does, unlike CPU time on a loaded 2-core machine. User space only: the
 * kernel's share of each write is not counted, so a relative difference here is an upper bound
 * on the relative difference in CPU per delivered message.
 *
 * Usage (a few minutes: valgrind slows the server ~30×; keep N and M small):
 *   mkdir -p /tmp/cg && BENCH_SERVER_EXEC=bench/fanout/callgrind-node.sh \
 *   BENCH_CALLGRIND=/tmp/cg/results.jsonl BENCH_SERVER_FLAGS=--single-threaded \
 *   node --import tsx bench/fanout/run.ts --impls roomcast --scenarios a --n 500 --m 60 \
 *     --warmup 60 --r 3 --deadline 900000
 * Each measured phase appends {impl, kind, count, ir} (ir = instructions) to the results file;
 * instructions per delivered message = ir / (count × recipients). `--single-threaded` keeps
 * V8's compiler and GC threads from landing at different moments in different runs, and the
 * server's heartbeat is stretched so no ping round falls inside a slowed-down phase.
 */
import { execFile } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const resultsFile = process.env.BENCH_CALLGRIND;
let pending: { impl: string; kind: string; count: number } | undefined;

/** Zeroes callgrind's counters at the start of a measured phase. */
export async function callgrindZero(impl: string, kind: string, count: number): Promise<void> {
  if (!resultsFile) return;
  await run("callgrind_control", ["-z", String(process.pid)]);
  pending = { impl, kind, count };
}

/** Dumps the counters after a measured phase and appends the total to the results file. */
export async function callgrindDump(): Promise<void> {
  if (!resultsFile || !pending) return;
  const phase = pending;
  pending = undefined;
  await run("callgrind_control", ["-d", String(process.pid)]);
  const dir = process.env.BENCH_CALLGRIND_DIR ?? "/tmp/cg";
  const mine = readdirSync(dir)
    .filter((f) => basename(f).includes(`.${process.pid}`))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const newest = mine[0];
  if (!newest) return;
  const text = readFileSync(newest, "utf8");
  const totals = /^(?:totals|summary): (\d+)/m.exec(text);
  appendFileSync(resultsFile, JSON.stringify({ ...phase, pid: process.pid, file: newest, ir: Number(totals?.[1] ?? NaN) }) + "\n");
}
