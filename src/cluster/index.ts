/**
 * The Redis adapters: several roomcast servers (and socket.io servers, and
 * `@socket.io/redis-emitter` processes) acting as one.
 */
export { createRedisAdapter, createShardedRedisAdapter } from "./create.ts";
export type {
  RedisAdapterConstructor,
  RedisAdapterOptions,
  ShardedRedisAdapterConstructor,
  ShardedRedisAdapterOptions,
} from "./create.ts";
export { RedisAdapter } from "./redis-adapter.ts";
export type { ClassicSubscriptionMode } from "./redis-adapter.ts";
export { ShardedRedisAdapter } from "./sharded-adapter.ts";
export type { ShardedSubscriptionMode } from "./sharded-adapter.ts";
export { RedisAdapterError } from "./errors.ts";
export type { RedisAdapterErrorCode } from "./errors.ts";
export type {
  IoRedisClientLike,
  NodeRedisClientLike,
  RedisClientLike,
  RedisMessageListener,
  RedisPublisher,
  RedisSubscriber,
} from "./redis-client.ts";
