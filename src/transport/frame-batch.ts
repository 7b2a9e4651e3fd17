/**
 * The broadcast fast path: one list per broadcast message of the recipients that had nothing
 * else to write this tick, written at the end of the tick by handing the message's shared
 * frame to each recipient's socket.
 *
 * Why: through the sessions' own write buffers, a broadcast stored its message in every
 * recipient's {@link Outbox}, scheduled every recipient's flush and, at the end of the tick,
 * ran every recipient's general flush (state, buffer, listener and transport checks) to write
 * one frame. That was most of what roomcast added to a bare `socket.write` per recipient
 * (callgrind, `io.to(room)` with 500 members: ~640 instructions per delivery against ~110 for
 * a bare loop). A batch stores the recipient once, in a list of its own, and its end-of-tick
 * pass does only what that one frame needs.
 *
 * Order and "one write per socket per tick" hold because a session is in a batch only while
 * the batch's message is ALL it has to write this tick: it joins only with an empty buffer and
 * no flush scheduled, and anything else it is sent before the pass (a second broadcast, an own
 * packet, a close) first takes the message back into its buffer, in front
 * ({@link leaveBatch}), and the session goes through its usual flush instead.
 *
 * A session records its batch as a number ({@link BatchMember.batchId}), not a reference: the
 * batch is a young object and the session an old one, and storing such a pointer costs V8 a
 * remembered-set entry per recipient (callgrind: ~50 instructions per delivery).
 */
import type { SharedMessage } from "./frame.ts";
import { scheduleTickFlush, type TickFlushable } from "./tick-flush.ts";

/** {@link BatchMember.batchId} of a session in no batch that may join one. */
export const FREE = 0;
/** {@link BatchMember.batchId} of a session in no batch that may not join one (it has other things to write). */
export const BUSY = -1;

/** What a session gives a batch it joins. */
export interface BatchMember {
  /**
   * @internal Positive: the id of the batch the session is in (set from {@link joinBatch}).
   * {@link FREE}: in none, and free to join one. {@link BUSY}: in none, and not free. The session
   * keeps it; a batch's pass sets it back to FREE before writing the member (it was free when it
   * joined, and anything since would have taken it out of the batch: {@link leaveBatch}).
   */
  batchId: number;
  /**
   * @internal The batch's pass reached this session: writes `frame` (the message's shared
   * WebSocket frame), or queues `message` as a usual send if it cannot be written now.
   */
  writeBatched(message: SharedMessage, frame: Buffer[]): void;
  /** @internal The batch's pass failed before this session: queues `message` as a usual send. */
  queueBatched(message: SharedMessage): void;
}

/**
 * Ids are small integers, never 0, and wrap well before they would stop being small: an id only
 * has to differ from those of the batches still pending, and every pass clears its members'.
 */
const MAX_ID = 0x3fff_ffff;
let lastId = 0;
/** Batches whose pass has not run, by id: a session leaving one early looks it up here. */
const pending = new Map<number, FrameBatch>();
/** A member list of a batch whose pass is over, kept for the next batch (all entries null). */
let spare: Array<BatchMember | null> = [];

/** One broadcast message and the sessions that will be written its frame at the end of the tick. */
export class FrameBatch implements TickFlushable {
  readonly id: number;
  readonly message: SharedMessage;
  /** Members [0, count) in joining order; entries are nulled by the pass. */
  private members: Array<BatchMember | null>;
  private count = 0;
  /** True once the pass has started: later recipients of the message need a new batch. */
  done = false;

  private constructor(id: number, message: SharedMessage) {
    this.id = id;
    this.message = message;
    this.members = spare;
    spare = [];
  }

  /** Opens a batch for `message` and schedules its pass for the end of the tick. */
  static open(message: SharedMessage): FrameBatch {
    lastId = lastId === MAX_ID ? 1 : lastId + 1;
    const batch = new FrameBatch(lastId, message);
    pending.set(batch.id, batch);
    scheduleTickFlush(batch);
    return batch;
  }

  /** Adds a member (the caller sets its batchId: {@link SharedMessage.joinBatch}). */
  add(member: BatchMember): void {
    // At most one past the end: the list grows by one, or reuses a slot of an earlier batch.
    this.members[this.count++] = member;
  }

  /** @internal The end-of-tick pass: every member still in the batch is written the frame. */
  flushOnTick(): void {
    this.done = true;
    pending.delete(this.id);
    const message = this.message;
    const members = this.members;
    const count = this.count;
    const id = this.id;
    let i = 0;
    try {
      const frame = message.wsFrame();
      for (; i < count; i++) {
        const member = members[i] as BatchMember;
        members[i] = null;
        // Left early (its message went back to its own buffer).
        if (member.batchId !== id) continue;
        member.batchId = 0; // FREE, as a literal (see BufferedSession.sendShared)
        member.writeBatched(message, frame);
      }
    } finally {
      // A throwing write must not leave the members after it in a batch that no longer runs:
      // their message goes back to their own buffers, which flush as usual.
      for (let j = i + 1; j < count; j++) {
        const member = members[j] as BatchMember;
        members[j] = null;
        if (member.batchId === id) member.queueBatched(message);
      }
      this.members = [];
      spare = members;
    }
  }
}

/**
 * The message of the batch `member` is in (`member.batchId` > 0), which the member takes back
 * (it is sent something else in the same tick, or is closing) to queue in front of anything
 * else; null if the batch is gone. The member then sets its batchId (the pass skips it).
 */
export function leaveBatch(member: BatchMember): SharedMessage | null {
  const batch = pending.get(member.batchId);
  return batch === undefined ? null : batch.message;
}
