/**
 * Connection state recovery on a Redis cluster (servers in this process, the real Redis): a
 * client resumes on another server with what every server sent while it was away; rooms and
 * data are in Redis as they change; the keys shrink back; packets sent while Redis was
 * unreachable prevent a resume instead of going missing silently.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createShardedRedisAdapter, Server } from "../../src/index.ts";
import { decode } from "../../src/cluster/msgpack.ts";
import { cleanup, connect, connectError, onCleanup, waitFor, whenConnected } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { redisAvailable, redisClient, REDIS_URL, uniqueKey, type RedisClient } from "../cluster/support.ts";
import { RawClient } from "../support/raw.ts";
import { TcpProxy } from "./proxy.ts";
import { client, node } from "./redis-node.ts";
import { CLIENT_KINDS, drop, namesFrom, recorded, resume, type Recorded } from "./support.ts";

const available = await redisAvailable();

afterEach(cleanup);

/** A client of the test's own, to look at what the servers wrote (closed by each test's cleanup). */
let redis: RedisClient;
beforeEach(async () => {
  if (available) redis = await redisClient();
});

/** All keys of a cluster's recovery data. */
function recoveryKeys(key: string): Promise<string[]> {
  return redis.keys(`${key}-recovery*`);
}

describe.skipIf(!available).each(CLIENT_KINDS)("recovery on a Redis cluster, %s client", (_kind, opts) => {
  it("[REDIS:recovery-log] resumes on another server with id, rooms, data and what every server sent while away, in log order", async () => {
    const key = uniqueKey("rec");
    const a = await node(key);
    const b = await node(key);
    const proxy = await TcpProxy.start(a.port);
    const { client: c, log, socket: before, received } = await client(proxy, a, opts);
    // A witness on A, in "a" too: it receives everything in log order, so each send is awaited.
    const witness = await recorded(a.url());
    a.io.to("a").emit("live");
    await received("live");
    await drop(c, before);
    const mark = log.length;
    b.io.to("a").emit("m", 1);
    await witness.received("m");
    a.io.emit("m2");
    await witness.received("m2");
    b.io.to("elsewhere").emit("not-for-it");
    b.io.to(before.id).emit("to-its-id");
    b.io.to("a").emit("m3");
    await witness.received("m3");
    proxy.target = b.port;
    const after = await resume(c, b.io);
    expect(after.recovered).toBe(true);
    expect(c.recovered).toBe(true);
    expect(after.id).toBe(before.id);
    expect([...after.rooms].sort()).toEqual([before.id, "a"].sort());
    expect(after.data).toEqual({ user: "alice" });
    expect(namesFrom(log, mark)).toEqual(["m", "m2", "to-its-id", "m3", "<connect>"]);
    // Live again, through B: once each.
    b.io.to("a").emit("after");
    await received("after");
    expect(namesFrom(log, mark)).toEqual(["m", "m2", "to-its-id", "m3", "<connect>", "after"]);
  });

  it("resumes a client that had received nothing yet", async () => {
    const key = uniqueKey("rec");
    const a = await node(key);
    const b = await node(key);
    const proxy = await TcpProxy.start(a.port);
    const { client: c, log, socket: before } = await client(proxy, a, opts);
    await drop(c, before);
    b.io.to("a").emit("while-away");
    proxy.target = b.port;
    const after = await resume(c, b.io);
    expect(after.recovered).toBe(true);
    expect(log.map((e) => e[0])).toEqual(["<connect>", "while-away", "<connect>"]);
  });
});

describe.skipIf(!available)("recovery on a Redis cluster: what is in Redis", () => {
  it("writes rooms as they change and data when it changed, at the next refresh", async () => {
    const key = uniqueKey("rec");
    const a = await node(key, { adapter: { sessionRefreshInterval: 250 } });
    const next = new Promise<ServerSocket>((resolve) => a.io.once("connection", resolve));
    const c = await whenConnected(connect(a.url(), { auth: { user: "bob" } }));
    const socket = await next;
    await socket.join("b");
    await socket.leave("a");
    const sessionKey = `${key}-recovery#{/}#session#${(c as unknown as { _pid: string })._pid}`;
    // Writes of one publisher run in order: the join and leave are done once a refresh round
    // sent after them is (the second round, to be sure).
    await waitFor(a.recovery, "refreshed");
    await waitFor(a.recovery, "refreshed");
    const fields = await redis.hGetAll(sessionKey);
    expect(fields["=i"]).toBe(socket.id);
    expect(Object.keys(fields).filter((f) => f.startsWith("r")).sort()).toEqual([`r${socket.id}`, "rb"].sort());
    // While connected a session outlives maxDisconnectionDuration (refreshed every round).
    expect(await redis.pTTL(sessionKey)).toBeGreaterThan(120_000);
    (socket.data as Record<string, unknown>).score = 42;
    await waitFor(a.recovery, "refreshed");
    await waitFor(a.recovery, "refreshed");
    const raw = await redis.sendCommand(["HGET", sessionKey, "=d"], { typeMapping: { 36: Buffer } });
    expect(decode(raw as unknown as Buffer)).toEqual({ user: "bob", score: 42 });
  });

  it("shrinks back: a session expires after maxDisconnectionDuration, or goes at once when its client leaves; the log is trimmed and expires", async () => {
    const key = uniqueKey("rec");
    // No waiting for a TTL to run out: the test reads the expiries the server set and brings the
    // one it needs forward itself, so the durations can be long and the machine's load is moot.
    const maxDisconnectionDuration = 60_000;
    const refresh = 100;
    const heartbeat = { pingInterval: 25_000, pingTimeout: 20_000 };
    // The servers' publisher: a command sent on it after a server's write is answered after that
    // write (one connection, in order) — the barrier for the writes a disconnect queues.
    const pub = await redisClient();
    const a = await node(key, { pub, recovery: { maxDisconnectionDuration, maxPackets: 10 }, adapter: { sessionRefreshInterval: refresh }, server: heartbeat });
    const proxy = await TcpProxy.start(a.port);
    const stays = await client(proxy, a);
    const leaves = await client(proxy, a);
    // Keeps refresh rounds going throughout.
    const witness = await client(proxy, a);
    for (let i = 0; i < 30; i++) a.io.emit("m", i);
    a.io.emit("last");
    await stays.received("last");
    const log = `${key}-recovery#{/}#log`;
    const meta = `${key}-recovery#{/}#meta`;
    // The count bound, exactly.
    expect(await redis.xLen(log)).toBe(10);
    const leaving = waitFor(leaves.socket, "disconnect");
    leaves.client.disconnect();
    await leaving;
    await drop(stays.client, stays.socket);
    await pub.ping();
    const session = (r: Recorded): string => `${key}-recovery#{/}#session#${(r.client as unknown as { _pid: string })._pid}`;
    expect(await redis.exists(session(leaves))).toBe(0);
    const kept = session(stays);
    const ttl = await redis.pTTL(kept);
    expect(ttl).toBeGreaterThan(0);
    // maxDisconnectionDuration, not the longer TTL of a connected socket's session.
    expect(ttl).toBeLessThanOrEqual(maxDisconnectionDuration);
    // Refresh rounds after the drop leave its expiry where the drop put it.
    const expiresAt = await redis.pExpireTime(kept);
    await waitFor(a.recovery, "refreshed");
    await waitFor(a.recovery, "refreshed");
    expect(await redis.pExpireTime(kept)).toBe(expiresAt);
    // Its expiry, brought forward to now (a TTL of 0 removes the key at once): the server does
    // not write it back, and the client connects anew.
    await redis.pExpire(kept, 0);
    await waitFor(a.recovery, "refreshed");
    expect(await redis.exists(kept)).toBe(0);
    const again = await resume(stays.client, a.io);
    expect(again.recovered).toBe(false);
    expect(again.id).not.toBe(stays.socket.id);
    // Every client leaves: their sessions go at once; the log and its meta are left to expire,
    // once no connected socket refreshes them, after the retention (+ two refresh rounds).
    for (const [c, s] of [[stays.client, again], [witness.client, witness.socket]] as const) {
      const gone = waitFor(s, "disconnect");
      c.disconnect();
      await gone;
    }
    await pub.ping();
    expect((await recoveryKeys(key)).sort()).toEqual([log, meta]);
    const retention = maxDisconnectionDuration + 2 * (heartbeat.pingInterval + heartbeat.pingTimeout);
    for (const k of [log, meta]) {
      const left = await redis.pTTL(k);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(retention + 2 * refresh);
    }
  });
});

describe.skipIf(!available)("recovery on a Redis cluster: failures", () => {
  it("does not resume a client that may have missed packets sent while Redis was unreachable", async () => {
    const key = uniqueKey("rec");
    const url = new URL(REDIS_URL);
    const redisProxy = await TcpProxy.start(Number(url.port || 6379));
    const { createClient } = await import("redis");
    const pub = createClient({ socket: { host: "127.0.0.1", port: redisProxy.port, reconnectStrategy: () => 20 } });
    pub.on("error", () => {});
    await pub.connect();
    onCleanup(() => {
      if (pub.isOpen) pub.destroy();
    });
    const a = await node(key, { pub: pub as unknown as RedisClient });
    const proxy = await TcpProxy.start(a.port);
    const { client: c, socket: before, received } = await client(proxy, a);
    a.io.to("a").emit("before");
    await received("before");
    await drop(c, before);
    // Redis unreachable for the publisher: a broadcast is delivered on this server only, unlogged.
    const lost = waitFor(pub, "error");
    redisProxy.cut();
    await lost;
    expect(pub.isReady).toBe(false);
    a.io.to("a").emit("during");
    redisProxy.restore();
    await waitFor(pub, "ready");
    const witness = await recorded(a.url());
    a.io.to("a").emit("after");
    await witness.received("after");
    // Resuming would replay "after" but not "during": the client connects anew instead.
    const after = await resume(c, a.io);
    expect(after.recovered).toBe(false);
    expect(after.id).not.toBe(before.id);
  });

  it("lets a client resume on another server while the first still holds its old socket, which goes at its next refresh", async () => {
    const key = uniqueKey("rec");
    const a = await node(key, { adapter: { sessionRefreshInterval: 100 } });
    const b = await node(key, { adapter: { sessionRefreshInterval: 100 } });
    // A client whose connection to A is still open (A has not noticed anything).
    const { raw: onA } = await RawClient.open(a.port);
    onA.send("40");
    const answer = JSON.parse((await onA.nextText("40")).slice(2)) as { sid: string; pid: string };
    const stale = a.io.sockets.sockets.get(answer.sid) as ServerSocket;
    const superseded = waitFor(stale, "disconnect");
    a.io.to("a").emit("seen");
    const offset = (JSON.parse((await onA.nextText('42["seen"')).slice(2)) as string[])[1];
    const { raw: onB } = await RawClient.open(b.port);
    expect(await onB.connectNsp("/", { pid: answer.pid, offset })).toBe(answer.sid);
    expect((await superseded)[0]).toBe("transport close");
    // B owns the session now: its writes go through, A's old socket wrote nothing over them.
    const resumed = b.io.sockets.sockets.get(answer.sid) as ServerSocket;
    await resumed.join("after-takeover");
    await waitFor(b.recovery, "refreshed");
    await waitFor(b.recovery, "refreshed");
    const fields = await redis.hGetAll(`${key}-recovery#{/}#session#${answer.pid}`);
    expect(Object.keys(fields).filter((f) => f.startsWith("r")).sort()).toEqual([`r${answer.sid}`, "ra", "rafter-takeover"].sort());
  });

  it("replays binary packets intact from the log", async () => {
    const key = uniqueKey("rec");
    const a = await node(key);
    const b = await node(key);
    const proxy = await TcpProxy.start(a.port);
    const { client: c, log, socket: before } = await client(proxy, a);
    await drop(c, before);
    b.io.to("a").emit("bin", Buffer.from([0, 255, 1]), { nested: Buffer.from([7]) });
    proxy.target = b.port;
    expect((await resume(c, b.io)).recovered).toBe(true);
    const bin = log.find((e) => e[0] === "bin");
    expect(Buffer.from(bin?.[1] as ArrayBuffer)).toEqual(Buffer.from([0, 255, 1]));
    expect(Buffer.from((bin?.[2] as { nested: ArrayBuffer }).nested)).toEqual(Buffer.from([7]));
    expect(bin?.[3]).toMatch(/^\d{15}-\d{8}$/);
  });

  it("keeps a session a middleware refused resumable for a later try", async () => {
    const key = uniqueKey("rec");
    const a = await node(key, { recovery: { skipMiddlewares: false } });
    a.io.use((socket, next) => next(socket.handshake.auth.token === "no" ? new Error("refused") : undefined));
    const proxy = await TcpProxy.start(a.port);
    const { client: c, socket: before } = await client(proxy, a);
    await drop(c, before);
    a.io.to("a").emit("away");
    c.auth = { user: "alice", token: "no" };
    const refused = connectError(c);
    c.connect();
    expect((await refused).message).toBe("refused");
    c.auth = { user: "alice", token: "yes" };
    const after = await resume(c, a.io);
    expect(after.recovered).toBe(true);
    expect(after.id).toBe(before.id);
  });

  it("treats a malformed pid or offset as a new connection", async () => {
    const key = uniqueKey("rec");
    const a = await node(key);
    const { client: c, socket: real } = await client(await TcpProxy.start(a.port), a);
    const pid = (c as unknown as { _pid: string })._pid;
    for (const auth of [{ pid: "short" }, { pid, offset: "1-1" }, { pid, offset: "x".repeat(24) }, { pid, offset: "999999999999999-99999999" }]) {
      const { raw } = await RawClient.open(a.port);
      expect(await raw.connectNsp("/", auth)).not.toBe(real.id);
    }
  });

  it("refuses recovery with the sharded adapter, at startup", async () => {
    const pub = await redisClient();
    const sub = await redisClient();
    expect(() => new Server({ adapter: createShardedRedisAdapter(pub, sub), connectionStateRecovery: {} })).toThrow(/createShardedRedisAdapter/);
  });
});
