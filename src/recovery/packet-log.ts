/**
 * The in-memory packet log of one namespace: a ring of the most recent broadcasts, bounded by
 * count and by age, indexed by a monotonic sequence number.
 *
 * socket.io keeps an array that a restore searches linearly for the client's offset and that a
 * timer prunes every 60 s (so it holds up to a minute more than asked, without a size bound).
 * Here an entry's sequence number is its position: finding the client's place is one
 * subtraction, and old entries leave from the head as new ones arrive (amortised O(1) per
 * append, nothing scanned).
 *
 * The two bounds mean different things for a replay. An entry that aged out (older than the
 * retention) was sent before the client's connection could have failed unnoticed, so a client
 * that can still resume received it or was not meant to. An entry pushed out by the count
 * bound may have been missed: a client whose offset is older than it cannot be resumed.
 */
import type { Room } from "../rooms/types.ts";
import type { LoggedPacket } from "./types.ts";

/** One logged broadcast. */
export interface LogEntry extends LoggedPacket {
  /** Its sequence number: the previous entry's plus one. */
  readonly seq: number;
  /** When it was logged (ms since the epoch). */
  readonly at: number;
}

/** The first allocation: grown by doubling up to `maxPackets`, so a quiet namespace stays small. */
const INITIAL_CAPACITY = 64;

/**
 * A bounded ring of {@link LogEntry}.
 *
 * @example
 * const log = new PacketLog(10_000, 120_000);
 * const entry = log.append(["chat", "hi", "x.1"], new Set(["room"]), undefined, Date.now());
 * log.after(entry.seq - 1); // [entry]
 */
export class PacketLog {
  private ring: Array<LogEntry | undefined>;
  /** Index in `ring` of the oldest entry. */
  private head = 0;
  private count = 0;
  /** Sequence number of the oldest entry (of the next one when the log is empty). */
  private firstSeq = 1;
  /** The highest sequence number pushed out by the count bound (0: none). */
  private lostSeq = 0;

  /**
   * @param maxPackets - the most entries kept.
   * @param retention - ms an entry is kept.
   */
  constructor(
    readonly maxPackets: number,
    readonly retention: number,
  ) {
    this.ring = new Array<LogEntry | undefined>(Math.min(INITIAL_CAPACITY, maxPackets));
  }

  /** The number of entries held. */
  get size(): number {
    return this.count;
  }

  /** The sequence number of the last entry appended (0 before the first). */
  get lastSeq(): number {
    return this.firstSeq + this.count - 1;
  }

  /** When the oldest entry held leaves by age, or undefined when empty. */
  get nextExpiry(): number | undefined {
    const oldest = this.ring[this.head];
    return this.count === 0 || oldest === undefined ? undefined : oldest.at + this.retention;
  }

  /** Appends a broadcast (dropping what has aged out, and the oldest when full). */
  append(data: unknown[], rooms: ReadonlySet<Room>, except: ReadonlySet<Room> | undefined, now: number): LogEntry {
    this.expire(now);
    if (this.count === this.maxPackets) {
      this.lostSeq = this.firstSeq;
      this.dropOldest();
    }
    else if (this.count === this.ring.length) this.grow();
    const entry: LogEntry = { seq: this.firstSeq + this.count, at: now, data, rooms, except };
    this.ring[(this.head + this.count) % this.ring.length] = entry;
    this.count++;
    return entry;
  }

  /** Drops the entries older than the retention. */
  expire(now: number): void {
    const limit = now - this.retention;
    while (this.count > 0) {
      const oldest = this.ring[this.head];
      if (oldest === undefined || oldest.at > limit) return;
      this.dropOldest();
    }
  }

  /**
   * The entries held after sequence number `seq`, oldest first; undefined when `seq` is in the
   * future, or older than an entry the count bound pushed out (what the client missed is
   * unknown then).
   */
  after(seq: number): LogEntry[] | undefined {
    if (seq > this.lastSeq || seq < this.lostSeq) return undefined;
    const out: LogEntry[] = [];
    const capacity = this.ring.length;
    for (let i = Math.max(0, seq + 1 - this.firstSeq); i < this.count; i++) {
      const entry = this.ring[(this.head + i) % capacity];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }

  /** Forgets everything (sequence numbers go on from where they were). */
  clear(): void {
    while (this.count > 0) this.dropOldest();
  }

  private dropOldest(): void {
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    this.firstSeq++;
  }

  private grow(): void {
    const capacity = this.ring.length;
    const next = new Array<LogEntry | undefined>(Math.min(capacity * 2, this.maxPackets));
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % capacity];
    this.ring = next;
    this.head = 0;
  }
}
