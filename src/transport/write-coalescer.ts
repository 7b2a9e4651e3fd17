/**
 * Write coalescing (the `writeDelay` option): sessions that keep writing hold their outgoing
 * packets for the rest of a short window and write them all at once when it ends, so N
 * broadcasts in N ticks cost a session one write instead of N.
 *
 * Windows are shared by all sessions of a server and driven by ONE timer: a window opens when a
 * session writes while none is open (that write goes out at once), and lasts `writeDelay` ms. A
 * session that has written in the open window holds what it sends next until the window ends;
 * at the end every held session is written (one corked write each) and, if any was, the next
 * window opens at once, so sessions under steady traffic stay coalesced. A window that ends with
 * nothing held closes the cycle: the timer stops, and the next packet of any session goes out
 * at once. So does a window whose time ran out with nothing held while its timer was kept
 * waiting by a busy event loop: the tick that finds it so writes at once and starts a new window
 * (see {@link WriteCoalescer.holds}), instead of holding packets for a window already over.
 *
 * Why windows and not a per-session deadline: a broadcast to a large room takes longer to write
 * than a 1 ms window (a few µs per recipient), so "has this session written within the last
 * writeDelay ms" measured per session is false again by the time the next broadcast arrives,
 * and nothing would be coalesced when it matters most, at saturation. A window that opens after
 * the writes that started it (see {@link WriteCoalescer.holds}) lets the next broadcasts queue up
 * while the loop is cheap.
 */

/** What a session exposes to its server's coalescer. */
export interface Coalescable {
  /**
   * @internal The coalescer's mark on the session: the number of the window it last wrote in,
   * or {@link HELD} while it is in the held list. 0 for a session that never wrote.
   */
  writeWindow: number;
  /** @internal Writes what the session holds; called when its window ends. */
  flushHeld(): void;
}

/** {@link Coalescable.writeWindow} of a session waiting for the window's end. */
export const HELD = -1;

/** The largest `writeDelay` accepted, in milliseconds. */
export const MAX_WRITE_DELAY_MS = 1000;

/**
 * One server's write windows: the sessions held in the current one and the timer that ends it.
 *
 * @example
 * ```ts
 * const coalescer = new WriteCoalescer(1);
 * // in a session's end-of-tick flush:
 * if (coalescer.holds(session)) return; // written when the window ends
 * session.write();
 * ```
 */
export class WriteCoalescer {
  /** Length of a window, in milliseconds. */
  readonly delayMs: number;
  /** Number of the current window; starts at 1 so that a fresh session (0) counts as quiet. */
  private window = 1;
  /** Sessions held in the current window, in the order they were held. */
  private held: Coalescable[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  /** When the open window's time is up, on the `performance.now()` clock (its timer may run later). */
  private endsAt = 0;
  /** A nextTick is queued to open a window after the current write pass. */
  private openQueued = false;
  private closed = false;
  /** Resolvers of {@link WriteCoalescer.idle}; null when nobody waits. */
  private idleWaiters: Array<() => void> | null = null;

  /** @param delayMs - the window, in ms (validated by the options: finite, > 0, ≤ 1000). */
  constructor(delayMs: number) {
    this.delayMs = delayMs;
  }

  /** True while a window is open (its timer is running). */
  get windowOpen(): boolean {
    return this.timer !== undefined;
  }

  /**
   * @internal Resolves once no window is open (at once if none is): every session is quiet, and
   * the next packet of any of them goes out at the end of its tick. For tests.
   */
  idle(): Promise<void> {
    if (this.closed || (this.timer === undefined && !this.openQueued)) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /** Number of sessions held in the current window (a session released early may still count). */
  get heldCount(): number {
    return this.held.length;
  }

  /**
   * Decides, at a session's end-of-tick flush, whether it writes now or holds until the window
   * ends. A session that wrote in the current window holds (and is written by the coalescer);
   * any other writes now, and is then "recent" until the window ends. A window whose time is up
   * (its timer late) when the first session would be held in it ends there: that session, and
   * every other in this tick, writes now, and a new window opens after the tick's write pass.
   *
   * @param session - the session about to flush.
   * @returns true if the session is now held: it must not write, and keep its flush pending.
   */
  holds(session: Coalescable): boolean {
    if (this.closed) return false;
    if (session.writeWindow === this.window) {
      // The first hold of a window whose time is already up (its timer is late): see restart.
      // At most one clock read per window: once a session is held, the list is not empty.
      if (this.held.length > 0 || this.timer === undefined || performance.now() < this.endsAt) {
        session.writeWindow = HELD;
        this.held.push(session);
        // Opened now, not after the pass: a held packet waits at most one window.
        if (this.timer === undefined) this.open();
        return true;
      }
      this.restart();
    }
    session.writeWindow = this.window;
    if (this.timer === undefined && !this.openQueued) {
      // The window these writes start opens once the whole write pass is over: a pass over a
      // large room can take longer than the window itself, and a window that ended during the
      // pass would let the next broadcast write everything again, one frame per write.
      this.openQueued = true;
      process.nextTick(WriteCoalescer.openAfterPass, this);
    }
    return false;
  }

  /**
   * Ends the open window early, with nothing held in it: its time is up, but its timer has not
   * run yet because the event loop has been busy since it opened (queuing a broadcast to a large
   * room can take longer than the window on a slow or loaded machine). Holding now would make
   * this tick's packets wait for that late timer while the next broadcast, a loop turn later,
   * lands in the next window anyway: one broadcast per window, written in a pass of its own, so
   * nothing is merged and the hold only adds work and latency. Instead the tick writes at once,
   * like the first writes after a quiet window, and a fresh window opens after its write pass,
   * so broadcasts that follow quickly (several messages read in one I/O phase) are still held.
   */
  private restart(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.window++;
  }

  /**
   * Writes every held session now and stops the timer for good: later flushes write at once.
   * Called when the server closes (its sessions have already delivered what they held).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    this.held = [];
    this.window++;
    for (const session of held) {
      if (session.writeWindow !== HELD) continue;
      session.writeWindow = 0;
      session.flushHeld();
    }
    this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    if (waiters === null) return;
    this.idleWaiters = null;
    for (const resolve of waiters) resolve();
  }

  private open(): void {
    this.endsAt = performance.now() + this.delayMs;
    this.timer = setTimeout(WriteCoalescer.onWindowEnd, this.delayMs, this);
  }

  private static openAfterPass(coalescer: WriteCoalescer): void {
    coalescer.openQueued = false;
    if (coalescer.closed) coalescer.wakeIdleWaiters();
    else if (coalescer.timer === undefined) coalescer.open();
  }

  private static onWindowEnd(coalescer: WriteCoalescer): void {
    coalescer.timer = undefined;
    const window = ++coalescer.window;
    const held = coalescer.held;
    // Nothing held: every session is quiet again (none wrote in the new window), no timer runs.
    if (held.length === 0) {
      coalescer.wakeIdleWaiters();
      return;
    }
    coalescer.held = [];
    let i = 0;
    try {
      for (; i < held.length; i++) {
        const session = held[i] as Coalescable;
        // Released early: its held bytes passed maxBufferedBytes and it wrote at the end of that tick.
        if (session.writeWindow !== HELD) continue;
        // Written in the new window: what it sends during it is held in turn.
        session.writeWindow = window;
        session.flushHeld();
      }
    } finally {
      // A throwing `flush` listener must not strand the sessions after it: they wait for the
      // next window instead.
      if (i < held.length - 1) {
        for (let j = i + 1; j < held.length; j++) coalescer.held.push(held[j] as Coalescable);
      }
      // The sessions just written are recent in the new window; it must end for them too.
      if (coalescer.timer === undefined && !coalescer.closed) coalescer.open();
    }
  }
}
