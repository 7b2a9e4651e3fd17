/**
 * Preloaded (`--import`) into a profiled roomcast server by count.ts: pushes every session's
 * ping out of reach. Under valgrind a phase lasts minutes instead of seconds, so the 25 s
 * heartbeat of 1000 sessions would put tens of pings (and their pongs) into every second of a
 * measured phase, a cost that a real phase of a few seconds hardly sees and the bare server does
 * not have at all. Sessions are still queued for their ping, as in production; only the delay
 * of the server's ping queue changes (the open packet still announces the configured interval).
 */
import { Heartbeats } from "../../src/transport/heartbeat.ts";

const QUIET_MS = 2 ** 30;
const start = Heartbeats.prototype.start;
Heartbeats.prototype.start = function startQuietly(this: Heartbeats, target): void {
  // The queue's delay is private: set at run time, before the first entry is queued.
  const pings = (this as unknown as { pings: { delayMs: number } }).pings;
  if (pings.delayMs !== QUIET_MS) pings.delayMs = QUIET_MS;
  start.call(this, target);
};
