/**
 * The lifecycle every Redis adapter shares: subscribing at `init()` and restoring the
 * subscriptions after Redis comes back, publishing only while the publisher is ready, the
 * table of pending requests, and error reporting that can never throw.
 */
import { Adapter } from "../rooms/adapter.ts";
import type { AdapterNamespace } from "../rooms/types.ts";
import { asError, RedisAdapterError } from "./errors.ts";
import { AckRequests, PendingRequests, randomId } from "./pending.ts";
import type { RedisMessageListener } from "./redis-client.ts";
import { countSubscribers } from "./server-count.ts";
import type { LinkMember, RedisLink } from "./redis-link.ts";
import { Subscriptions } from "./subscriptions.ts";

/**
 * The lifecycle half of the Redis adapters' base (see ClusterAdapter for the operations).
 *
 * Events: `error` ({@link RedisAdapterError}; emitted only when listened to, so it can never
 * become an uncaught exception) and `subscribed` (the adapter's subscriptions are active: after
 * `init()`, and again each time they were restored after Redis came back).
 */
export abstract class AdapterCore extends Adapter implements LinkMember {
  /** This adapter's id on the wire (messages carrying it are its own, and are skipped). */
  readonly uid: string = randomId();
  /** Milliseconds to wait for every server's answer to a request. */
  readonly requestsTimeout: number;
  protected readonly link: RedisLink;
  protected readonly subs: Subscriptions;
  protected readonly pending = new PendingRequests();
  protected readonly acks = new AckRequests();
  protected closed = false;
  private started: Promise<void> | undefined = undefined;
  private closing: Promise<void> | undefined = undefined;
  private dropReported = false;
  private subscriberLost = false;
  /** Timers that forget remote broadcasts' local ack callbacks (cleared on close). */
  protected readonly releaseTimers = new Set<NodeJS.Timeout>();

  /**
   * @param nsp - the namespace.
   * @param link - the shared pair of Redis clients.
   * @param requestsTimeout - milliseconds to wait for answers (and for `init()`).
   */
  constructor(nsp: AdapterNamespace, link: RedisLink, requestsTimeout: number) {
    super(nsp);
    this.link = link;
    this.requestsTimeout = requestsTimeout;
    this.subs = new Subscriptions(link.sub, this.listener, (err) => this.reportError(err));
  }

  /** Subscribes the channels every server of this protocol holds; true once confirmed. */
  protected abstract subscribeInitial(): Promise<boolean>;
  /** Handles one message from Redis. Must not throw. */
  protected abstract onRedisMessage(message: Buffer, channel: string): void;

  // ---- lifecycle ----

  /**
   * Subscribes this namespace's channels. Rejects with `ROOMCAST_ERR_REDIS_UNAVAILABLE` when
   * that is not confirmed within `requestsTimeout` (Redis unreachable, client not connected);
   * the subscriptions stay requested and `subscribed` is emitted if they complete later.
   */
  override init(): Promise<void> {
    this.started ??= this.start();
    return this.started;
  }

  private async start(): Promise<void> {
    if (this.closed) throw new RedisAdapterError("ROOMCAST_ERR_REDIS_CLOSED", "the adapter was closed");
    this.link.attach(this);
    const subscribed = this.subscribeInitial();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(resolve, this.requestsTimeout, "timeout");
    });
    const outcome = await Promise.race([subscribed, deadline]);
    clearTimeout(timer);
    if (outcome === true) {
      if (!this.closed) this.emit("subscribed");
      return;
    }
    if (outcome === "timeout") {
      void subscribed.then((ok) => {
        if (ok && !this.closed) this.emit("subscribed");
      });
    }
    throw new RedisAdapterError("ROOMCAST_ERR_REDIS_UNAVAILABLE", this.unavailableReason());
  }

  private unavailableReason(): string {
    const head = `Redis adapter of namespace "${this.nsp.name}" could not subscribe within ${this.requestsTimeout} ms`;
    if (!this.link.sub.isOpen()) return `${head}: the subscriber client is not connected (call connect() first)`;
    const last = this.link.lastSubError ?? this.link.lastPubError;
    if (last !== undefined) return `${head}: Redis unreachable (${asError(last).message})`;
    return `${head}: Redis did not answer`;
  }

  /** Unsubscribes, fails pending requests, stops listening. Never rejects. */
  override close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.recovery?.close();
    this.pending.failAll(new RedisAdapterError("ROOMCAST_ERR_REDIS_CLOSED", "the adapter was closed"));
    this.acks.clear();
    for (const timer of this.releaseTimers) clearTimeout(timer);
    this.releaseTimers.clear();
    // With Redis away the UNSUBSCRIBEs wait in the client's queue: closing the server must not
    // wait for Redis to come back, so the answers are awaited only from a ready client, and
    // never longer than requestsTimeout.
    const cleared = this.subs.clear().then(() => true);
    if (this.link.sub.isReady()) await this.bounded(cleared);
    this.link.detach(this);
  }

  /**
   * Waits for a subscription at most `requestsTimeout`, so that `await socket.join(room)` never
   * hangs while Redis is down (the subscription completes when it returns).
   */
  protected bounded(subscribed: Promise<boolean>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, this.requestsTimeout, false);
    });
    return Promise.race([subscribed, deadline]).then(() => clearTimeout(timer));
  }

  /** Resolves once every subscription requested so far is confirmed (or has failed). */
  whenSubscribed(): Promise<void> {
    return this.subs.settled();
  }

  // ---- client events (LinkMember) ----

  /** @internal */
  onClientError(role: "publisher" | "subscriber", err: unknown): void {
    if (role === "subscriber") this.subscriberLost = true;
    const message = `Redis ${role} client error: ${asError(err).message}`;
    this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_CLIENT", message, err));
  }

  /** @internal */
  onPublisherReady(): void {
    this.dropReported = false;
  }

  /** @internal */
  onSubscriberReady(): void {
    if (this.closed || this.started === undefined) return;
    const announce = this.subscriberLost;
    this.subscriberLost = false;
    void this.subs.restore().then((ok) => {
      if (ok && announce && !this.closed) this.emit("subscribed");
    });
  }

  // ---- errors and publishing ----

  /** Emits `error` only when someone listens: an adapter error never throws. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === "error" && this.listenerCount("error") === 0) return false;
    return super.emit(event, ...args);
  }

  /** Reports an error through the `error` event (and counts it, listened to or not). */
  protected reportError(err: RedisAdapterError): void {
    this.nsp.metrics?.countClusterError(err.code);
    this.emit("error", err);
  }

  /** Reports a message from Redis that was ignored because it could not be used. */
  protected bad(what: string, err?: unknown): void {
    const detail = err === undefined ? "" : `: ${asError(err).message}`;
    this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_BAD_MESSAGE", `ignored a malformed ${what}${detail}`, err));
  }

  private readonly listener: RedisMessageListener = (message, channel) => {
    if (this.closed) return;
    const metrics = this.nsp.metrics;
    if (metrics) metrics.clusterReceived++;
    this.onRedisMessage(message, channel.toString());
  };

  private readonly onPublishError = (err: unknown): void => {
    this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_COMMAND", `PUBLISH failed: ${asError(err).message}`, err));
  };

  /**
   * Publishes `payload` unless the publisher is down: then the message is dropped (a queue
   * would grow without bound and replay stale broadcasts later), and one
   * `ROOMCAST_ERR_REDIS_NOT_READY` error is reported per outage.
   */
  protected publish(channel: string, payload: string | Buffer, sharded: boolean): void {
    if (this.closed) return;
    const pub = this.link.pub;
    if (!pub.isReady()) {
      this.reportDropped("cluster messages are dropped until it is back");
      return;
    }
    pub.publish(channel, payload, sharded).then(undefined, this.onPublishError);
    const metrics = this.nsp.metrics;
    if (metrics) metrics.clusterPublished++;
  }

  /** Reports, once per outage, that the publisher is not ready and what that costs. */
  protected reportDropped(consequence: string): void {
    if (this.dropReported) return;
    this.dropReported = true;
    this.reportError(this.notReady(consequence));
  }

  /** The error for an operation that needs Redis while the publisher is not ready. */
  protected notReady(consequence: string): RedisAdapterError {
    return new RedisAdapterError("ROOMCAST_ERR_REDIS_NOT_READY", `the Redis publisher is not ready: ${consequence}`);
  }

  /** `PUBSUB NUMSUB`/`SHARDNUMSUB` of `channel`, refused at once while Redis is down. */
  protected countServers(command: "NUMSUB" | "SHARDNUMSUB", channel: string): Promise<number> {
    if (!this.link.pub.isReady()) return Promise.reject(this.notReady("the server count is unknown"));
    return countSubscribers(this.link.pub, command, channel);
  }

  /**
   * Sends a request expecting `expected` answers (published by `send`), gathering them into
   * `acc` with `collect`; resolves with `acc`, or rejects on timeout.
   */
  protected request<T>(
    what: string,
    expected: number,
    timeoutMs: number,
    acc: T,
    collect: (answer: Record<string, unknown>, acc: T) => void,
    send: (requestId: string) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.pending.open(expected, timeoutMs, what, (answer) => collect(answer, acc), (err) => (err === null ? resolve(acc) : reject(err)));
      send(id);
    });
  }
}
