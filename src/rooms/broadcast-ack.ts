/**
 * Collects the acknowledgements of one broadcast across every server and every recipient.
 */

/** Why a broadcast with acknowledgement failed to complete in time; carries what did arrive. */
export class BroadcastTimeoutError extends Error {
  /** The responses received before the deadline, one per answering client. */
  readonly responses: unknown[];

  /** @param responses - the responses received so far. */
  constructor(responses: unknown[]) {
    super("operation has timed out");
    this.responses = responses;
  }
}

/** Receives the outcome of a broadcast with acknowledgement exactly once. */
export type BroadcastAckCallback = (err: Error | null, responses: unknown[]) => void;

/**
 * Tracks one broadcast with acknowledgement. It completes once the number of servers is
 * known (`onServerCount`), every server has reported its number of recipients
 * (`onClientCount`, once per server), and that many responses arrived (`onResponse`).
 *
 * With a timeout, an incomplete broadcast ends with a {@link BroadcastTimeoutError}
 * holding the responses so far. Without one it waits indefinitely: a recipient that
 * disconnects without answering keeps it pending forever, so set a timeout whenever a
 * recipient may go away.
 */
export class BroadcastAck {
  private readonly callback: BroadcastAckCallback;
  private readonly onTimeout: () => void;
  private readonly responses: unknown[] = [];
  private expectedServers = -1;
  private reportedServers = 0;
  private expectedClients = 0;
  private done = false;
  private timer: NodeJS.Timeout | undefined = undefined;

  /**
   * @param callback - receives `(null, responses)` or `(error, responsesSoFar)`, once.
   * @param timeoutMs - deadline in milliseconds; undefined waits indefinitely.
   * @param onTimeout - runs when the deadline passes (to forget the pending ack callbacks).
   */
  constructor(callback: BroadcastAckCallback, timeoutMs: number | undefined, onTimeout: () => void) {
    this.callback = callback;
    this.onTimeout = onTimeout;
    if (timeoutMs !== undefined) this.timer = setTimeout(this.expire, timeoutMs);
  }

  /** One server reports how many of its clients were sent the packet. */
  readonly onClientCount = (count: number): void => {
    this.expectedClients += count;
    this.reportedServers++;
    this.check();
  };

  /** One client answered; its first acknowledgement argument is its response. */
  readonly onResponse = (...args: unknown[]): void => {
    if (this.done) return;
    this.responses.push(args[0]);
    this.check();
  };

  /** The number of servers is known. */
  onServerCount(count: number): void {
    this.expectedServers = count;
    this.check();
  }

  /** The broadcast cannot complete (for instance the server count could not be obtained). */
  fail(err: Error): void {
    this.finish(err);
  }

  private readonly expire = (): void => {
    if (this.done) return;
    this.timer = undefined;
    this.onTimeout();
    this.finish(new BroadcastTimeoutError(this.responses));
  };

  private check(): void {
    if (
      !this.done &&
      this.expectedServers >= 0 &&
      // ≥ rather than ===: a server that reported and then left before the count was taken (or
      // reported twice), or a client answering twice, must not keep the broadcast pending.
      this.reportedServers >= this.expectedServers &&
      this.responses.length >= this.expectedClients
    ) {
      this.finish(null);
    }
  }

  private finish(err: Error | null): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.callback(err, this.responses);
  }
}
