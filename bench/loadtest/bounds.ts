/**
 * The load test's time bounds: how many clients may be in their handshake at once, and how
 * long each phase — and so the whole run — can take at most, whatever the server does.
 */
import type { LoadTestOptions } from "./options.ts";

/**
 * Connections in their handshake at once, whatever the ramp: below Node's default listen
 * backlog (511), so a slow server makes the ramp wait instead of dropping SYNs into retries.
 */
export const MAX_IN_FLIGHT = 500;
/** How long closing every connection may take before the rest are cut. */
export const CLOSE_GRACE_MS = 3_000;
/** Slack on top of the sum of the phases' bounds, for the run's deadline (late timers, a busy loop). */
export const DEADLINE_SLACK_MS = 15_000;

/**
 * The longest the connect ramp can take: the probe, then clients 1…N-1. Client k starts no
 * earlier than k / ramp s, and no later than when every client up to k - MAX_IN_FLIGHT has
 * settled (fewer than MAX_IN_FLIGHT are then in their handshake); each settles (ready, or
 * failed by its timeout) within the connect timeout T. By induction client k has settled by
 * k / ramp + ceil(k / MAX_IN_FLIGHT) × T.
 *
 * A server slower than the ramp (the cap, not the ramp rate, sets the pace then) takes longer
 * than N / ramp; only a server that lets whole batches time out takes this long.
 */
export function rampBoundMs(opts: Pick<LoadTestOptions, "clients" | "ramp" | "connectTimeoutS">): number {
  const others = opts.clients - 1;
  const timeoutMs = opts.connectTimeoutS * 1_000;
  return timeoutMs + (others / opts.ramp) * 1_000 + Math.ceil(others / MAX_IN_FLIGHT) * timeoutMs;
}

/** The run's deadline: the sum of its phases' bounds (ramp, traffic, drain, close) plus slack. */
export function runDeadlineMs(opts: Pick<LoadTestOptions, "clients" | "ramp" | "connectTimeoutS" | "durationS" | "drainS">): number {
  return rampBoundMs(opts) + opts.durationS * 1_000 + opts.drainS * 1_000 + CLOSE_GRACE_MS + DEADLINE_SLACK_MS;
}
