/**
 * Runs one surface under fast-check: generates cases from a seed, plays each against the target
 * child, checks the invariants after each, shrinks a failing case (within a time budget), and
 * checks the heap at the end. Used by the CLI (run.ts) and by the tests (test/fuzz/).
 */
import fc from "fast-check";
import { withDeadline } from "./deadline.ts";
import { GoodClients } from "./good-clients.ts";
import { awaitBaseline, checkAlive, checkHeap, checkVerdicts, InvariantError, type InvariantName } from "./invariants.ts";
import { TARGET_TIMERS, type PlantedBug, type ServerCounters } from "./ipc.ts";
import type { AnySurface, PlayContext } from "./surfaces/types.ts";
import { Target } from "./target.ts";

/** How to run a surface. */
export interface RunConfig {
  surface: AnySurface;
  seed: number;
  /** At most this many cases. */
  numRuns: number;
  /** Stop generating new cases after this long (the run then passes if nothing failed). */
  timeLimitMs: number;
  /** Stop shrinking a failure after this long (the smallest failing case so far is reported). */
  shrinkTimeMs: number;
  /** Replay from a fast-check path (printed with a failure) instead of exploring. */
  path?: string;
  /** A defect to plant in the target (the harness's self-test). */
  planted?: PlantedBug;
  /** Allowed heap growth over the run, in bytes (default 20 MB). */
  heapBoundBytes?: number;
  /** Progress lines (none by default). */
  log?: (line: string) => void;
}

/** What a run found. */
export interface RunReport {
  surface: string;
  seed: number;
  /** Cases played (shrinking included). */
  cases: number;
  ok: boolean;
  /** Slowest return of the counters to the baseline after a case, in ms. */
  slowestBaselineMs: number;
  heap?: { startBytes: number; endBytes: number };
  failure?: {
    invariant: InvariantName;
    message: string;
    /** The (shrunk) failing case, described; absent for the per-run heap check. */
    counterexample?: string;
    /** fast-check's path to replay the counterexample with the same seed. */
    path?: string;
    shrinks: number;
  };
  durationMs: number;
}

/** The bound of one wait for an answer or a close. */
const WAIT_MS = TARGET_TIMERS.pingInterval + 3000;
/** Abandoned sessions are reaped by the heartbeat or the connect timeout within this. */
const BASELINE_BOUND_MS = TARGET_TIMERS.pingInterval + TARGET_TIMERS.pingTimeout + TARGET_TIMERS.connectTimeout + 2000;
/** A whole case (all its waits) must end within this, or the harness itself is stuck. */
const CASE_BOUND_MS = 10 * WAIT_MS;

/** The target and its good clients; rebuilt after any failure so no case inherits a broken server. */
class Rig {
  target: Target | undefined;
  good: GoodClients | undefined;
  baseline: ServerCounters | undefined;
  starts = 0;

  constructor(private readonly planted: PlantedBug) {}

  get ctx(): PlayContext {
    const t = this.target as Target;
    return { port: t.port, path: t.path, pingInterval: t.pingInterval, pingTimeout: t.pingTimeout, waitMs: WAIT_MS };
  }

  /** Starts a fresh target and good clients if there is none. */
  async ensure(): Promise<{ target: Target; good: GoodClients; baseline: ServerCounters }> {
    if (!this.target || !this.good || !this.baseline) {
      await this.discard();
      this.starts++;
      this.target = await Target.start(this.planted);
      this.good = await GoodClients.connect(this.target);
      this.baseline = await this.target.counters();
    }
    return { target: this.target, good: this.good, baseline: this.baseline };
  }

  /** Stops the target and the good clients (the next ensure() starts new ones). */
  async discard(): Promise<void> {
    this.good?.close();
    await this.target?.stop();
    this.target = undefined;
    this.good = undefined;
    this.baseline = undefined;
  }
}

/** Plays one case and checks the per-case invariants; throws an InvariantError when one breaks. */
async function checkCase(rig: Rig, surface: AnySurface, c: unknown, tick: number): Promise<number> {
  const { target, good, baseline } = await rig.ensure();
  let verdicts;
  try {
    verdicts = await withDeadline(surface.play(c, rig.ctx), CASE_BOUND_MS, "the case did not finish");
  } catch (err) {
    checkAlive(target);
    throw new InvariantError("harness", err instanceof Error ? err.message : String(err));
  }
  checkAlive(target);
  checkVerdicts(verdicts);
  let baselineMs: number;
  try {
    baselineMs = await awaitBaseline(target, baseline, BASELINE_BOUND_MS);
  } catch (err) {
    checkAlive(target);
    throw err;
  }
  const lost = await good.checkBroadcast(target, tick);
  checkAlive(target);
  if (lost) throw new InvariantError("broadcast", lost);
  return baselineMs;
}

/** Runs one surface; never throws for what the server does (that is in the report). */
export async function runSurface(cfg: RunConfig): Promise<RunReport> {
  const started = Date.now();
  const rig = new Rig(cfg.planted ?? "none");
  const log = cfg.log ?? (() => {});
  let cases = 0;
  let tick = 0;
  let slowestBaselineMs = 0;
  let firstFailureAt: number | undefined;
  const report = (extra: Partial<RunReport>): RunReport => ({
    surface: cfg.surface.name,
    seed: cfg.seed,
    cases,
    ok: extra.failure === undefined,
    slowestBaselineMs,
    durationMs: Date.now() - started,
    ...extra,
  });
  try {
    const { target } = await rig.ensure();
    const heapStart = await target.heap();
    const property = fc.asyncProperty(cfg.surface.arbitrary, async (c) => {
      // Past the shrink budget every candidate passes at once: shrinking stops, and the
      // smallest failure found so far is the one reported.
      if (firstFailureAt !== undefined && Date.now() - firstFailureAt > cfg.shrinkTimeMs) return;
      cases++;
      try {
        const ms = await checkCase(rig, cfg.surface, c, ++tick);
        slowestBaselineMs = Math.max(slowestBaselineMs, ms);
      } catch (err) {
        if (firstFailureAt === undefined) log(`${cfg.surface.name}: case ${cases} failed, shrinking (up to ${cfg.shrinkTimeMs} ms): ${String(err)}`.slice(0, 400));
        firstFailureAt ??= Date.now();
        await rig.discard();
        throw err;
      }
      if (cases % 50 === 0) log(`${cfg.surface.name}: ${cases} cases, ${Math.round((Date.now() - started) / 1000)} s`);
    });
    const details = await fc.check(property, {
      seed: cfg.seed,
      numRuns: cfg.numRuns,
      interruptAfterTimeLimit: cfg.timeLimitMs,
      markInterruptAsFailure: false,
      ...(cfg.path === undefined ? {} : { path: cfg.path }),
    });
    if (details.failed) {
      const err = details.errorInstance;
      const c = details.counterexample?.[0];
      return report({
        failure: {
          invariant: err instanceof InvariantError ? err.invariant : "harness",
          message: err instanceof Error ? err.message : String(err),
          ...(c === undefined ? {} : { counterexample: cfg.surface.describe(c) }),
          ...(details.counterexamplePath === null ? {} : { path: details.counterexamplePath }),
          shrinks: details.numShrinks,
        },
      });
    }
    // The heap check needs the same target from start to end (a restart happens only on failure).
    const end = await rig.ensure();
    if (end.target !== target) return report({});
    const heapEnd = await target.heap();
    try {
      checkHeap(heapStart.heapUsed, heapEnd.heapUsed, cfg.heapBoundBytes ?? 20 * 1048576);
    } catch (err) {
      if (!(err instanceof InvariantError)) throw err;
      return report({ heap: { startBytes: heapStart.heapUsed, endBytes: heapEnd.heapUsed }, failure: { invariant: "heap", message: err.message, shrinks: 0 } });
    }
    return report({ heap: { startBytes: heapStart.heapUsed, endBytes: heapEnd.heapUsed } });
  } catch (err) {
    return report({ failure: { invariant: "harness", message: err instanceof Error ? (err.stack ?? err.message) : String(err), shrinks: 0 } });
  } finally {
    await rig.discard();
  }
}
