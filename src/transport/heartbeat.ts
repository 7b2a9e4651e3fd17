/**
 * The server side of the Engine.IO heartbeat for one session.
 *
 * [EIO4:heartbeat] The server pings every pingInterval; a ping not answered by a pong within
 * pingTimeout ends the session. A pong re-arms the next ping, so exactly one ping is ever
 * outstanding, and a silent client is gone exactly pingInterval + pingTimeout after its last
 * pong (or after the handshake). Timers take the heartbeat as an argument instead of capturing
 * it in a closure.
 */

/** What a {@link Heartbeat} does to its session. */
export interface HeartbeatTarget {
  /** Queue a ping packet. */
  sendPing(): void;
  /** No pong came in time: close the session ("ping timeout"). */
  onPingTimeout(): void;
}

/**
 * Ping/pong timers of one session.
 *
 * @example
 * ```ts
 * const heartbeat = new Heartbeat(session, 25_000, 20_000);
 * heartbeat.start(); // on every pong: heartbeat.start() again; on close: heartbeat.stop()
 * ```
 */
export class Heartbeat {
  private readonly target: HeartbeatTarget;
  private readonly interval: number;
  private readonly timeout: number;
  private intervalTimer: NodeJS.Timeout | undefined = undefined;
  private timeoutTimer: NodeJS.Timeout | undefined = undefined;
  /**
   * performance.now() by which the outstanding ping's pong is due, rounded up to whole ms: a small
   * integer (no boxed double per session) for the process' first 12 days.
   */
  private deadline = 0;

  /**
   * @param target - the session.
   * @param interval - pingInterval (ms).
   * @param timeout - pingTimeout (ms).
   */
  constructor(target: HeartbeatTarget, interval: number, timeout: number) {
    this.target = target;
    this.interval = interval;
    this.timeout = timeout;
  }

  /** (Re)starts the cycle: the next ping goes out in pingInterval. Called at open and on each pong. */
  start(): void {
    // Both are unset at the session's open: no clearTimeout calls for nothing on the connect path.
    if (this.timeoutTimer !== undefined) {
      clearTimeout(this.timeoutTimer);
      this.timeoutTimer = undefined;
    }
    if (this.intervalTimer !== undefined) clearTimeout(this.intervalTimer);
    this.intervalTimer = setTimeout(Heartbeat.onInterval, this.interval, this);
  }

  /** Stops both timers for good. */
  stop(): void {
    clearTimeout(this.intervalTimer);
    clearTimeout(this.timeoutTimer);
    this.intervalTimer = undefined;
    this.timeoutTimer = undefined;
  }

  private static onInterval(heartbeat: Heartbeat): void {
    heartbeat.intervalTimer = undefined;
    heartbeat.target.sendPing();
    clearTimeout(heartbeat.timeoutTimer);
    heartbeat.deadline = Math.ceil(performance.now()) + heartbeat.timeout;
    heartbeat.timeoutTimer = setTimeout(Heartbeat.onTimeout, heartbeat.timeout, heartbeat);
  }

  /**
   * Times the session out now if its pong is overdue, and says whether it did.
   *
   * [EIO4:heartbeat] Called before the session serves a request or a packet: the event loop runs
   * I/O that is ready before a timer that is due, so a poll arriving just after the deadline would
   * otherwise be answered (the ping delivered, the session revived) while the timer waits its turn.
   */
  expireIfOverdue(): boolean {
    if (this.timeoutTimer === undefined || performance.now() < this.deadline) return false;
    clearTimeout(this.timeoutTimer);
    Heartbeat.onTimeout(this);
    return true;
  }

  private static onTimeout(heartbeat: Heartbeat): void {
    heartbeat.timeoutTimer = undefined;
    heartbeat.target.onPingTimeout();
  }
}
