/**
 * One Redis connection as the adapters use it, whatever the client library: the contract
 * every Redis feature of roomcast goes through (add an operation here and in both
 * implementations, node-redis.ts and ioredis.ts), and {@link toConnection}, which tells the
 * user's client apart and refuses one that does not fit, at construction.
 */
import { IoRedisConnection, isIoRedis } from "./ioredis.ts";
import { isNodeRedis, NodeRedisConnection } from "./node-redis.ts";
import type { ConnectionNeeds } from "./connection-needs.ts";
import type { RedisEventListener, RedisMessageListener } from "./redis-client.ts";

/** Plain channels, patterns, or sharded channels (Redis 7 SSUBSCRIBE). */
export type SubscriptionKind = "channel" | "pattern" | "sharded";

/** Options of {@link RedisConnection.command}. */
export interface CommandOptions {
  /** Bulk-string replies (nested ones too) as Buffers instead of UTF-8 strings: binary values come back intact. */
  buffers?: boolean;
}

/** The client events the adapters follow, in one vocabulary for both libraries. */
export type ConnectionEvent = "error" | "ready";

/**
 * A Redis connection (or a cluster client) with the few operations the adapters need.
 * Implementations never throw synchronously from the promise-returning methods: failures are
 * rejections.
 */
export interface RedisConnection {
  /** For messages: "a node-redis client", "an ioredis Cluster", … */
  readonly description: string;
  /** A Redis Cluster client (commands are routed by slot; PUBSUB counts are per node). */
  readonly isCluster: boolean;
  /** Whether commands can be sent now. */
  isReady(): boolean;
  /** False when the client was never connected or is closed for good; true while (re)connecting. */
  isOpen(): boolean;
  /** Follows `error` (each failed attempt) and `ready` (connected again). */
  on(event: ConnectionEvent, listener: RedisEventListener): void;
  /** Stops following an event. */
  off(event: ConnectionEvent, listener: RedisEventListener): void;
  /**
   * `PUBLISH` (`sharded`: `SPUBLISH`). On a cluster, every `PUBLISH` of one connection goes
   * through the same node, so they reach subscribers in the order they were sent, as on one
   * Redis (cluster clients otherwise pick a node per `PUBLISH`, and two messages taking
   * different nodes may arrive swapped). `SPUBLISH` goes to the channel's shard: ordered per
   * channel.
   */
  publish(channel: string, message: string | Buffer, sharded: boolean): Promise<unknown>;
  /**
   * Subscribes `channels` of `kind` for `listener`, in buffer mode. Several listeners may hold
   * one channel; Redis is told once. Sharded channels go one per call (a cluster may hold them
   * on different shards).
   */
  subscribe(kind: SubscriptionKind, channels: string[], listener: RedisMessageListener): Promise<unknown>;
  /** Removes `listener` from `channels`; Redis is told when a channel has no listener left. */
  unsubscribe(kind: SubscriptionKind, channels: string[], listener: RedisMessageListener): Promise<unknown>;
  /**
   * Sends a raw command (arguments may be binary). On a cluster it goes to the node owning
   * `key` (or any node when there is none); `EVAL`/`EVALSHA` are routed by their first key
   * (a script's keys must share a slot). Replies: strings (Buffers with `buffers`), integers as
   * numbers, nil as null, arrays as arrays.
   */
  command(args: ReadonlyArray<string | Buffer>, key?: string, options?: CommandOptions): Promise<unknown>;
  /** Sends a raw command to every node of a cluster (masters and replicas), or to the server. */
  commandOnEveryNode(args: string[]): Promise<unknown[]>;
}

/**
 * Wraps the user's client, after checking it can do what `needs` lists.
 *
 * @throws TypeError naming the library detected and the methods or options missing, or, when
 *   neither library is recognised, what was looked for.
 */
export function toConnection(client: unknown, needs: ConnectionNeeds): RedisConnection {
  const where = `roomcast: the ${needs.role} client`;
  if (typeof client !== "object" || client === null) throw new TypeError(`${where} is ${client === null ? "null" : typeof client}, not a Redis client`);
  if (isNodeRedis(client)) return NodeRedisConnection.wrap(client, needs);
  if (isIoRedis(client)) return IoRedisConnection.wrap(client, needs);
  throw new TypeError(
    `${where} is neither a node-redis v4.6+ client (it has no isOpen and sendCommand()) nor an ioredis client (no status and call()): ` +
      `pass createClient()/createCluster() from "redis" or new Redis()/new Cluster() from "ioredis"`,
  );
}
