/**
 * What every surface provides: an arbitrary of attack cases, a player that runs one case against
 * the target and says what became of each session it attacked, and a readable description.
 */
import type fc from "fast-check";

/** The input surfaces of the server. */
export const SURFACE_NAMES = ["ws-frames", "sio-packets", "polling", "http", "upgrade"] as const;
export type SurfaceName = (typeof SURFACE_NAMES)[number];

/**
 * What became of one attacked session, connection or request (invariant 3). `closed` and
 * `served` are fine; `hang` (no answer and no close within the bound) and `bad` (a 5xx answer, an
 * answer that breaks the protocol) fail the case.
 */
export interface Verdict {
  /** Which session of the case (e.g. "ws#0", "GET#2"). */
  session: string;
  outcome: "closed" | "served" | "hang" | "bad";
  /** How it was decided (close code and reason, HTTP status, the answer seen). */
  how: string;
}

/** Where and how the target listens, and the per-wait bound derived from its timers. */
export interface PlayContext {
  port: number;
  /** Engine path with its trailing slash. */
  path: string;
  pingInterval: number;
  pingTimeout: number;
  /** The bound of one wait for an answer or a close (a hang past it fails the case). */
  waitMs: number;
}

/** One input surface. */
export interface Surface<Case> {
  readonly name: SurfaceName;
  /** Generates (and shrinks) attack cases. */
  readonly arbitrary: fc.Arbitrary<Case>;
  /**
   * Plays the case and closes every connection it opened (sessions it could not close are left to
   * the server's timers). Never rejects for what the server does: that is in the verdicts.
   */
  play(c: Case, ctx: PlayContext): Promise<Verdict[]>;
  /** The case as a reader would want it in a failure report (bytes escaped, long runs cut). */
  describe(c: Case): string;
}

/** A surface whose case type is not known to the caller. */
export type AnySurface = Surface<unknown>;

/** The verdicts that break invariant 3. */
export function failedVerdicts(verdicts: readonly Verdict[]): Verdict[] {
  return verdicts.filter((v) => v.outcome === "hang" || v.outcome === "bad");
}
