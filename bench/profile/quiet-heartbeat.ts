/**
 * Preloaded (`--import`) into a profiled roomcast server by count.ts: pushes every session's
 * ping interval out of reach. Under valgrind a phase lasts minutes instead of seconds, so the
 * 25 s heartbeat of 1000 sessions would put tens of pings (and their pongs) into every second
 * of a measured phase, a cost that a real phase of a few seconds hardly sees and the bare
 * server does not have at all. Timers are still armed per connection, as in production.
 */
import { Heartbeat } from "../../src/transport/heartbeat.ts";

const start = Heartbeat.prototype.start;
Heartbeat.prototype.start = function startQuietly(this: Heartbeat): void {
  (this as unknown as { interval: number }).interval = 2 ** 30;
  start.call(this);
};
