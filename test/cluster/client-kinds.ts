/**
 * The Redis client kinds our adapters accept, each as a way to open a connected publisher and
 * a subscriber (closed by the harness' cleanup()): ioredis on the shared Redis, and node-redis
 * `createCluster` and ioredis `Cluster` on a Redis Cluster the test file started.
 */
import { Cluster, Redis } from "ioredis";
import { createCluster } from "redis";
import type { RedisClientLike } from "../../src/index.ts";
import { onCleanup } from "../support/harness.ts";
import type { RedisClusterHandle } from "./redis-cluster.ts";
import { REDIS_URL } from "./support.ts";

/** A publisher and a subscriber of one client kind, connected. */
export interface ClientPair {
  pub: RedisClientLike;
  sub: RedisClientLike;
}

/** Opens a pair; `sharded` when it is for the sharded adapter. */
export type PairFactory = (sharded: boolean) => Promise<ClientPair>;

/** Resolves once an ioredis client (or Cluster) is ready; rejects if it ends first. */
function ioReady(client: Redis | Cluster): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.once("ready", () => resolve());
    client.once("end", () => reject(new Error("the ioredis client ended before it was ready")));
  });
}

async function ioredisPair(pub: Redis | Cluster, sub: Redis | Cluster): Promise<ClientPair> {
  for (const client of [pub, sub]) {
    // Errors are the adapter's to report; recorded here so they are never unhandled.
    client.on("error", () => {});
    onCleanup(() => {
      client.disconnect();
    });
  }
  await Promise.all([ioReady(pub), ioReady(sub)]);
  return { pub, sub };
}

/** ioredis (`new Redis(url)` and `.duplicate()`) on the shared Redis. */
export const ioredis: PairFactory = () => {
  const pub = new Redis(REDIS_URL);
  return ioredisPair(pub, pub.duplicate());
};

/** ioredis `new Cluster(nodes)`; for the sharded adapter with `shardedSubscribers: true`. */
export function ioredisCluster(cluster: () => RedisClusterHandle): PairFactory {
  return (sharded) => {
    const pub = new Cluster(cluster().nodes, sharded ? { shardedSubscribers: true } : {});
    return ioredisPair(pub, pub.duplicate());
  };
}

/** node-redis `createCluster({ rootNodes })` and `.duplicate()`. */
export function nodeRedisCluster(cluster: () => RedisClusterHandle): PairFactory {
  return async () => {
    const pub = createCluster({ rootNodes: cluster().nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })) });
    const sub = pub.duplicate();
    for (const client of [pub, sub]) {
      client.on("error", () => {});
      onCleanup(async () => {
        if (client.isOpen) await client.close();
      });
    }
    await Promise.all([pub.connect(), sub.connect()]);
    return { pub, sub };
  };
}
