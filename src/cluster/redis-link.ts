/**
 * The pair of Redis clients behind one `createRedisAdapter(...)` call, shared by the adapters of
 * every namespace: one `error` and one `ready` listener per client, whatever the number of
 * namespaces, fanned out to the adapters that are open.
 */
import type { RedisEventListener } from "./redis-client.ts";
import type { RedisConnection } from "./redis-connection.ts";

/** What an adapter hears from the link. */
export interface LinkMember {
  /** A client emitted `error` (each failed reconnection attempt emits one). */
  onClientError(role: "publisher" | "subscriber", err: unknown): void;
  /** The publisher is ready again (after a reconnection). */
  onPublisherReady(): void;
  /** The subscriber is ready again: the adapter restores subscriptions the client lost. */
  onSubscriberReady(): void;
}

/**
 * Listens to both clients while at least one adapter is attached. Holding an `error` listener
 * also means a client error never becomes an uncaught exception, even when the user attached
 * none.
 */
export class RedisLink {
  /** The client that publishes. */
  readonly pub: RedisConnection;
  /** The client that subscribes. */
  readonly sub: RedisConnection;
  /** The publisher's last error (cleared when it is ready again), quoted when `init()` fails. */
  lastPubError: unknown = undefined;
  /** The subscriber's last error (cleared when it is ready again). */
  lastSubError: unknown = undefined;
  private readonly members = new Set<LinkMember>();

  /**
   * @param pub - the publishing client.
   * @param sub - the subscribing client; must be a different connection.
   */
  constructor(pub: RedisConnection, sub: RedisConnection) {
    this.pub = pub;
    this.sub = sub;
  }

  /** Starts delivering client events to `member` (listeners go on with the first member). */
  attach(member: LinkMember): void {
    if (this.members.size === 0) {
      this.pub.on("error", this.onPubError);
      this.pub.on("ready", this.onPubReady);
      this.sub.on("error", this.onSubError);
      this.sub.on("ready", this.onSubReady);
    }
    this.members.add(member);
  }

  /** Stops delivering to `member` (listeners come off with the last one). */
  detach(member: LinkMember): void {
    if (!this.members.delete(member) || this.members.size > 0) return;
    this.pub.off("error", this.onPubError);
    this.pub.off("ready", this.onPubReady);
    this.sub.off("error", this.onSubError);
    this.sub.off("ready", this.onSubReady);
  }

  private readonly onPubError: RedisEventListener = (err) => {
    this.lastPubError = err;
    for (const member of this.members) member.onClientError("publisher", err);
  };

  private readonly onSubError: RedisEventListener = (err) => {
    this.lastSubError = err;
    for (const member of this.members) member.onClientError("subscriber", err);
  };

  private readonly onPubReady: RedisEventListener = () => {
    this.lastPubError = undefined;
    for (const member of this.members) member.onPublisherReady();
  };

  private readonly onSubReady: RedisEventListener = () => {
    this.lastSubError = undefined;
    for (const member of this.members) member.onSubscriberReady();
  };
}
