/**
 * Connection state recovery with the Redis client kinds besides node-redis on one Redis (the
 * rest of this suite): ioredis with the classic adapter, and the classic adapter on a 3-master
 * Redis Cluster (started by this file) with node-redis `createCluster` and ioredis `Cluster`.
 *
 * On a Redis Cluster every script runs on the node owning its namespace's slot (all the keys of
 * a namespace share the hash tag `{N}`): two namespaces whose slots live on different masters
 * are used, so each node learns its scripts (EVAL, then EVALSHA) on its own.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRedisAdapter } from "../../src/index.ts";
import type { RedisAdapter } from "../../src/cluster/redis-adapter.ts";
import { RecoveryKeys } from "../../src/cluster/recovery-commands.ts";
import { ioredis, ioredisCluster, nodeRedisCluster, type ClientPair, type PairFactory } from "../cluster/client-kinds.ts";
import { startRedisCluster, type RedisClusterHandle } from "../cluster/redis-cluster.ts";
import { redisAvailable, uniqueKey } from "../cluster/support.ts";
import { cleanup, onCleanup, startServer, type TestServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { TcpProxy } from "./proxy.ts";
import { drop, namesFrom, recorded, resume, type Recorded } from "./support.ts";

const run = promisify(execFile);
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

/** Two namespaces whose hash tags (`{/}` slot 5517, `{/news}` slot 14692) fall on different masters. */
const NAMESPACES = ["/", "/news"] as const;

const kinds: Array<[string, PairFactory]> = [
  ["ioredis", ioredis],
  ["node-redis createCluster", nodeRedisCluster(theCluster)],
  ["ioredis Cluster", ioredisCluster(theCluster)],
];

interface Node extends TestServer {
  errors: string[];
}

/** A roomcast server with recovery on over `pair`; new sockets join "a", a middleware sets data.user. */
async function node(pair: ClientPair, key: string): Promise<Node> {
  const srv = await startServer({ adapter: createRedisAdapter(pair.pub, pair.sub, { key, requestsTimeout: 3000 }), connectionStateRecovery: {} });
  const errors: string[] = [];
  for (const name of NAMESPACES) {
    const nsp = srv.io.of(name);
    nsp.use((socket, next) => {
      (socket.data as Record<string, unknown>).user = socket.handshake.auth.user ?? "nobody";
      next();
    });
    nsp.on("connection", (socket: ServerSocket) => {
      if (!socket.recovered) void socket.join("a");
    });
    const adapter = nsp.adapter as RedisAdapter;
    adapter.on("error", (err: Error) => errors.push(`${name}: ${err.message}`));
    onCleanup(() => adapter.close());
    await adapter.init();
  }
  return { ...srv, errors };
}

/** An official client of namespace `nsp` through `proxy`; resolves with its server-side socket on `srv`. */
async function client(proxy: TcpProxy, srv: TestServer, nsp: string): Promise<Recorded & { socket: ServerSocket }> {
  const next = new Promise<ServerSocket>((resolve) => srv.io.of(nsp).once("connection", resolve));
  const rec = await recorded(`http://127.0.0.1:${proxy.port}${nsp}`, { auth: { user: "alice" } });
  return { ...rec, socket: await next };
}

describe.skipIf(!available).each(kinds)("recovery with the classic adapter over %s", (name, pair) => {
  it("[REDIS:recovery-keys] resumes on another server, in two namespaces, with what every server sent while away, in log order", async () => {
    const key = uniqueKey(`rec-kinds-${name.replace(/\W+/g, "-")}`);
    const a = await node(await pair(false), key);
    const b = await node(await pair(false), key);
    const proxy = await TcpProxy.start(a.port);
    for (const nspName of NAMESPACES) {
      proxy.target = a.port;
      const { client: c, log, socket: before, received } = await client(proxy, a, nspName);
      // A witness on A, in "a" too: it receives everything in log order, so each send is awaited.
      const witness = await recorded(`${a.url()}${nspName}`);
      a.io.of(nspName).to("a").emit("live");
      await received("live");
      await drop(c, before);
      const mark = log.length;
      b.io.of(nspName).to("a").emit("m", 1, Buffer.from([0, 255]));
      await witness.received("m");
      a.io.of(nspName).emit("m2");
      await witness.received("m2");
      b.io.of(nspName).to("elsewhere").emit("not-for-it");
      b.io.of(nspName).to(before.id).emit("to-its-id");
      b.io.of(nspName).to("a").emit("m3");
      await witness.received("m3");
      proxy.target = b.port;
      const after = await resume(c, b.io.of(nspName));
      expect(after.recovered).toBe(true);
      expect(after.id).toBe(before.id);
      expect([...after.rooms].sort()).toEqual([before.id, "a"].sort());
      expect(after.data).toEqual({ user: "alice" });
      expect(namesFrom(log, mark)).toEqual(["m", "m2", "to-its-id", "m3", "<connect>"]);
      expect(log[mark]?.slice(0, 3)).toEqual(["m", 1, Buffer.from([0, 255])]);
      b.io.of(nspName).to("a").emit("after");
      await received("after");
      expect(namesFrom(log, mark)).toEqual(["m", "m2", "to-its-id", "m3", "<connect>", "after"]);
    }
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});

describe.skipIf(!available)("recovery keys on a Redis Cluster", () => {
  it("keep a namespace in one slot, and the two namespaces of these tests on different masters", async () => {
    const port = String(theCluster().ports[0]);
    const cli = async (...args: string[]): Promise<string> => (await run("redis-cli", ["-h", "127.0.0.1", "-p", port, ...args])).stdout.trim();
    const slotOf = async (k: string): Promise<number> => Number(await cli("cluster", "keyslot", k));
    // CLUSTER NODES: `<id> <host:port@bus> <flags> … <slot ranges…>`, one master per line here.
    const nodes = (await cli("cluster", "nodes")).split("\n").map((line) => line.split(" "));
    const ownerOf = (slot: number): string | undefined =>
      nodes.find((fields) =>
        fields.slice(8).some((range) => {
          const [from, to = from] = range.split("-").map(Number);
          return from !== undefined && slot >= from && slot <= to;
        }),
      )?.[1];
    const masters: Array<string | undefined> = [];
    for (const nsp of NAMESPACES) {
      const keys = new RecoveryKeys("k", nsp);
      const slot = await slotOf(keys.log);
      expect(await slotOf(keys.meta)).toBe(slot);
      expect(await slotOf(keys.session("0123456789abcdefghij"))).toBe(slot);
      masters.push(ownerOf(slot));
    }
    expect(masters.every((m) => m !== undefined)).toBe(true);
    expect(new Set(masters).size).toBe(NAMESPACES.length);
  });
});
