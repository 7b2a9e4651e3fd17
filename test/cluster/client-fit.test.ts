/**
 * A Redis client that cannot do what the adapter needs is refused when the adapter is created,
 * with an error naming the library detected and what is missing (before, an ioredis client
 * surfaced only as "Redis did not answer" after the init timeout: the real cause was thrown
 * where nobody listened).
 */
import { Cluster, Redis } from "ioredis";
import { createCluster } from "redis";
import { afterEach, describe, expect, it } from "vitest";
import { createRedisAdapter, createShardedRedisAdapter, type RedisClientLike } from "../../src/index.ts";
import { cleanup, startServer } from "../support/harness.ts";

afterEach(cleanup);

const noop = (): Promise<void> => Promise.resolve();

/** Shaped like node-redis (isOpen + sendCommand) but without pattern or sharded pub/sub. */
function oldNodeRedis(): RedisClientLike {
  return { isOpen: true, isReady: true, on: noop, off: noop, publish: noop, sendCommand: noop, subscribe: noop, unsubscribe: noop } as RedisClientLike;
}

/** Shaped like ioredis (status + call) but without sharded pub/sub. */
function oldIoRedis(): RedisClientLike {
  return { status: "ready", on: noop, off: noop, publish: noop, call: noop, subscribe: noop, unsubscribe: noop, psubscribe: noop, punsubscribe: noop } as RedisClientLike;
}

describe("Redis clients that do not fit are refused at construction", () => {
  it("an object that is neither node-redis nor ioredis", () => {
    const bogus = { on: noop, off: noop } as unknown as RedisClientLike;
    expect(() => createRedisAdapter(bogus, oldNodeRedis())).toThrow(/publisher client is neither a node-redis v4.6\+ client .* nor an ioredis client/);
    expect(() => createRedisAdapter(oldNodeRedis(), null as unknown as RedisClientLike)).toThrow(/subscriber client is null/);
  });

  it("a node-redis-shaped subscriber without pSubscribe, for the pattern mode only", () => {
    expect(() => createRedisAdapter(oldNodeRedis(), oldNodeRedis())).toThrow(
      "roomcast: the subscriber client (a node-redis client) cannot be used: it has no pSubscribe(), pUnsubscribe()",
    );
    // The per-room mode subscribes plain channels only.
    expect(() => createRedisAdapter(oldNodeRedis(), oldNodeRedis(), { subscriptionMode: "per-room" })).not.toThrow();
    expect(() => createShardedRedisAdapter(oldNodeRedis(), oldNodeRedis())).toThrow(/publisher client \(a node-redis client\) cannot be used: it has no sPublish\(\)/);
  });

  it("an ioredis-shaped client without ssubscribe/spublish, for the sharded adapter only", () => {
    expect(() => createRedisAdapter(oldIoRedis(), oldIoRedis())).not.toThrow();
    expect(() => createShardedRedisAdapter(oldIoRedis(), oldIoRedis())).toThrow(/publisher client \(an ioredis client\) cannot be used: it has no spublish\(\)/);
  });

  it("an ioredis Cluster without shardedSubscribers, for the sharded adapter", () => {
    const nodes = [{ host: "127.0.0.1", port: 1 }];
    const plain = new Cluster(nodes, { lazyConnect: true });
    const sharded = new Cluster(nodes, { lazyConnect: true, shardedSubscribers: true });
    expect(() => createShardedRedisAdapter(plain, plain.duplicate())).toThrow(
      /subscriber client \(an ioredis Cluster\) cannot be used: sharded pub\/sub on an ioredis Cluster needs new Cluster\(nodes, \{ shardedSubscribers: true \}\)/,
    );
    expect(() => createShardedRedisAdapter(plain, sharded)).not.toThrow();
    expect(() => createRedisAdapter(plain, plain.duplicate())).not.toThrow();
  });

  it("an ioredis client already closed: init() says so at once", async () => {
    const pub = new Redis({ lazyConnect: true });
    const sub = new Redis({ lazyConnect: true });
    sub.disconnect();
    const server = await startServer({ adapter: createRedisAdapter(pub, sub, { requestsTimeout: 60_000 }) });
    await expect(server.io.of("/").adapter.init()).rejects.toThrow(/the subscriber client is not connected \(call connect\(\) first\)/);
    await server.io.of("/").adapter.close();
  });
});

describe("Redis adapter factories", () => {
  it("accept node-redis clusters and ioredis clients and clusters as they are (types checked at compile time)", () => {
    const nodeCluster = createCluster({ rootNodes: [{ url: "redis://127.0.0.1:1" }] });
    const io = new Redis({ lazyConnect: true });
    const ioCluster = new Cluster([{ host: "127.0.0.1", port: 1 }], { lazyConnect: true, shardedSubscribers: true });
    for (const [pub, sub] of [
      [nodeCluster, nodeCluster.duplicate()],
      [io, io.duplicate()],
      [ioCluster, ioCluster.duplicate()],
    ] as const) {
      expect(typeof createRedisAdapter(pub, sub)).toBe("function");
      expect(typeof createShardedRedisAdapter(pub, sub)).toBe("function");
    }
  });
});
