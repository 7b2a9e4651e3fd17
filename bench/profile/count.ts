/**
 * A profiling aid, not a benchmark: runs one fan-out scenario against one server implementation
 * with the server process under a counting tool, and prints what the tool counted over the
 * measured phase only, per delivered message (or per connection for the ramp, d).
 *
 * - `--tool callgrind`: user-space instructions (valgrind --tool=callgrind), zeroed just before
 *   the phase and dumped just after it with `callgrind_control`. Unlike CPU time, instruction
 *   counts do not move with the load other processes put on the machine, so a change of a few
 *   percent per recipient can be seen on a busy 2-core machine. Kernel work (the write syscalls)
 *   is not counted: it is the same per write for every server.
 * - `--tool strace`: system calls by name (`strace -c -f`), attached for the phase only.
 * - `--tool perf`: `perf stat` software counters (task clock, page faults, context switches),
 *   attached for the phase only.
 * - `--tool none`: the server runs plainly (a check that the driver itself works).
 *
 * The clients are the fan-out benchmark's own load generator (bench/fanout/loadgen.ts, run
 * natively), the server is bench/fanout/server.ts, and the delivery check runs as in the
 * benchmark. Both are reused unchanged.
 *
 * @example
 * node --import tsx bench/profile/count.ts --impl roomcast --scenario b --tool callgrind
 */
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../results.ts";
import { selfCosts } from "./callgrind-js.ts";
import type { LoadCommand, LoadReply, ServerCommand, ServerReply } from "../fanout/ipc.ts";
import { startLoadGen, type LoadGen } from "../fanout/phases.ts";
import { SCENARIOS, parseScenarioList } from "../fanout/scenarios.ts";

const { values } = parseArgs({
  options: {
    impl: { type: "string", default: "roomcast" },
    scenario: { type: "string", default: "a" },
    tool: { type: "string", default: "callgrind" },
    n: { type: "string", default: "1000" },
    m: { type: "string", default: "50" },
    warmup: { type: "string", default: "100" },
    // The ramp's defaults are the timed benchmark's (bench/fanout/config.ts and phases.ts): 2000
    // clients, 100 connecting at once, into a fresh server with no warm-up wave, so that the
    // count covers what the timed ramp pays, compiling the connection path included.
    ramp: { type: "string", default: "2000" },
    "ramp-warmup": { type: "string", default: "0" },
    concurrency: { type: "string", default: "100" },
    top: { type: "string", default: "0" },
    "node-flags": { type: "string", default: "" },
    "valgrind-flags": { type: "string", default: "" },
    keep: { type: "string" },
  },
});

const impl = values.impl ?? "roomcast";
const scenario = parseScenarioList(values.scenario ?? "a")[0] ?? "a";
const def = SCENARIOS[scenario];
const tool = values.tool ?? "callgrind";
const n = Number(values.n);
const m = Number(values.m);
const warmup = Number(values.warmup);
const ramp = Number(values.ramp);
const rampWarmup = Number(values["ramp-warmup"]);
const concurrency = Number(values.concurrency);
/** With callgrind: print the N functions with the most self instructions (JIT code named). */
const top = Number(values.top);
/**
 * Extra valgrind flags, e.g. `--valgrind-flags=--dump-instr=yes` for costs per instruction (with
 * `--keep` and node's `--print-opt-code`, the hot instructions of a JIT function can be read).
 */
const valgrindFlags = (values["valgrind-flags"] ?? "").split(" ").filter((f) => f !== "");
/** Valgrind slows the server 20–50×: generous watchdogs. */
const DEADLINE = 30 * 60_000;
/** V8's garbage collector, by C++ symbol (scavenges, marking, sweeping, evacuation, barriers' slow paths). */
const GC_FUNCTION = /Scaveng|Marking|MarkCompact|Sweep|Heap::|Evacuat|heap::base|RememberedSet|SlotSet|Pretenuring|BodyDescriptor|IterateObjectCache|IncrementalMarking|Visitor|FreeList|PagedSpace|SemiSpace/;
/** Its major part: marking (incremental steps included) and sweeping. */
const MAJOR_GC_FUNCTION = /Mark|Sweep|IterateObjectCache/;
/** Broadcasts between the GC and the counted phase. */
const SETTLE = 30;
const outDir = mkdtempSync(join(tmpdir(), "roomcast-count-"));
let dumpFile: string | undefined;

/** The server process, possibly wrapped by valgrind; speaks server.ts's IPC. */
class ServerProc {
  readonly proc: ChildProcess;
  private readonly inbox: ServerReply[] = [];
  private waiter: { type: string; done: (r: ServerReply) => void } | undefined;

  constructor() {
    const wrapped = tool === "callgrind";
    // --single-threaded: no helper threads, so their work (GC, compiling) lands in the count in
    // a repeatable order.
    const quiet = impl.startsWith("roomcast") ? ["--import", resolve(REPO_ROOT, "bench/profile/quiet-heartbeat.ts")] : [];
    const nodeArgs = ["--import", "tsx", ...quiet, "--expose-gc", ...(wrapped ? ["--single-threaded"] : []), ...(top > 0 ? ["--perf-basic-prof"] : []),
      ...(values["node-flags"] ?? "").split(" ").filter((f) => f !== "")];
    this.proc = fork(resolve(REPO_ROOT, "bench/fanout/server.ts"), ["--impl", impl], {
      cwd: REPO_ROOT,
      // fork runs `execPath ...execArgv module args`: valgrind then runs node with them.
      execPath: wrapped ? "valgrind" : process.execPath,
      execArgv: wrapped
        ? ["--tool=callgrind", "--quiet", `--callgrind-out-file=${outDir}/cg.%p`, ...valgrindFlags, process.execPath, ...nodeArgs]
        : nodeArgs,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.proc.on("message", (msg: ServerReply) => {
      if (msg.type === "error") throw new Error(`server: ${msg.message}`);
      if (this.waiter !== undefined && this.waiter.type === msg.type) {
        const w = this.waiter;
        this.waiter = undefined;
        w.done(msg);
      } else this.inbox.push(msg);
    });
  }

  next<T extends ServerReply["type"]>(type: T): Promise<Extract<ServerReply, { type: T }>> {
    const i = this.inbox.findIndex((r) => r.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Extract<ServerReply, { type: T }>);
    return new Promise((done) => {
      this.waiter = { type, done: done as (r: ServerReply) => void };
    });
  }

  request<T extends ServerReply["type"]>(cmd: ServerCommand, type: T): Promise<Extract<ServerReply, { type: T }>> {
    const reply = this.next(type);
    this.proc.send(cmd);
    return reply;
  }
}

/** Starts counting (callgrind: zero the counters; strace: attach). Returns the stop function. */
function startCounting(pid: number): () => Promise<string> {
  if (tool === "callgrind") {
    execFileSync("callgrind_control", ["-z", String(pid)], { stdio: "ignore" });
    return async () => {
      execFileSync("callgrind_control", ["-d", "phase", String(pid)], { stdio: "ignore" });
      // The dump on request is the process's file name with a sequence number appended.
      const file = readdirSync(outDir).find((f) => /\.\d+\.\d+$/.test(f));
      if (file === undefined) throw new Error(`no callgrind dump in ${outDir}`);
      const text = readFileSync(join(outDir, file), "utf8");
      const total = /^(?:totals|summary): (\d+)/m.exec(text);
      dumpFile = join(outDir, file);
      return total?.[1] ?? "?";
    };
  }
  if (tool === "strace") {
    const out = join(outDir, "strace.txt");
    const strace = spawn("strace", ["-c", "-f", "-o", out, "-p", String(pid)], { stdio: "ignore" });
    // strace reports on stderr once attached; give it time to attach every thread.
    execFileSync("sleep", ["1"]);
    return async () => {
      const exited = new Promise((done) => strace.once("exit", done));
      strace.kill("SIGINT");
      await exited;
      return readFileSync(out, "utf8");
    };
  }
  if (tool === "perf") {
    // Software counters only (no kernel symbols needed): page faults and context switches say
    // whether a server's extra system time comes from memory it touches or from how it sleeps.
    const out = join(outDir, "perf.txt");
    const perf = spawn("perf", ["stat", "-e", "task-clock,page-faults,context-switches,cpu-migrations", "-o", out, "-p", String(pid)], { stdio: "ignore" });
    execFileSync("sleep", ["1"]);
    return async () => {
      const exited = new Promise((done) => perf.once("exit", done));
      perf.kill("SIGINT");
      await exited;
      return readFileSync(out, "utf8");
    };
  }
  return () => Promise.resolve("(no tool)");
}

async function broadcastPhase(lg: LoadGen, server: ServerProc, from: number, count: number): Promise<void> {
  await lg.request({ cmd: "expect", upTo: from + count, measureFrom: from + count, samples: 1 }, "expecting", DEADLINE);
  const reached = lg.next("reached", DEADLINE);
  await server.request({ cmd: "broadcast", kind: def.kind, from, count, burst: def.burst, gc: false }, "started");
  await server.next("sent");
  await reached;
}

function connectCmd(port: number, clients: number): LoadCommand {
  return { cmd: "connect", port, scenario, n, ramp: clients, concurrency };
}

const t0 = Date.now();
function progress(step: string): void {
  console.error(`[${impl} ${scenario} +${((Date.now() - t0) / 1000).toFixed(0)}s] ${step}`);
}

async function main(): Promise<void> {
  const lg = await startLoadGen(DEADLINE);
  const server = new ServerProc();
  const { port } = await server.next("ready");
  const pid = server.proc.pid as number;
  let units: number;
  let result: string;
  if (def.ramp) {
    // The ramp. With --ramp-warmup N, a first wave of N (unmeasured, then closed) warms the
    // connection path up before the counted one: the steady cost of a connection, without most of
    // the compiling. The timed benchmark has no such wave (the default, 0).
    if (rampWarmup > 0) {
      await lg.request(connectCmd(port, rampWarmup), "connected", DEADLINE);
      await lg.request({ cmd: "closeAll" }, "closed", DEADLINE);
    }
    await server.request({ cmd: "snap", gc: true, sockets: 0 }, "snap");
    const stop = startCounting(pid);
    const conn: Extract<LoadReply, { type: "connected" }> = await lg.request(connectCmd(port, ramp), "connected", DEADLINE);
    await server.request({ cmd: "snap", gc: false, sockets: ramp }, "snap");
    result = await stop();
    units = conn.clients;
    await broadcastPhase(lg, server, 0, 1);
  } else {
    progress("connecting");
    const conn = await lg.request(connectCmd(port, ramp), "connected", DEADLINE);
    progress("warming up");
    await broadcastPhase(lg, server, 0, warmup);
    // A full GC deoptimises code that embeds objects it frees; a few more broadcasts after it
    // let that code be optimised again before counting starts.
    await server.request({ cmd: "snap", gc: true }, "snap");
    await broadcastPhase(lg, server, warmup, SETTLE);
    progress("measuring");
    const stop = startCounting(pid);
    await broadcastPhase(lg, server, warmup + SETTLE, m);
    result = await stop();
    progress("measured");
    units = conn.recipients * m;
  }
  const verdict = lg.request({ cmd: "expectEnd" }, "verified", DEADLINE);
  await server.request({ cmd: "end" }, "ended");
  const v = (await verdict).verdict;
  server.proc.send({ cmd: "exit" });
  await new Promise((done) => server.proc.once("exit", done));
  lg.send({ cmd: "exit" });
  const unit = def.ramp ? "connection" : "delivered message";
  if (tool === "callgrind") {
    const ir = Number(result);
    console.log(`${impl} ${scenario}: ${ir} instructions / ${units} = ${(ir / units).toFixed(1)} per ${unit}; delivery ${v.ok ? "ok" : "FAILED"}`);
    if (dumpFile !== undefined) {
      const costs = selfCosts(dumpFile, top > 0 ? `/tmp/perf-${pid}.map` : undefined);
      const sum = (match: (name: string) => boolean): number => costs.filter(([name]) => match(name)).reduce((total, [, c]) => total + c, 0);
      // TurboFan compiling on the main thread (--single-threaded) is warm-up left over, not a per-message cost.
      const compile = sum((name) => name.startsWith("v8::internal::compiler::"));
      console.log(`  of which TurboFan compiling: ${(compile / units).toFixed(1)}; without it: ${((ir - compile) / units).toFixed(1)}`);
      // Garbage collection apart, and its major part (incremental marking, sweeping) apart again:
      // whether one mark-compact falls inside the phase or just after it moves a ramp's total by
      // several percent between identical runs (seen: ±8% for the same server and command), and
      // the write barriers of incremental marking move the rest by about 2%. Compare runs with
      // and without one separately.
      const gc = sum((name) => !name.startsWith("v8::internal::compiler::") && GC_FUNCTION.test(name));
      const major = sum((name) => !name.startsWith("v8::internal::compiler::") && MAJOR_GC_FUNCTION.test(name));
      console.log(
        `  of which garbage collection: ${(gc / units).toFixed(1)} (marking and sweeping: ${(major / units).toFixed(1)}); without TurboFan and GC: ${((ir - compile - gc) / units).toFixed(1)}`,
      );
      for (const [name, cost] of costs.slice(0, top)) console.log(`${(cost / units).toFixed(1).padStart(9)}  ${name}`);
    }
  } else {
    console.log(`${impl} ${scenario}: ${units} ${unit}s; delivery ${v.ok ? "ok" : "FAILED"}\n${result}`);
  }
  if (!v.ok) process.exitCode = 1;
  // --keep <dir>: the dump and V8's perf map, for reading further (callgrind_annotate, inclusive costs).
  if (values.keep !== undefined && dumpFile !== undefined) {
    mkdirSync(values.keep, { recursive: true });
    copyFileSync(dumpFile, join(values.keep, `callgrind.${impl}.${scenario}`));
    if (existsSync(`/tmp/perf-${pid}.map`)) copyFileSync(`/tmp/perf-${pid}.map`, join(values.keep, `perf.${impl}.${scenario}.map`));
  }
  rmSync(outDir, { recursive: true, force: true });
  rmSync(`/tmp/perf-${pid}.map`, { force: true });
}

await main();
