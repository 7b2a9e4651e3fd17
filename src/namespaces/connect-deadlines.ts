/**
 * [SIO5:connect-timeout] The connect deadlines of one server's new connections, on one timer.
 *
 * Every connection must join a namespace within connectTimeout. A timer per connection (armed at
 * the handshake, cleared a moment later by the CONNECT) cost a Timeout object, a timer-list
 * insertion and removal, and two more functions for V8 to optimise during a connection ramp.
 * All connections of a server share one timeout, so their deadlines come in order: a queue and
 * one timer armed for the earliest deadline do the same job.
 */

/** What waits for its CONNECT (a {@link Client}). */
export interface ConnectWaiter {
  /** The deadline passed without a CONNECT being accepted. */
  onConnectTimeout(): void;
}

/** Ticket of a waiter in a {@link ConnectDeadlines} queue; -1 means none. */
export type ConnectTicket = number;

/** Drop the dead front of the arrays once it is this long and more than half of them. */
const COMPACT_AT = 1024;

/**
 * A FIFO of waiters and their deadlines (ms since the epoch, `Date.now()`), with one unref'd
 * timer for the earliest: the connections themselves keep the process alive, the timer need not.
 *
 * @example
 * ```ts
 * const deadlines = new ConnectDeadlines(45_000);
 * const ticket = deadlines.add(client); // client.onConnectTimeout() in 45 s...
 * deadlines.remove(ticket);             // ...unless it connected first
 * ```
 */
export class ConnectDeadlines {
  private readonly timeoutMs: number;
  /** Waiters in deadline order; null once removed (connected or closed) or expired. */
  private waiters: (ConnectWaiter | null)[] = [];
  private deadlines: number[] = [];
  /** Index of the first entry not yet expired. */
  private head = 0;
  /** Ticket of `waiters[0]`. */
  private base = 0;
  private timer: NodeJS.Timeout | undefined = undefined;

  /** @param timeoutMs - connectTimeout (ms), > 0. */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Queues `waiter`; its `onConnectTimeout` runs once timeoutMs has passed, unless removed first. */
  add(waiter: ConnectWaiter): ConnectTicket {
    const ticket = this.base + this.waiters.length;
    this.waiters.push(waiter);
    this.deadlines.push(Date.now() + this.timeoutMs);
    if (this.timer === undefined) this.arm(this.timeoutMs);
    return ticket;
  }

  /** Forgets the waiter of `ticket` (it connected, or closed). Idempotent. */
  remove(ticket: ConnectTicket): void {
    const i = ticket - this.base;
    if (i < this.head || i >= this.waiters.length) return;
    this.waiters[i] = null;
    if (i !== this.head) return;
    // Connections usually connect in the order they arrived: the front empties as they do, and
    // the queue holds only those still waiting.
    while (this.head < this.waiters.length && this.waiters[this.head] === null) this.head++;
    this.compact();
  }

  /** Number of entries held (removed ones included until their deadline passes); for tests. */
  get size(): number {
    return this.waiters.length - this.head;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(ConnectDeadlines.fire, Math.max(delayMs, 1), this);
    this.timer.unref();
  }

  private static fire(self: ConnectDeadlines): void {
    self.timer = undefined;
    const now = Date.now();
    // The arrays are read afresh each turn: a waiter's close removes others' entries (compacting).
    while (self.head < self.waiters.length && (self.deadlines[self.head] as number) <= now) {
      const waiter = self.waiters[self.head];
      self.waiters[self.head] = null;
      self.head++;
      waiter?.onConnectTimeout();
    }
    self.compact();
    if (self.timer === undefined && self.head < self.waiters.length) self.arm((self.deadlines[self.head] as number) - now);
  }

  private compact(): void {
    const head = this.head;
    if (head === this.waiters.length) {
      this.base += head;
      this.waiters.length = 0;
      this.deadlines.length = 0;
      this.head = 0;
    } else if (head >= COMPACT_AT && head * 2 > this.waiters.length) {
      this.base += head;
      this.waiters = this.waiters.slice(head);
      this.deadlines = this.deadlines.slice(head);
      this.head = 0;
    }
  }
}
