/**
 * `@socket.io/redis-adapter` 8.3 on roomcast, unchanged: `createAdapter` with node-redis and with
 * ioredis clients, and `createShardedAdapter` with node-redis, each through the shared scenario
 * (two servers, clients on both). The adapters subscribe without a way to await it: a PING
 * queued on the subscriber connection behind the SUBSCRIBEs proves them done.
 */
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { ioredis } from "../../cluster/client-kinds.ts";
import { redisAvailable, redisClient, uniqueKey } from "../../cluster/support.ts";
import { startLocalNode } from "./in-process.ts";
import { describeAdapterScenario } from "./scenario.ts";

const available = await redisAvailable();

describeAdapterScenario(
  "@socket.io/redis-adapter createAdapter, node-redis",
  async () => {
    const key = uniqueKey("compat-classic");
    const subs = [await redisClient(), await redisClient()];
    const nodes = [
      await startLocalNode("A", createAdapter(await redisClient(), subs[0], { key })),
      await startLocalNode("B", createAdapter(await redisClient(), subs[1], { key })),
    ] as const;
    await Promise.all(subs.map((sub) => sub.ping()));
    return { nodes: [nodes[0], nodes[1]] };
  },
  available,
);

describeAdapterScenario(
  "@socket.io/redis-adapter createAdapter, ioredis",
  async () => {
    const key = uniqueKey("compat-classic-ioredis");
    const pairs = [await ioredis(false), await ioredis(false)];
    const nodes = [
      await startLocalNode("A", createAdapter(pairs[0]?.pub, pairs[0]?.sub, { key })),
      await startLocalNode("B", createAdapter(pairs[1]?.pub, pairs[1]?.sub, { key })),
    ] as const;
    await Promise.all(pairs.map((pair) => (pair.sub as Redis).ping()));
    return { nodes: [nodes[0], nodes[1]] };
  },
  available,
);

describeAdapterScenario(
  "@socket.io/redis-adapter createShardedAdapter, node-redis",
  async () => {
    const channelPrefix = uniqueKey("compat-sharded");
    const subs = [await redisClient(), await redisClient()];
    const nodes = [
      await startLocalNode("A", createShardedAdapter(await redisClient(), subs[0], { channelPrefix })),
      await startLocalNode("B", createShardedAdapter(await redisClient(), subs[1], { channelPrefix })),
    ] as const;
    await Promise.all(subs.map((sub) => sub.ping()));
    // Rooms subscribe their own channel when created ("dynamic" mode): pinged again after the joins.
    return { nodes: [nodes[0], nodes[1]], settled: async () => void (await Promise.all(subs.map((sub) => sub.ping()))) };
  },
  available,
);
