/**
 * The channels one adapter wants to hear, kept so they can be restored after Redis comes back.
 *
 * node-redis and ioredis resubscribe by themselves after a reconnection, but node-redis only
 * the channels whose SUBSCRIBE had been answered: one in flight when the connection dropped is
 * rejected and forgotten. So the adapter keeps its own list and re-issues it on every `ready`.
 * That is idempotent: node-redis only adds the (same) listener to a Set and sends nothing for
 * channels it still holds; the ioredis wrapper sends the SUBSCRIBE again, a no-op for Redis.
 */
import { asError, RedisAdapterError } from "./errors.ts";
import type { RedisMessageListener } from "./redis-client.ts";
import type { RedisConnection, SubscriptionKind } from "./redis-connection.ts";

export type { SubscriptionKind } from "./redis-connection.ts";

const COMMANDS: Record<SubscriptionKind, [string, string]> = {
  channel: ["SUBSCRIBE", "UNSUBSCRIBE"],
  pattern: ["PSUBSCRIBE", "PUNSUBSCRIBE"],
  sharded: ["SSUBSCRIBE", "SUNSUBSCRIBE"],
};

/** Tracks and issues one adapter's subscriptions on the shared subscriber client. */
export class Subscriptions {
  private readonly client: RedisConnection;
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
  constructor(client: RedisConnection, listener: RedisMessageListener, onError: (err: RedisAdapterError) => void) {
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
    if (gone.length > 0) void this.issue(kind, "off", gone);
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
      if (this.wanted[kind].size > 0) pending.push(this.issue(kind, "off", [...this.wanted[kind]]));
      this.wanted[kind].clear();
    }
    await Promise.all(pending);
  }

  private issue(kind: SubscriptionKind, direction: "on" | "off", channels: string[]): Promise<boolean> {
    const command = COMMANDS[kind][direction === "on" ? 0 : 1];
    const sent = direction === "on" ? this.client.subscribe(kind, channels, this.listener) : this.client.unsubscribe(kind, channels, this.listener);
    const tracked = sent.then(
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
