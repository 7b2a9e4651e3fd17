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

// Two lists, swapped at every pass and reused: a broadcast schedules one session per recipient,
// and a list built afresh each tick grew by reallocation to the room's size (the copies and the
// garbage, per recipient). Entries past the count are null: a list never holds a session after
// its pass. V8 drops an array's backing store when its length is set to 0, hence the counts.
/** Sessions with packets queued this tick: entries [0, dirtyCount) of it, in scheduling order. */
let dirty: Array<TickFlushable | null> = [];
let dirtyCount = 0;
/** The other list: empty (all null), ready to become `dirty` at the next pass. */
let spare: Array<TickFlushable | null> = [];

function flushDirty(): void {
  // A flush can queue more (a drain handler sending): those land in the other list and tick.
  const sessions = dirty;
  const count = dirtyCount;
  dirty = spare;
  dirtyCount = 0;
  let i = 0;
  try {
    for (; i < count; i++) {
      const session = sessions[i] as TickFlushable;
      sessions[i] = null;
      session.flushOnTick();
    }
  } finally {
    // A throwing flush (a `flush` listener) must not strand the sessions after it: they keep
    // their "scheduled" flag, so they go to the next pass.
    for (let j = i + 1; j < count; j++) {
      scheduleTickFlush(sessions[j] as TickFlushable);
      sessions[j] = null;
    }
    spare = sessions;
  }
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
  if (dirtyCount === 0) process.nextTick(flushDirty);
  // At most one past the end: the list grows by one, or reuses a slot of an earlier pass.
  dirty[dirtyCount++] = session;
}
