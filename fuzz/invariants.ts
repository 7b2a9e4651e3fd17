/**
 * The four invariants every case (and every run) is checked against:
 * 1. the target process had no uncaught exception and no unhandled rejection;
 * 2. the good clients, connected throughout, still receive a broadcast made after the case;
 * 3. every attacked session was closed or is still served, none left hanging;
 * 4. the server returns to its baseline: sessions, sockets per namespace, rooms after each case,
 *    and the heap (after a forced GC) at the end of the run.
 */
import { pause } from "./deadline.ts";
import type { ServerCounters } from "./ipc.ts";
import { failedVerdicts, type Verdict } from "./surfaces/types.ts";
import type { Target } from "./target.ts";

/** Which invariant a failure broke. */
export type InvariantName = "crash" | "broadcast" | "session" | "counters" | "heap" | "harness";

/** A broken invariant (thrown out of a case so that fast-check records and shrinks it). */
export class InvariantError extends Error {
  override readonly name = "InvariantError";
  constructor(
    readonly invariant: InvariantName,
    message: string,
  ) {
    super(`[${invariant}] ${message}`);
  }
}

/** Invariant 1: throws if the target reported a crash or died. */
export function checkAlive(target: Target): void {
  const f = target.failure;
  if (!f) return;
  if (f.crash) throw new InvariantError("crash", `${f.crash.kind} in the server: ${f.crash.stack || f.crash.message}`);
  throw new InvariantError("crash", `the server process exited (code ${String(f.code)}, signal ${String(f.signal)}); stderr: ${f.stderr.slice(-2000)}`);
}

/** Invariant 3: throws if a session hung or got a server error. */
export function checkVerdicts(verdicts: readonly Verdict[]): void {
  const failed = failedVerdicts(verdicts);
  if (failed.length === 0) return;
  throw new InvariantError("session", failed.map((v) => `${v.session}: ${v.outcome} (${v.how})`).join("; "));
}

/** Every difference between two counter snapshots, in words (empty when equal). */
export function countersDiff(baseline: ServerCounters, now: ServerCounters): string[] {
  const diffs: string[] = [];
  if (now.clients !== baseline.clients) diffs.push(`Engine.IO sessions: ${now.clients} (baseline ${baseline.clients})`);
  for (const nsp of new Set([...Object.keys(baseline.sockets), ...Object.keys(now.sockets)])) {
    const before = baseline.sockets[nsp];
    const after = now.sockets[nsp];
    if (before === undefined) diffs.push(`namespace ${JSON.stringify(nsp)} left behind (${after} sockets)`);
    else if (after === undefined) diffs.push(`namespace ${JSON.stringify(nsp)} disappeared`);
    else if (before !== after) diffs.push(`sockets in ${JSON.stringify(nsp)}: ${after} (baseline ${before})`);
  }
  for (const nsp of new Set([...Object.keys(baseline.rooms), ...Object.keys(now.rooms)])) {
    const before = baseline.rooms[nsp] ?? {};
    const after = now.rooms[nsp] ?? {};
    for (const room of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (before[room] !== after[room]) {
        diffs.push(`room ${JSON.stringify(room.slice(0, 64))} of ${JSON.stringify(nsp)}: ${after[room] ?? "absent"} members (baseline ${before[room] ?? "absent"})`);
      }
    }
  }
  return diffs;
}

/**
 * Invariant 4, per case: awaits the server's counters back at `baseline` (sessions closed by the
 * client are released at once; abandoned ones by the server's heartbeat within `boundMs`).
 *
 * @returns how long it took.
 * @throws InvariantError with the remaining differences when the bound passes.
 */
export async function awaitBaseline(target: Target, baseline: ServerCounters, boundMs: number): Promise<number> {
  const started = Date.now();
  let step = 5;
  for (;;) {
    const diffs = countersDiff(baseline, await target.counters());
    if (diffs.length === 0) return Date.now() - started;
    if (Date.now() - started > boundMs) {
      throw new InvariantError("counters", `not back to the baseline ${boundMs} ms after the case: ${diffs.slice(0, 8).join("; ")}${diffs.length > 8 ? ` (+${diffs.length - 8} more)` : ""}`);
    }
    // Polling the server's state, with backoff: this is the bounded wait, not synchronisation.
    await pause(step);
    step = Math.min(step * 2, 200);
  }
}

/** Invariant 4, per run: the heap after a forced GC is within `boundBytes` of the start. */
export function checkHeap(startBytes: number, endBytes: number, boundBytes: number): void {
  if (endBytes - startBytes <= boundBytes) return;
  const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;
  throw new InvariantError("heap", `heapUsed grew from ${mb(startBytes)} to ${mb(endBytes)} (bound +${mb(boundBytes)})`);
}
