/**
 * One `process.nextTick` for every session with packets queued this tick.
 *
 * One flush per session per tick, whatever the number of sends (a burst of N messages becomes
 * one transport.send and one corked write), and one tick callback for a whole broadcast rather
 * than one per recipient.
 */

/** A session whose queued packets are to be flushed at the end of the tick. */
export interface TickFlushable {
  /** Flushes what was queued; called once per {@link scheduleTickFlush}. */
  flushOnTick(): void;
}

/** Sessions with packets queued this tick, in the order they were first queued to. */
let dirty: TickFlushable[] = [];

function flushDirty(): void {
  // A flush can queue more (a drain handler sending): those land in a fresh list and tick.
  const sessions = dirty;
  dirty = [];
  for (let i = 0; i < sessions.length; i++) (sessions[i] as TickFlushable).flushOnTick();
}

/**
 * Schedules `session.flushOnTick()` for the end of this tick. The caller schedules each session
 * at most once per tick (it keeps its own "scheduled" flag).
 *
 * @example
 * ```ts
 * if (!this.flushScheduled) { this.flushScheduled = true; scheduleTickFlush(this); }
 * ```
 */
export function scheduleTickFlush(session: TickFlushable): void {
  if (dirty.push(session) === 1) process.nextTick(flushDirty);
}
