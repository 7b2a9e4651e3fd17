/**
 * The server side of the Engine.IO heartbeat, for all sessions of a server at once.
 *
 * [EIO4:heartbeat] The server pings every pingInterval; a ping not answered by a pong within
 * pingTimeout ends the session. A pong re-arms the next ping, so exactly one ping is ever
 * outstanding, and a silent client is gone exactly pingInterval + pingTimeout after its last
 * pong (or after the handshake).
 *
 * Every session of a server has the same pingInterval and pingTimeout, so two
 * {@link DeadlineQueue}s (waiting to be pinged, waiting for the pong) replace the two timers each
 * session used to arm: no Timeout object per session, nor a timer-list insertion per pong.
 */
import { DeadlineQueue } from "./deadline-queue.ts";

/** What {@link Heartbeats} drives: a session. */
export interface HeartbeatTarget {
  /**
   * @internal The session's entry in its heartbeat queues, owned by {@link Heartbeats}: a ticket
   * of the ping queue (≥ 0), of the pong queue (encoded ≤ -2, see {@link pongTicket}), or -1
   * (stopped). A field of the session rather than a record per session.
   */
  heartbeatTicket: number;
  /** Queue a ping packet. */
  sendPing(): void;
  /** No pong came in time: close the session ("ping timeout"). */
  onPingTimeout(): void;
}

/** No heartbeat running. */
const STOPPED = -1;

/**
 * Pong-queue tickets are stored as -2 - ticket, so one number says both queue and ticket; the
 * mapping is its own inverse (stored ↔ ticket).
 */
function pongTicket(ticketOrStored: number): number {
  return -2 - ticketOrStored;
}

/**
 * The ping/pong deadlines of one server's sessions.
 *
 * @example
 * ```ts
 * const heartbeats = new Heartbeats(25_000, 20_000);
 * heartbeats.start(session); // at open; heartbeats.pong(session) on each pong; heartbeats.stop(session) on close
 * ```
 */
export class Heartbeats {
  /** pingInterval (ms). */
  readonly interval: number;
  /** pingTimeout (ms). */
  readonly timeout: number;
  /** Sessions waiting for their next ping. */
  private readonly pings: DeadlineQueue<HeartbeatTarget>;
  /** Sessions pinged and waiting for the pong. */
  private readonly pongs: DeadlineQueue<HeartbeatTarget>;

  /**
   * @param interval - pingInterval (ms).
   * @param timeout - pingTimeout (ms).
   */
  constructor(interval: number, timeout: number) {
    this.interval = interval;
    this.timeout = timeout;
    // Ref'd timers, as the per-session timers before them: a session waiting for its next poll
    // keeps the process alive until it times out. The queues drop their timer once empty.
    this.pings = new DeadlineQueue(interval, (target) => this.ping(target), true);
    this.pongs = new DeadlineQueue(timeout, Heartbeats.pongMissed, true);
  }

  /** Starts the cycle of `target` (at its open): its first ping goes out in pingInterval. */
  start(target: HeartbeatTarget): void {
    this.stop(target);
    target.heartbeatTicket = this.pings.add(target);
  }

  /**
   * A pong from `target`: if it answers the outstanding ping, the next ping goes out in
   * pingInterval (the session moves to the back of the ping queue).
   *
   * [EIO4:heartbeat] A pong with no ping outstanding answers nothing and moves nothing: each
   * move leaves a dead entry in the queue, and a client spraying pongs could otherwise grow it
   * without bound. Its next ping keeps its time.
   */
  pong(target: HeartbeatTarget): void {
    if (target.heartbeatTicket < STOPPED) this.start(target);
  }

  /** Entries held in both queues, dead ones included until they leave; for tests. */
  get size(): number {
    return this.pings.size + this.pongs.size;
  }

  /** Timers armed (0 to 2); for tests. */
  get timers(): number {
    return Number(this.pings.armed) + Number(this.pongs.armed);
  }

  /** Stops the heartbeat of `target` (it closed). Idempotent. */
  stop(target: HeartbeatTarget): void {
    const ticket = target.heartbeatTicket;
    if (ticket >= 0) this.pings.remove(ticket);
    else if (ticket !== STOPPED) this.pongs.remove(pongTicket(ticket));
    target.heartbeatTicket = STOPPED;
  }

  /**
   * Times `target` out now if its pong is overdue, and says whether it did.
   *
   * [EIO4:heartbeat] Called before the session serves a request or a packet: the event loop runs
   * I/O that is ready before a timer that is due, so a poll arriving just after the deadline would
   * otherwise be answered (the ping delivered, the session revived) while the timer waits its turn.
   */
  expireIfOverdue(target: HeartbeatTarget): boolean {
    const ticket = target.heartbeatTicket;
    if (ticket >= STOPPED || performance.now() < this.pongs.deadlineOf(pongTicket(ticket))) return false;
    this.stop(target);
    target.onPingTimeout();
    return true;
  }

  private ping(target: HeartbeatTarget): void {
    // Queued for its pong before the ping is sent: a send that closes the session stops it.
    target.heartbeatTicket = pongTicket(this.pongs.add(target));
    target.sendPing();
  }

  private static pongMissed(target: HeartbeatTarget): void {
    target.heartbeatTicket = STOPPED;
    target.onPingTimeout();
  }
}
