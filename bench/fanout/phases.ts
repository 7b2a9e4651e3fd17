/**
 * One measured run: a fresh server process for (scenario, implementation), the shared load
 * generator's clients, the measured phase, and the delivery check.
 */
import { Child } from "./child.ts";
import type { FanoutConfig } from "./config.ts";
import { cpuBetween, type Impl, type LoadCommand, type LoadReply, type ServerCommand, type ServerReply, type Snapshot, type Verdict } from "./ipc.ts";
import { SCENARIOS, type ScenarioDef, type ScenarioId } from "./scenarios.ts";

/** The load generator as the orchestrator sees it. */
export type LoadGen = Child<LoadCommand, LoadReply>;
/** A server process as the orchestrator sees it. */
export type BenchServer = Child<ServerCommand, ServerReply>;

/** A process counts as saturated from this CPU share of one core (%). */
const SATURATED_PCT = 85;

/** The outcome of one run. */
export interface RunRecord {
  scenario: ScenarioId;
  impl: Impl;
  run: number;
  /** Delivery check passed and nothing failed. */
  ok: boolean;
  failure: string | null;
  verdict: Verdict | null;
  /** What `cpuPerUnitUs` and `ratePerSec` count: delivered messages, or connections (ramp). */
  unit: "msg" | "conn";
  /** Intended recipients per broadcast (ramp: clients connected). */
  recipients: number;
  /** Measured units: delivered messages, or connections. */
  units: number;
  cpuUs: number;
  cpuPerUnitUs: number;
  /** The user and system parts of `cpuPerUnitUs` (system time is mostly the write syscalls). */
  userPerUnitUs: number;
  sysPerUnitUs: number;
  wallMs: number;
  ratePerSec: number;
  rssMB: number;
  heapMB: number;
  /** Receive latency (broadcasts) or connect + join latency (ramp), ms. */
  p50Ms: number;
  p99Ms: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  /** "server", "loadgen", "both" or "neither". */
  saturated: string;
}

/** Starts the load generator process and awaits its `ready`. */
export async function startLoadGen(deadlineMs: number): Promise<LoadGen> {
  const lg: LoadGen = new Child("loadgen", "bench/fanout/loadgen.ts", []);
  await lg.next("ready", deadlineMs);
  return lg;
}

/** Starts a server process for `impl` and awaits its port. */
export async function startServer(impl: Impl, deadlineMs: number, fault = ""): Promise<{ server: BenchServer; port: number }> {
  const args = ["--impl", impl, ...(fault ? ["--fault", fault] : [])];
  const server: BenchServer = new Child(`server(${impl})`, "bench/fanout/server.ts", args, [
    "--expose-gc",
    // e.g. BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
    ...(process.env.BENCH_SERVER_FLAGS ?? "").split(" ").filter((flag) => flag.length > 0),
  ], process.env.BENCH_SERVER_EXEC);
  const ready = await server.next("ready", deadlineMs);
  return { server, port: ready.port };
}

/** Asks the server to exit, and kills it if it has not within the deadline. */
export async function stopServer(server: BenchServer): Promise<void> {
  server.send({ cmd: "exit" });
  const deadline = AbortSignal.timeout(5000);
  await new Promise<void>((done) => {
    deadline.addEventListener("abort", () => void server.kill().then(done), { once: true });
    void server.exited.then(() => done());
  });
}

/** A no-op rejection handler for promises awaited later. */
export function ignore(): void {}

/** Which process used at least {@link SATURATED_PCT}% of a core. */
export function saturation(serverPct: number, loadgenPct: number): string {
  const s = serverPct >= SATURATED_PCT;
  const l = loadgenPct >= SATURATED_PCT;
  return s && l ? "both" : s ? "server" : l ? "loadgen" : "neither";
}

/** What the steps of one run share. */
export interface Step {
  cfg: FanoutConfig;
  lg: LoadGen;
  server: BenchServer;
  port: number;
}

/** Runs `count` broadcasts from `from` and awaits delivery to every recipient. */
export async function broadcastPhase(
  s: Step,
  def: ScenarioDef,
  from: number,
  count: number,
  measured: boolean,
): Promise<{ started: Snapshot; ended: Snapshot; lgStart: Snapshot; lgEnd: Snapshot; reached: Extract<LoadReply, { type: "reached" }> }> {
  const d = s.cfg.deadlineMs;
  const burst = def.id === "f" ? s.cfg.burst : def.burst;
  const expecting = await s.lg.request(
    { cmd: "expect", upTo: from + count, measureFrom: measured ? from : from + count, samples: measured ? s.cfg.samples : 1 },
    "expecting",
    d,
  );
  const started = s.server.request({ cmd: "broadcast", kind: def.kind, from, count, burst, gc: measured }, "started", d);
  const sent = s.server.next("sent", d);
  // Awaited below; if an earlier step throws first, their rejection must not go unhandled.
  started.catch(ignore);
  sent.catch(ignore);
  const reached = await withStatus(s.lg, s.lg.next("reached", d));
  const ended = (await s.server.request({ cmd: "snap", gc: false }, "snap", d)).snap;
  await sent;
  return { started: (await started).snap, ended, lgStart: expecting.snap, lgEnd: reached.snap, reached };
}

/** On failure, adds the load generator's view (recipients still pending, first errors). */
export async function withStatus<T>(lg: LoadGen, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (err) {
    const status = await lg.request({ cmd: "status" }, "status", 5000).catch(() => undefined);
    const extra = status ? ` — pending recipients ${status.pending}; errors: ${status.errors.slice(0, 5).join("; ")}` : "";
    throw new Error(`${err instanceof Error ? err.message : String(err)}${extra}`);
  }
}

/**
 * The ordering barrier: every client must get one `end`, then the loadgen checks all counts
 * and closes its clients.
 */
export async function verify(s: Step): Promise<Verdict> {
  const verdict = s.lg.request({ cmd: "expectEnd" }, "verified", s.cfg.deadlineMs);
  verdict.catch(ignore);
  await s.server.request({ cmd: "end" }, "ended", s.cfg.deadlineMs);
  const result = (await withStatus(s.lg, verdict)).verdict;
  await s.lg.request({ cmd: "closeAll" }, "closed", s.cfg.deadlineMs);
  return result;
}

function record(base: Pick<RunRecord, "scenario" | "impl" | "run" | "unit">, m: {
  verdict: Verdict;
  recipients: number;
  units: number;
  cpuFrom: Snapshot;
  cpuTo: Snapshot;
  lgCpuUs: number;
  wallMs: number;
  p50Ms: number;
  p99Ms: number;
}): RunRecord {
  const cpuUs = cpuBetween(m.cpuFrom, m.cpuTo);
  const serverCpuPct = cpuUs / (10 * m.wallMs);
  const loadgenCpuPct = m.lgCpuUs / (10 * m.wallMs);
  return {
    ...base,
    ok: m.verdict.ok,
    failure: m.verdict.ok ? null : `delivery check failed: ${m.verdict.errorCount} error(s)`,
    verdict: m.verdict,
    recipients: m.recipients,
    units: m.units,
    cpuUs,
    cpuPerUnitUs: cpuUs / m.units,
    userPerUnitUs: (m.cpuTo.user - m.cpuFrom.user) / m.units,
    sysPerUnitUs: (m.cpuTo.system - m.cpuFrom.system) / m.units,
    wallMs: m.wallMs,
    ratePerSec: (m.units * 1000) / m.wallMs,
    rssMB: m.cpuTo.rss / 2 ** 20,
    heapMB: m.cpuTo.heapUsed / 2 ** 20,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    serverCpuPct,
    loadgenCpuPct,
    saturated: saturation(serverCpuPct, loadgenCpuPct),
  };
}

/**
 * Runs scenario `id` once against `impl` (a fresh server process) with the shared load
 * generator. Throws if a process fails or a step misses its deadline (the caller then restarts
 * the load generator); a wrong delivery count yields a record with `ok: false`.
 */
export async function runScenario(cfg: FanoutConfig, lg: LoadGen, impl: Impl, id: ScenarioId, run: number): Promise<RunRecord> {
  const def = SCENARIOS[id];
  const { server, port } = await startServer(impl, cfg.deadlineMs, cfg.fault);
  const s: Step = { cfg, lg, server, port };
  const d = cfg.deadlineMs;
  const base = { scenario: id, impl, run, unit: def.ramp ? "conn" : "msg" } as const;
  try {
    const connect: LoadCommand = { cmd: "connect", port, scenario: id, n: cfg.n, ramp: cfg.ramp, concurrency: cfg.concurrency };
    if (def.ramp) {
      const before = (await server.request({ cmd: "snap", gc: true }, "snap", d)).snap;
      const conn = await lg.request(connect, "connected", d);
      const after = (await server.request({ cmd: "snap", gc: false }, "snap", d)).snap;
      // One broadcast to everyone who joined proves the joins took effect.
      await broadcastPhase(s, def, 0, 1, false);
      const verdict = await verify(s);
      return record(base, {
        verdict,
        recipients: conn.clients,
        units: conn.clients,
        cpuFrom: before,
        cpuTo: after,
        lgCpuUs: cpuBetween(conn.start, conn.end),
        wallMs: conn.end.t - conn.start.t,
        p50Ms: conn.latency.p50,
        p99Ms: conn.latency.p99,
      });
    }
    const conn = await lg.request(connect, "connected", d);
    if (cfg.warmup > 0) await broadcastPhase(s, def, 0, cfg.warmup, false);
    const p = await broadcastPhase(s, def, cfg.warmup, cfg.m, true);
    const verdict = await verify(s);
    return record(base, {
      verdict,
      recipients: conn.recipients,
      units: conn.recipients * cfg.m,
      cpuFrom: p.started,
      cpuTo: p.ended,
      lgCpuUs: cpuBetween(p.lgStart, p.lgEnd),
      wallMs: p.reached.lastRecvAt - p.started.t,
      p50Ms: p.reached.latency.p50,
      p99Ms: p.reached.latency.p99,
    });
  } finally {
    await stopServer(server);
  }
}

/** A record for a run that could not complete. */
export function failedRecord(impl: Impl, id: ScenarioId, run: number, err: unknown): RunRecord {
  return {
    scenario: id,
    impl,
    run,
    ok: false,
    failure: err instanceof Error ? err.message : String(err),
    verdict: null,
    unit: SCENARIOS[id].ramp ? "conn" : "msg",
    recipients: 0,
    units: 0,
    cpuUs: Number.NaN,
    cpuPerUnitUs: Number.NaN,
    userPerUnitUs: Number.NaN,
    sysPerUnitUs: Number.NaN,
    wallMs: Number.NaN,
    ratePerSec: Number.NaN,
    rssMB: Number.NaN,
    heapMB: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    serverCpuPct: Number.NaN,
    loadgenCpuPct: Number.NaN,
    saturated: "—",
  };
}
