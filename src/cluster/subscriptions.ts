/**
 * The channels one adapter wants to hear, kept so they can be restored after Redis comes back.
 *
 * node-redis resubscribes by itself after a reconnection, but only the channels whose
 * SUBSCRIBE had been answered; a SUBSCRIBE in flight when the connection dropped is rejected
 * and forgotten. So the adapter keeps its own list and re-issues it on every `ready`: for
 * channels the client still holds, node-redis only adds the (same) listener to a Set, so
 * restoring is idempotent and sends nothing.
 */
import { asError, RedisAdapterError } from "./errors.ts";
import type { RedisMessageListener, RedisSubscribeMethod, RedisSubscriber } from "./redis-client.ts";

/** Plain channels, patterns, or sharded channels (Redis 7 SSUBSCRIBE). */
export type SubscriptionKind = "channel" | "pattern" | "sharded";

interface KindSpec {
  on: keyof RedisSubscriber;
  off: keyof RedisSubscriber;
  onCommand: string;
  offCommand: string;
}

const METHODS: Record<SubscriptionKind, KindSpec> = {
  channel: { on: "subscribe", off: "unsubscribe", onCommand: "SUBSCRIBE", offCommand: "UNSUBSCRIBE" },
  pattern: { on: "pSubscribe", off: "pUnsubscribe", onCommand: "PSUBSCRIBE", offCommand: "PUNSUBSCRIBE" },
  sharded: { on: "sSubscribe", off: "sUnsubscribe", onCommand: "SSUBSCRIBE", offCommand: "SUNSUBSCRIBE" },
};

/** Tracks and issues one adapter's subscriptions on the shared subscriber client. */
export class Subscriptions {
  private readonly client: RedisSubscriber;
  private readonly listener: RedisMessageListener;
  private readonly onError: (err: RedisAdapterError) => void;
  private readonly wanted: Record<SubscriptionKind, Set<string>> = {
    channel: new Set(),
    pattern: new Set(),
    sharded: new Set(),
  };
  private readonly inflight = new Set<Promise<boolean>>();

  /**
   * @param client - the subscriber client.
   * @param listener - receives every message of every channel subscribed here.
   * @param onError - receives failures (the promises of this class never reject).
   */
  constructor(client: RedisSubscriber, listener: RedisMessageListener, onError: (err: RedisAdapterError) => void) {
    this.client = client;
    this.listener = listener;
    this.onError = onError;
  }

  /** Whether `channel` is wanted. */
  has(kind: SubscriptionKind, channel: string): boolean {
    return this.wanted[kind].has(channel);
  }

  /** The number of channels wanted, all kinds together. */
  get size(): number {
    return this.wanted.channel.size + this.wanted.pattern.size + this.wanted.sharded.size;
  }

  /**
   * Subscribes `channels`. Resolves true once Redis confirmed them, false if the command
   * failed (the error went to `onError`; the channels stay wanted and are retried on the next
   * `restore`). Never rejects.
   */
  add(kind: SubscriptionKind, channels: string[]): Promise<boolean> {
    for (const channel of channels) this.wanted[kind].add(channel);
    return this.issue(kind, "on", channels);
  }

  /** Unsubscribes `channels` (fire and forget; failures go to `onError`). */
  remove(kind: SubscriptionKind, channels: string[]): void {
    const gone: string[] = [];
    for (const channel of channels) if (this.wanted[kind].delete(channel)) gone.push(channel);
    // One channel per command: node-redis v4 mishandled multi-channel UNSUBSCRIBE replies.
    for (const channel of gone) void this.issue(kind, "off", [channel]);
  }

  /** Re-issues every wanted subscription; resolves true when all are confirmed. */
  async restore(): Promise<boolean> {
    const kinds: SubscriptionKind[] = ["channel", "pattern", "sharded"];
    const results = await Promise.all(
      kinds.filter((kind) => this.wanted[kind].size > 0).map((kind) => this.issue(kind, "on", [...this.wanted[kind]])),
    );
    return results.every(Boolean);
  }

  /** Resolves once every command issued so far has been answered (or has failed). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Unsubscribes everything (on close); resolves when Redis answered or the commands failed. */
  async clear(): Promise<void> {
    const kinds: SubscriptionKind[] = ["channel", "pattern", "sharded"];
    const pending: Promise<boolean>[] = [];
    for (const kind of kinds) {
      for (const channel of this.wanted[kind]) pending.push(this.issue(kind, "off", [channel]));
      this.wanted[kind].clear();
    }
    await Promise.all(pending);
  }

  private issue(kind: SubscriptionKind, direction: "on" | "off", channels: string[]): Promise<boolean> {
    const spec = METHODS[kind];
    const method = this.client[spec[direction]] as RedisSubscribeMethod | undefined;
    const command = direction === "on" ? spec.onCommand : spec.offCommand;
    if (typeof method !== "function") {
      this.onError(new RedisAdapterError("ROOMCAST_ERR_REDIS_COMMAND", `the subscriber client has no ${String(spec[direction])}() method (${command})`));
      return Promise.resolve(false);
    }
    let sent: Promise<unknown>;
    try {
      sent = method.call(this.client, channels, this.listener, true);
    } catch (err) {
      sent = Promise.reject(err);
    }
    const tracked = Promise.resolve(sent).then(
      () => true,
      (err: unknown) => {
        this.onError(new RedisAdapterError("ROOMCAST_ERR_REDIS_COMMAND", `${command} ${channels.join(" ")} failed: ${asError(err).message}`, err));
        return false;
      },
    );
    this.inflight.add(tracked);
    void tracked.then(() => this.inflight.delete(tracked));
    return tracked;
  }
}
