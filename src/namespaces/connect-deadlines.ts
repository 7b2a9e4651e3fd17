/**
 * [SIO5:connect-timeout] The connect deadlines of one server's new connections, on one timer.
 *
 * Every connection must join a namespace within connectTimeout, and all of a server's share that
 * timeout: a {@link DeadlineQueue} instead of a timer per connection (armed at the handshake,
 * cleared a moment later by the CONNECT).
 */
import { DeadlineQueue } from "../transport/deadline-queue.ts";
import type { DeadlineTicket } from "../transport/deadline-queue.ts";

/** What waits for its CONNECT (a {@link Client}). */
export interface ConnectWaiter {
  /** The deadline passed without a CONNECT being accepted. */
  onConnectTimeout(): void;
}

/** Ticket of a waiter in a {@link ConnectDeadlines} queue; -1 means none. */
export type ConnectTicket = DeadlineTicket;

function expire(waiter: ConnectWaiter): void {
  waiter.onConnectTimeout();
}

/**
 * The waiters of one server and their deadlines, with one unref'd timer for the earliest: the
 * connections themselves keep the process alive, the timer need not.
 *
 * @example
 * ```ts
 * const deadlines = new ConnectDeadlines(45_000);
 * const ticket = deadlines.add(client); // client.onConnectTimeout() in 45 s...
 * deadlines.remove(ticket);             // ...unless it connected first
 * ```
 */
export class ConnectDeadlines extends DeadlineQueue<ConnectWaiter> {
  /** @param timeoutMs - connectTimeout (ms), > 0. */
  constructor(timeoutMs: number) {
    super(timeoutMs, expire, false);
  }
}
