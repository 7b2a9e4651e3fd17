/**
 * [REDIS:channels] [REDIS:sharded-channels] What each subscription mode subscribes, read from
 * Redis itself (PUBSUB NUMSUB / SHARDNUMSUB): in "per-room" and the dynamic sharded modes a
 * server holds a room's channel only while the room has a socket there, so broadcasts to a
 * room do not reach the servers without it. Also: the client types match node-redis, and bad
 * options are refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "redis";
import { createRedisAdapter, createShardedRedisAdapter, type RedisPublisher, type RedisSubscriber } from "../../src/index.ts";
import { cleanup, waitFor } from "../support/harness.ts";
import { member, redisAvailable, redisClient, startCluster, uniqueKey, type ClusterNode, type RedisClient } from "./support.ts";

const available = await redisAvailable();

afterEach(cleanup);

async function numsub(client: RedisClient, command: "NUMSUB" | "SHARDNUMSUB", channel: string): Promise<number> {
  const reply = (await client.sendCommand(["PUBSUB", command, channel])) as [string, number];
  return Number(reply[1]);
}

describe.runIf(available)("Redis adapter subscriptions", () => {
  it("per-room: a room's channel is held by the servers where the room has sockets, and only while it does", async () => {
    const key = uniqueKey("subs-per-room");
    const [A, B] = (await startCluster(2, key, { kind: "classic", options: { subscriptionMode: "per-room" } })) as [ClusterNode, ClusterNode];
    const redis = await redisClient();
    const room = `${key}#/#lobby#`;
    const a1 = await member(A);
    const b1 = await member(B);
    expect(await numsub(redis, "NUMSUB", room)).toBe(0);
    await a1.server.join("lobby");
    expect(await numsub(redis, "NUMSUB", room)).toBe(1);
    await b1.server.join("lobby");
    expect(await numsub(redis, "NUMSUB", room)).toBe(2);
    await a1.server.leave("lobby");
    await A.adapter().whenSubscribed();
    expect(await numsub(redis, "NUMSUB", room)).toBe(1);
    // A socket's own room has a channel too (socket.io publishes io.to(socketId) there)…
    await B.adapter().whenSubscribed();
    expect(await numsub(redis, "NUMSUB", `${key}#/#${b1.id}#`)).toBe(1);
    // …which goes when the socket does, with its other rooms.
    const gone = waitFor(b1.server, "disconnect");
    b1.client.disconnect();
    await gone;
    await B.adapter().whenSubscribed();
    expect(await numsub(redis, "NUMSUB", `${key}#/#${b1.id}#`)).toBe(0);
    expect(await numsub(redis, "NUMSUB", room)).toBe(0);
    // Every server holds the namespace-wide channel and the request channel.
    expect(await numsub(redis, "NUMSUB", `${key}#/#`)).toBe(2);
    expect(await numsub(redis, "NUMSUB", `${key}-request#/#`)).toBe(2);
  });

  it("pattern: no room channels, one pattern per server", async () => {
    const key = uniqueKey("subs-pattern");
    const [A] = (await startCluster(2, key, { kind: "classic" })) as [ClusterNode];
    const redis = await redisClient();
    const a1 = await member(A);
    await a1.server.join("lobby");
    expect(await numsub(redis, "NUMSUB", `${key}#/#lobby#`)).toBe(0);
    expect(await numsub(redis, "NUMSUB", `${key}#/#`)).toBe(0);
    expect(await numsub(redis, "NUMSUB", `${key}-request#/#`)).toBe(2);
  });

  it("sharded: dynamic holds public rooms only, dynamic-private every room, static none", async () => {
    const redis = await redisClient();
    for (const [mode, publicCount, privateCount] of [
      ["dynamic", 1, 0],
      ["dynamic-private", 1, 1],
      ["static", 0, 0],
    ] as const) {
      const key = uniqueKey(`subs-${mode}`);
      const [node] = (await startCluster(1, key, { kind: "sharded", options: { subscriptionMode: mode } })) as [ClusterNode];
      const a1 = await member(node);
      await a1.server.join("lobby");
      await node.adapter().whenSubscribed();
      expect(await numsub(redis, "SHARDNUMSUB", `${key}#/#lobby#`), mode).toBe(publicCount);
      expect(await numsub(redis, "SHARDNUMSUB", `${key}#/#${a1.id}#`), mode).toBe(privateCount);
      expect(await numsub(redis, "SHARDNUMSUB", `${key}#/#`), mode).toBe(1);
    }
  });
});

describe("Redis adapter factories", () => {
  it("accept node-redis clients as they are (types checked at compile time)", () => {
    const pub = createClient();
    const sub = pub.duplicate();
    const asPublisher: RedisPublisher = pub;
    const asSubscriber: RedisSubscriber = sub;
    expect(typeof createRedisAdapter(asPublisher, asSubscriber)).toBe("function");
    expect(typeof createShardedRedisAdapter(pub, sub)).toBe("function");
  });

  it("refuse one client for both roles, and bad options", () => {
    const pub = createClient();
    const sub = pub.duplicate();
    expect(() => createRedisAdapter(pub, pub)).toThrow(/two different connections/);
    expect(() => createRedisAdapter(pub, sub, { requestsTimeout: 0 })).toThrow(TypeError);
    expect(() => createRedisAdapter(pub, sub, { key: "" })).toThrow(TypeError);
    expect(() => createRedisAdapter(pub, sub, { subscriptionMode: "rooms" as "pattern" })).toThrow(/one of pattern, per-room/);
    expect(() => createShardedRedisAdapter(pub, sub, { subscriptionMode: "all" as "static" })).toThrow(TypeError);
  });
});
