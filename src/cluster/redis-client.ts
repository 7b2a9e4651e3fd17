/**
 * The Redis clients a user may pass to `createRedisAdapter` / `createShardedRedisAdapter`, as
 * structural types: roomcast imports no Redis client at runtime.
 *
 * Four kinds fit, told apart at construction (redis-connection.ts):
 * - node-redis v4.6+: `createClient()` and `createCluster()` from "redis";
 * - ioredis v5+: `new Redis()` and `new Cluster()` from "ioredis".
 *
 * The types are deliberately loose (each library's methods are overloaded differently); the
 * methods each adapter needs are checked when it is created, and a client that does not fit is
 * refused there with an error naming what is missing. Inside roomcast every client is used
 * through the small {@link RedisConnection} interface, never through these types.
 */

/** Receives one pub/sub message and the channel it came on, both as Buffers. */
export type RedisMessageListener = (message: Buffer, channel: Buffer) => void;

/** A client event listener (`error` passes an Error, `ready` nothing). */
export type RedisEventListener = (...args: unknown[]) => void;

/** Any function: the adapters check the exact methods at runtime. */
type Method = (...args: never[]) => unknown;

/** What every client shares: events. */
interface EventSource {
  /** Adds an event listener (the adapters listen to `error` and `ready`-like events). */
  on(event: string, listener: RedisEventListener): unknown;
  /** Removes a listener added with `on`. */
  off(event: string, listener: RedisEventListener): unknown;
}

/**
 * A node-redis (v4.6+) client (`createClient()`) or cluster (`createCluster()`), connected
 * (`await client.connect()`).
 */
export interface NodeRedisClientLike extends EventSource {
  /** True while connected or reconnecting. */
  readonly isOpen: boolean;
  /** True while commands can be sent at once. */
  readonly isReady: boolean;
  /** `PUBLISH`. */
  publish: Method;
  /** A raw command (`PUBSUB NUMSUB`). */
  sendCommand: Method;
}

/** An ioredis (v5+) client (`new Redis()`) or cluster (`new Cluster()`). */
export interface IoRedisClientLike extends EventSource {
  /** `"ready"` while commands can be sent at once. */
  readonly status: string;
  /** `PUBLISH`. */
  publish: Method;
  /** A raw command (`PUBSUB NUMSUB`). */
  call: Method;
}

/** A client the adapters accept: node-redis or ioredis, standalone or cluster. */
export type RedisClientLike = NodeRedisClientLike | IoRedisClientLike;

/** The client that publishes: broadcasts, requests, answers, and the server count query. */
export type RedisPublisher = RedisClientLike;

/**
 * The client that subscribes. It enters subscriber mode, so it must be a second connection
 * (`pub.duplicate()`).
 */
export type RedisSubscriber = RedisClientLike;
