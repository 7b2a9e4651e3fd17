/**
 * Our Redis adapters with every Redis client kind they accept besides node-redis on one Redis
 * (covered by the rest of this suite): ioredis, node-redis `createCluster` and ioredis
 * `Cluster`, classic and sharded. The Redis Cluster (3 masters) is started by this file.
 *
 * One scenario, run per kind, with two roomcast servers and official clients on both: a room
 * broadcast reaches each member once and nobody else; `socket.broadcast` and `except` exclude
 * across servers; `fetchSockets` returns the members of both; `serverSideEmit` with an ack is
 * answered by the other server (which needs the server count right on a Redis Cluster).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanup } from "../support/harness.ts";
import { ioredis, ioredisCluster, nodeRedisCluster, type PairFactory } from "./client-kinds.ts";
import { startRedisCluster, type RedisClusterHandle } from "./redis-cluster.ts";
import { member, redisAvailable, settled, startNodeWith, uniqueKey, type AdapterNode, type ClusterMode, type Member } from "./support.ts";

const available = await redisAvailable();

let redisCluster: RedisClusterHandle | undefined;
beforeAll(async () => {
  if (available) redisCluster = await startRedisCluster(3);
}, 60_000);
afterAll(async () => {
  await redisCluster?.stop();
});
afterEach(cleanup);

function theCluster(): RedisClusterHandle {
  if (redisCluster === undefined) throw new Error("the Redis Cluster did not start");
  return redisCluster;
}

const classic: ClusterMode = { kind: "classic", options: { requestsTimeout: 3000 } };
const sharded: ClusterMode = { kind: "sharded", options: { requestsTimeout: 3000 } };

const kinds: Array<[string, PairFactory, ClusterMode]> = [
  ["ioredis, classic", ioredis, classic],
  ["ioredis, sharded", ioredis, sharded],
  ["node-redis createCluster, classic", nodeRedisCluster(theCluster), classic],
  ["node-redis createCluster, sharded", nodeRedisCluster(theCluster), sharded],
  ["ioredis Cluster, classic", ioredisCluster(theCluster), classic],
  ["ioredis Cluster, sharded", ioredisCluster(theCluster), sharded],
];

function sortedIds(members: Member[]): string[] {
  return members.map((m) => m.id).sort();
}

/**
 * What each member received from `send()`, checked with a barrier that holds whatever the
 * client kind: `sync` travels on the same channel as what is tested (so it arrives after it on
 * every server, even across shards), and once every `receivers` got it, each server emits
 * `end` locally to its own sockets, ordered behind anything it delivered before.
 */
async function received(nodes: AdapterNode[], members: Member[], receivers: Member[], send: () => void): Promise<string[][]> {
  const before = new Map<Member, Promise<Array<[string, ...unknown[]]>>>();
  for (const m of receivers) before.set(m, m.rec.until("sync"));
  send();
  const synced = new Map<Member, Array<[string, ...unknown[]]>>();
  for (const [m, events] of before) synced.set(m, await events);
  const after = members.map((m) => m.rec.until("end"));
  for (const node of nodes) node.io.local.emit("end");
  const rest = await Promise.all(after);
  return members.map((m, i) => [...(synced.get(m) ?? []), ...(rest[i] ?? [])].map((e) => e[0]));
}

describe.runIf(available).each(kinds)("our adapter with %s", (name, pair, mode) => {
  async function setup() {
    const key = uniqueKey(`kinds-${name.replace(/\W+/g, "-")}`);
    const isSharded = mode.kind === "sharded";
    const first = await pair(isSharded);
    const A = await startNodeWith("A", key, mode, first.pub, first.sub);
    const second = await pair(isSharded);
    const B = await startNodeWith("B", key, mode, second.pub, second.sub);
    const a1 = await member(A);
    const a2 = await member(A);
    const b1 = await member(B);
    const b2 = await member(B);
    const errors: string[] = [];
    for (const node of [A, B]) node.adapter().on("error", (err: Error) => errors.push(`${node.name}: ${err.message}`));
    await a1.server.join("room");
    await b1.server.join("room");
    await settled([A, B]);
    return { A, B, a1, a2, b1, b2, nodes: [A, B], all: [a1, a2, b1, b2], errors };
  }

  it("a room broadcast reaches each member once and nobody else", async () => {
    const { A, B, a1, b1, nodes, all } = await setup();
    const fromA = await received(nodes, all, [a1, b1], () => {
      A.io.to("room").emit("news");
      A.io.to("room").emit("sync");
    });
    expect(fromA).toEqual([["news"], [], ["news"], []]);
    const fromB = await received(nodes, all, [a1, b1], () => {
      B.io.to("room").emit("news", Buffer.from([1, 2]));
      B.io.to("room").emit("sync");
    });
    expect(fromB).toEqual([["news"], [], ["news"], []]);
  });

  it("rooms joined together are each subscribed (on a Redis Cluster their channels live on different shards)", async () => {
    const { B, a2, nodes, errors } = await setup();
    const rooms = ["r1", "r2", "r3", "r4", "r5", "r6"];
    await a2.server.join(rooms);
    await settled(nodes);
    expect(errors).toEqual([]);
    // Channels on different shards keep no order between them: one room at a time.
    for (const room of rooms) {
      const arrived = a2.rec.until(room);
      B.io.to(room).emit(room);
      expect(await arrived).toEqual([]);
    }
  });

  it("socket.broadcast and except exclude across servers", async () => {
    const { A, B, a1, b1, b2, nodes, all } = await setup();
    const broadcast = await received(nodes, all, all, () => {
      b2.server.broadcast.emit("from-b2");
      B.io.emit("sync");
    });
    expect(broadcast).toEqual([["from-b2"], ["from-b2"], ["from-b2"], []]);
    const except = await received(nodes, all, all, () => {
      A.io.except("room").emit("not-room");
      A.io.except(b2.id).emit("not-b2");
      A.io.emit("sync");
    });
    expect(except).toEqual([["not-b2"], ["not-room", "not-b2"], ["not-b2"], ["not-room"]]);
    // A socket's own broadcast to a room skips it on its server and reaches the room elsewhere.
    const toRoom = await received(nodes, all, [a1, b1], () => {
      b1.server.to("room").emit("from-b1");
      B.io.to("room").emit("sync");
    });
    expect(toRoom).toEqual([["from-b1"], [], [], []]);
  });

  it("a server's broadcasts reach the other server in the order they were sent", async () => {
    // On a Redis Cluster a client sends each PUBLISH to any node; two PUBLISHes taking
    // different nodes can arrive swapped. Ours go through one node per connection.
    const { A, b2 } = await setup();
    const arrived = b2.rec.until("sync");
    for (let i = 0; i < 100; i++) A.io.emit("n", i);
    A.io.emit("sync");
    expect((await arrived).map((event) => event[1])).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("fetchSockets returns the members of both servers", async () => {
    const { A, B, a1, b1, all } = await setup();
    expect((await A.io.in("room").fetchSockets()).map((s) => s.id).sort()).toEqual(sortedIds([a1, b1]));
    expect((await B.io.fetchSockets()).map((s) => s.id).sort()).toEqual(sortedIds(all));
  });

  it("serverSideEmit with an ack is answered by the other server", async () => {
    const { A, B } = await setup();
    expect(await A.adapter().serverCount()).toBe(2);
    B.io.on("ping", (n: number, ack: (answer: string) => void) => ack(`pong ${n} from B`));
    A.io.on("ping", () => {
      throw new Error("a server-side emit must not come back to its sender");
    });
    expect(await A.io.serverSideEmitWithAck("ping", 7)).toEqual(["pong 7 from B"]);
  });
});
