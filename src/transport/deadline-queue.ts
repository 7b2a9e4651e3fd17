/**
 * Deadlines that all lie the same delay after their start, on one timer.
 *
 * A server gives many connections the same timeout (connectTimeout, pingInterval, pingTimeout).
 * A timer per connection costs a Timeout object, a timer-list insertion and removal, and more
 * functions for V8 to optimise during a connection ramp. With one delay for all, deadlines come
 * in the order they were set: a FIFO and one timer armed for its front do the same job.
 */

/** Position of an entry in a {@link DeadlineQueue}; -1 means none. */
export type DeadlineTicket = number;

/** Drop the dead front of the arrays once it is this long and more than half of them. */
const COMPACT_AT = 1024;

/**
 * A FIFO of items and their deadlines (`performance.now()` ms: monotonic, unlike `Date.now()`),
 * with one timer for the earliest. Removing an item only marks its entry dead; the arrays lose
 * their dead front as it forms, and everything once no live entry is left (the timer too, so an
 * empty queue never holds the process or wakes it).
 *
 * @example
 * ```ts
 * const queue = new DeadlineQueue<Client>(45_000, (client) => client.onConnectTimeout(), false);
 * const ticket = queue.add(client); // expire(client) in 45 s...
 * queue.remove(ticket);             // ...unless removed first
 * ```
 */
export class DeadlineQueue<T extends object> {
  private readonly delayMs: number;
  private readonly expire: (item: T) => void;
  private readonly keepAlive: boolean;
  /** Items in deadline order; null once removed or expired. */
  private items: (T | null)[] = [];
  private deadlines: number[] = [];
  /** Index of the first entry not yet expired. */
  private head = 0;
  /** Ticket of `items[0]`. */
  private base = 0;
  /** Entries neither removed nor expired. */
  private live = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  /** The deadline the timer was armed for. */
  private armedFor = 0;

  /**
   * @param delayMs - the delay of every entry (ms), > 0.
   * @param expire - called with an item whose deadline passed (its entry is gone by then).
   * @param keepAlive - whether the armed timer keeps the process alive (a ref'd timer).
   */
  constructor(delayMs: number, expire: (item: T) => void, keepAlive: boolean) {
    this.delayMs = delayMs;
    this.expire = expire;
    this.keepAlive = keepAlive;
  }

  /** Queues `item`: `expire(item)` runs once delayMs has passed, unless removed first. */
  add(item: T): DeadlineTicket {
    const ticket = this.base + this.items.length;
    const deadline = performance.now() + this.delayMs;
    this.items.push(item);
    this.deadlines.push(deadline);
    this.live++;
    if (this.timer === undefined) this.arm(deadline, this.delayMs);
    return ticket;
  }

  /** Forgets the entry of `ticket` (if still queued). Idempotent. */
  remove(ticket: DeadlineTicket): void {
    const i = ticket - this.base;
    if (i < this.head || i >= this.items.length || this.items[i] === null) return;
    this.items[i] = null;
    if (--this.live === 0) {
      this.reset();
      return;
    }
    if (i !== this.head) return;
    // Entries are usually removed in the order they came: the front empties as they are, and
    // the queue holds only those still waiting.
    while (this.head < this.items.length && this.items[this.head] === null) this.head++;
    this.compact();
  }

  /** The deadline of a queued `ticket` (`performance.now()` ms); Infinity if it is not queued. */
  deadlineOf(ticket: DeadlineTicket): number {
    const i = ticket - this.base;
    if (i < this.head || i >= this.items.length || this.items[i] === null) return Infinity;
    return this.deadlines[i] as number;
  }

  /** Number of entries held (removed ones included while live ones follow them); for tests. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Whether the timer is armed; for tests. */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  private arm(deadline: number, delayMs: number): void {
    this.armedFor = deadline;
    this.timer = setTimeout(DeadlineQueue.fire, Math.max(delayMs, 1), this);
    if (!this.keepAlive) this.timer.unref();
  }

  private static fire<T extends object>(self: DeadlineQueue<T>): void {
    self.timer = undefined;
    // The timer ran, so the deadline it was armed for is reached, even if performance.now()
    // reads a little earlier (timers keep a coarser, cached clock): no 1 ms re-arm for it.
    const now = Math.max(performance.now(), self.armedFor);
    // The arrays are read afresh each turn: an expiry may remove other entries (even all).
    while (self.head < self.items.length && (self.deadlines[self.head] as number) <= now) {
      const item = self.items[self.head] as T | null;
      self.items[self.head] = null;
      self.head++;
      if (item === null) continue;
      self.live--;
      self.expire(item);
    }
    // Only dead entries left: they need no timer (a ref'd one would hold the process for them).
    if (self.live === 0) self.reset();
    else self.compact();
    if (self.timer === undefined && self.head < self.items.length) {
      const next = self.deadlines[self.head] as number;
      self.arm(next, next - now);
    }
  }

  /** No live entry left: drop every entry and the timer. Tickets stay unique (base moves on). */
  private reset(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.base += this.items.length;
    this.items.length = 0;
    this.deadlines.length = 0;
    this.head = 0;
  }

  private compact(): void {
    const head = this.head;
    if (head === this.items.length) {
      this.base += head;
      this.items.length = 0;
      this.deadlines.length = 0;
      this.head = 0;
    } else if (head >= COMPACT_AT && head * 2 > this.items.length) {
      this.base += head;
      this.items = this.items.slice(head);
      this.deadlines = this.deadlines.slice(head);
      this.head = 0;
    }
  }
}
