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
import type { AnySurface, PlayContext, Verdict } from "./surfaces/types.ts";
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
  /** A defect to plant in the target (the harness's self-test); ignored with `rig`. */
  planted?: PlantedBug;
  /**
   * A target (and good clients) to share between runs, e.g. the surfaces of one test file: it is
   * used as it is (or rebuilt after a failure) and left running for the caller to close.
   */
  rig?: Rig;
  /**
   * The bound of one wait for an answer or a close (default: the ping interval + 3 s, as a held
   * poll is answered at the next ping). Only the self-test, on WebSocket surfaces, shortens it.
   */
  waitMs?: number;
  /** How long the counters may take to return to the baseline after a case (default 12 s). */
  baselineBoundMs?: number;
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
  /** How the attacked sessions ended up (invariant 3): closed or served, over the cases that passed. */
  outcomes: { closed: number; served: number };
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
/** A whole case (all its waits) must end within this many waits, or the harness itself is stuck. */
const CASE_BOUND_FACTOR = 10;

/**
 * The target and its good clients; rebuilt after any failure so no case inherits a broken server.
 * Once a case has failed, a spare target is kept starting in the background: shrinking restarts
 * the target after every failing candidate, and a start costs a couple of seconds.
 */
export class Rig {
  target: Target | undefined;
  good: GoodClients | undefined;
  baseline: ServerCounters | undefined;
  private spare: Promise<Target> | undefined;
  private wantSpare = false;

  /** @param planted - the defect the targets of this rig plant (default none). */
  constructor(private readonly planted: PlantedBug = "none") {}

  /** Where the current target listens, with the bound of one wait. */
  ctx(waitMs: number): PlayContext {
    const t = this.target as Target;
    return { port: t.port, path: t.path, pingInterval: t.pingInterval, pingTimeout: t.pingTimeout, waitMs };
  }

  /** Starts a fresh target and good clients if there is none. */
  async ensure(): Promise<{ target: Target; good: GoodClients; baseline: ServerCounters }> {
    if (!this.target || !this.good || !this.baseline) {
      await this.discard();
      const next = this.spare ?? Target.start(this.planted);
      this.spare = undefined;
      this.target = await next;
      if (this.wantSpare) this.spare = this.startSpare();
      this.good = await GoodClients.connect(this.target);
      this.baseline = await this.target.counters();
    }
    return { target: this.target, good: this.good, baseline: this.baseline };
  }

  /** Stops the target and the good clients (the next ensure() starts or takes another). */
  async discard(): Promise<void> {
    if (this.target) this.wantSpare = true;
    this.good?.close();
    await this.target?.stop();
    this.target = undefined;
    this.good = undefined;
    this.baseline = undefined;
  }

  /** Stops everything; a spare still starting is stopped as soon as it has started. */
  async close(): Promise<void> {
    await this.discard();
    const spare = this.spare;
    this.spare = undefined;
    void spare?.then(
      (t) => t.stop(),
      () => {},
    );
  }

  private startSpare(): Promise<Target> {
    const spare = Target.start(this.planted);
    // Awaited (and its failure reported) only if it is ever used.
    spare.catch(() => {});
    return spare;
  }
}

/** Plays one case and checks the per-case invariants; throws an InvariantError when one breaks. */
async function checkCase(
  rig: Rig,
  surface: AnySurface,
  c: unknown,
  tick: number,
  waitMs: number,
  baselineBoundMs: number,
): Promise<{ baselineMs: number; verdicts: Verdict[] }> {
  const { target, good, baseline } = await rig.ensure();
  let verdicts;
  try {
    verdicts = await withDeadline(surface.play(c, rig.ctx(waitMs)), CASE_BOUND_FACTOR * waitMs, "the case did not finish");
  } catch (err) {
    checkAlive(target);
    throw new InvariantError("harness", err instanceof Error ? err.message : String(err));
  }
  checkAlive(target);
  checkVerdicts(verdicts);
  let baselineMs: number;
  try {
    baselineMs = await awaitBaseline(target, baseline, baselineBoundMs);
  } catch (err) {
    checkAlive(target);
    throw err;
  }
  const lost = await good.checkBroadcast(target, tick);
  checkAlive(target);
  if (lost) throw new InvariantError("broadcast", lost);
  return { baselineMs, verdicts };
}

/** Runs one surface; never throws for what the server does (that is in the report). */
export async function runSurface(cfg: RunConfig): Promise<RunReport> {
  const started = Date.now();
  const rig = cfg.rig ?? new Rig(cfg.planted ?? "none");
  const log = cfg.log ?? (() => {});
  let cases = 0;
  let tick = 0;
  let slowestBaselineMs = 0;
  const outcomes = { closed: 0, served: 0 };
  let firstFailureAt: number | undefined;
  const report = (extra: Partial<RunReport>): RunReport => ({
    surface: cfg.surface.name,
    seed: cfg.seed,
    cases,
    ok: extra.failure === undefined,
    slowestBaselineMs,
    outcomes,
    durationMs: Date.now() - started,
    ...extra,
  });
  try {
    const { target } = await rig.ensure();
    const heapStart = await target.heap();
    /** The case being played (fast-check's time limit returns without waiting for it). */
    let inflight: Promise<void> | undefined;
    /** Set once fast-check returned: a case still in flight then is not fast-check's any more. */
    let checkReturned = false;
    let lateFailure: { err: unknown; c: unknown; index: number } | undefined;
    const playOne = async (c: unknown): Promise<void> => {
      // Past the shrink budget every candidate passes at once: shrinking stops, and the
      // smallest failure found so far is the one reported.
      if (firstFailureAt !== undefined && Date.now() - firstFailureAt > cfg.shrinkTimeMs) return;
      const index = cases++;
      try {
        const { baselineMs, verdicts } = await checkCase(rig, cfg.surface, c, ++tick, cfg.waitMs ?? WAIT_MS, cfg.baselineBoundMs ?? BASELINE_BOUND_MS);
        slowestBaselineMs = Math.max(slowestBaselineMs, baselineMs);
        for (const v of verdicts) if (v.outcome === "closed" || v.outcome === "served") outcomes[v.outcome]++;
      } catch (err) {
        await rig.discard();
        if (checkReturned) {
          lateFailure ??= { err, c, index };
          return;
        }
        if (firstFailureAt === undefined) log(`${cfg.surface.name}: case ${cases} failed, shrinking (up to ${cfg.shrinkTimeMs} ms): ${String(err)}`.slice(0, 400));
        firstFailureAt ??= Date.now();
        throw err;
      }
      if (cases % 50 === 0) log(`${cfg.surface.name}: ${cases} cases, ${Math.round((Date.now() - started) / 1000)} s`);
    };
    const property = fc.asyncProperty(cfg.surface.arbitrary, (c) => {
      const run = playOne(c);
      inflight = run.catch(() => {});
      return run;
    });
    const details = await fc.check(property, {
      seed: cfg.seed,
      numRuns: cfg.numRuns,
      interruptAfterTimeLimit: cfg.timeLimitMs,
      markInterruptAsFailure: false,
      ...(cfg.path === undefined ? {} : { path: cfg.path }),
    });
    checkReturned = true;
    await inflight;
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
    if (lateFailure) {
      // The case that was playing when the time ran out failed: reported as found (not shrunk);
      // its run index is the path that replays it.
      const { err, c, index } = lateFailure;
      return report({
        failure: {
          invariant: err instanceof InvariantError ? err.invariant : "harness",
          message: err instanceof Error ? err.message : String(err),
          counterexample: cfg.surface.describe(c),
          path: String(index),
          shrinks: 0,
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
    if (cfg.rig === undefined) await rig.close();
  }
}
