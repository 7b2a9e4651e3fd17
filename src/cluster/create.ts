/**
 * The public factories: `createRedisAdapter` (the classic protocol, compatible with
 * `@socket.io/redis-adapter`'s `createAdapter` and `@socket.io/redis-emitter`) and
 * `createShardedRedisAdapter` (compatible with its `createShardedAdapter`).
 */
import type { AdapterNamespace } from "../rooms/types.ts";
import type { ConnectionNeeds } from "./connection-needs.ts";
import type { RedisPublisher, RedisSubscriber } from "./redis-client.ts";
import { toConnection } from "./redis-connection.ts";
import { RedisLink } from "./redis-link.ts";
import type { SubscriptionKind } from "./redis-connection.ts";
import { RedisAdapter, type ClassicSubscriptionMode } from "./redis-adapter.ts";
import { ShardedRedisAdapter, type ShardedSubscriptionMode } from "./sharded-adapter.ts";

/** Options of {@link createRedisAdapter}. */
export interface RedisAdapterOptions {
  /** Channel prefix; must match the other servers' and emitters' `key`. Default "socket.io". */
  key?: string;
  /** Milliseconds to wait for every server's answer (fetchSockets, allSockets, serverSideEmitWithAck…) and for `init()`. Default 5000. */
  requestsTimeout?: number;
  /** Answer each requester on its own channel instead of the shared one (every v8 server listens there). Default false. */
  publishOnSpecificResponseChannel?: boolean;
  /**
   * "pattern" (default): subscribe `K#N#*` and hear every broadcast, as `@socket.io/redis-adapter`
   * does. "per-room": subscribe only the channels of rooms with a socket on this server; the
   * wire stays the same, so it mixes with pattern servers and emitters.
   */
  subscriptionMode?: ClassicSubscriptionMode;
  /**
   * With connection state recovery on: how often (ms) each connected socket's session is
   * refreshed in Redis and its `data` saved if it changed. After its server dies, a session
   * stays resumable for `maxDisconnectionDuration` plus up to twice this, with `data` as of the
   * last save. Default 10000.
   */
  sessionRefreshInterval?: number;
}

/** Options of {@link createShardedRedisAdapter}. */
export interface ShardedRedisAdapterOptions {
  /** Channel prefix; must match the other servers'. Default "socket.io". */
  channelPrefix?: string;
  /** Milliseconds to wait for every server's answer and for `init()`. Default 5000. */
  requestsTimeout?: number;
  /**
   * "static": one channel per namespace. "dynamic" (default): plus one per public room (not a
   * socket id) with a socket here. "dynamic-private": plus one per room, socket ids included.
   * Must match the other servers' mode.
   */
  subscriptionMode?: ShardedSubscriptionMode;
}

/** A class building one {@link RedisAdapter} per namespace (what `io.adapter()` takes). */
export type RedisAdapterConstructor = new (nsp: AdapterNamespace) => RedisAdapter;

/** A class building one {@link ShardedRedisAdapter} per namespace. */
export type ShardedRedisAdapterConstructor = new (nsp: AdapterNamespace) => ShardedRedisAdapter;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`roomcast: option ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function prefix(name: string, value: string | undefined): string {
  if (value === undefined) return "socket.io";
  if (typeof value !== "string" || value.length === 0) throw new TypeError(`roomcast: option ${name} must be a non-empty string`);
  return value;
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new TypeError(`roomcast: option ${name} must be one of ${allowed.join(", ")}`);
  return value;
}

function link(pubClient: RedisPublisher, subClient: RedisSubscriber, pubNeeds: ConnectionNeeds, subNeeds: ConnectionNeeds): RedisLink {
  // A subscribed RESP2 connection cannot publish, and one connection would make every server
  // count itself twice in PUBSUB NUMSUB: two connections are required.
  if ((pubClient as unknown) === (subClient as unknown)) {
    throw new TypeError("roomcast: pubClient and subClient must be two different connections (subClient = pubClient.duplicate())");
  }
  // Checked now, so that a client that does not fit is refused here with what it lacks, not
  // later as a subscription that never completes.
  return new RedisLink(toConnection(pubClient, pubNeeds), toConnection(subClient, subNeeds));
}

/**
 * Creates the adapter class that joins this server to a Redis cluster of roomcast servers,
 * socket.io servers using `@socket.io/redis-adapter`'s `createAdapter`, and
 * `@socket.io/redis-emitter` processes (same channels, same messages).
 *
 * The clients are the caller's: node-redis v4.6+ (`createClient`, `createCluster`) or ioredis
 * v5+ (`new Redis`, `new Cluster`), see README; roomcast never imports a Redis client. Each
 * namespace's adapter subscribes when created; listen to its `error` event
 * (`io.of("/").adapter.on("error", …)`) to see Redis failures.
 *
 * @param pubClient - publishes broadcasts and requests.
 * @param subClient - subscribes; a second connection (`pubClient.duplicate()`).
 * @param options - see {@link RedisAdapterOptions}.
 * @throws TypeError on invalid options, when both clients are the same object, or when a
 *   client is not one of the above or lacks a method the adapter needs (the message names it).
 *
 * @example
 * const pub = createClient({ url: "redis://localhost:6379" }); // or: new Redis()
 * const sub = pub.duplicate();
 * await Promise.all([pub.connect(), sub.connect()]); // ioredis connects by itself
 * io.adapter(createRedisAdapter(pub, sub));
 */
export function createRedisAdapter(
  pubClient: RedisPublisher,
  subClient: RedisSubscriber,
  options: RedisAdapterOptions = {},
): RedisAdapterConstructor {
  const resolved = {
    key: prefix("key", options.key),
    requestsTimeout: positive("requestsTimeout", options.requestsTimeout, 5000),
    publishOnSpecificResponseChannel: options.publishOnSpecificResponseChannel === true,
    subscriptionMode: oneOf("subscriptionMode", options.subscriptionMode, ["pattern", "per-room"], "pattern"),
    sessionRefreshInterval: positive("sessionRefreshInterval", options.sessionRefreshInterval, 10_000),
  };
  const kinds: SubscriptionKind[] = resolved.subscriptionMode === "pattern" ? ["channel", "pattern"] : ["channel"];
  const shared = link(pubClient, subClient, { role: "publisher" }, { role: "subscriber", kinds });
  return class extends RedisAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, shared, resolved);
    }
  };
}

/**
 * Creates the adapter class for Redis sharded pub/sub (Redis 7+: `SPUBLISH`/`SSUBSCRIBE`),
 * compatible with `@socket.io/redis-adapter`'s `createShardedAdapter`. In a Redis Cluster each
 * channel lives on one shard, so messages are not copied to every node of the Redis cluster.
 *
 * @param pubClient - publishes (SPUBLISH); a client or a cluster client of node-redis or ioredis.
 * @param subClient - subscribes (SSUBSCRIBE); a second connection. An ioredis `Cluster` needs
 *   `{ shardedSubscribers: true }`.
 * @param options - see {@link ShardedRedisAdapterOptions}.
 * @throws TypeError on invalid options, when both clients are the same object, or when a
 *   client does not fit (the message names what is missing).
 *
 * @example
 * io.adapter(createShardedRedisAdapter(pub, sub, { subscriptionMode: "dynamic" }));
 */
export function createShardedRedisAdapter(
  pubClient: RedisPublisher,
  subClient: RedisSubscriber,
  options: ShardedRedisAdapterOptions = {},
): ShardedRedisAdapterConstructor {
  const resolved = {
    channelPrefix: prefix("channelPrefix", options.channelPrefix),
    requestsTimeout: positive("requestsTimeout", options.requestsTimeout, 5000),
    subscriptionMode: oneOf("subscriptionMode", options.subscriptionMode, ["static", "dynamic", "dynamic-private"], "dynamic"),
  };
  const shared = link(pubClient, subClient, { role: "publisher", sPublish: true }, { role: "subscriber", kinds: ["sharded"] });
  return class extends ShardedRedisAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, shared, resolved);
    }
  };
}
