/**
 * [REDIS:channels] [REDIS:sharded-channels] A migration path: a socket.io server with
 * `@socket.io/redis-adapter` and roomcast servers in one cluster deliver each other's
 * broadcasts, answer each other's requests, and acknowledge each other's emits, in the classic
 * protocol (createAdapter; roomcast in either subscription mode) and in the sharded one.
 */
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { Server as SioServer, type Socket as SioSocket } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { cleanup, closeHttp, connectRecorded, listen, onCleanup, waitFor } from "../support/harness.ts";
import { eventNames, member, redisAvailable, redisClient, settled, startNode, uniqueKey, untilMarker, type ClusterMode, type Member } from "./support.ts";

const available = await redisAvailable();

afterEach(cleanup);

/** A socket.io server on the cluster, and a way to connect recorded clients to it. */
async function startSocketIo(key: string, sharded: boolean) {
  const pub = await redisClient();
  const sub = await redisClient();
  const httpServer = http.createServer();
  const adapter = sharded ? createShardedAdapter(pub, sub, { channelPrefix: key }) : createAdapter(pub, sub, { key });
  const io = new SioServer(httpServer, { adapter });
  const port = await listen(httpServer);
  onCleanup(async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await closeHttp(httpServer);
  });
  // The reference subscribes without a way to await it: a round trip on the subscriber
  // connection (a PING queued behind the SUBSCRIBEs) proves them done.
  await sub.ping();
  const join = async (): Promise<Member & { sio: SioSocket }> => {
    const { client, rec } = await connectRecorded(`http://127.0.0.1:${port}`);
    const id = client.id as string;
    const sio = io.of("/").sockets.get(id);
    if (sio === undefined) throw new Error("no socket.io socket");
    // Shaped like a roomcast member; `server` is unused for these.
    return { client, rec, id, sio, node: undefined as never, server: undefined as never };
  };
  return { io, join, sub };
}

const classicModes: Array<[string, ClusterMode]> = [
  ["roomcast pattern", { kind: "classic" }],
  ["roomcast per-room", { kind: "classic", options: { subscriptionMode: "per-room" } }],
];

describe.runIf(available).each(classicModes)("socket.io (createAdapter) + roomcast in one cluster (%s)", (name, mode) => {
  async function setup() {
    const key = uniqueKey(`mixed-${name.replace(/\W+/g, "-")}`);
    const R = await startNode("R", key, mode);
    const S = await startSocketIo(key, false);
    const r1 = await member(R);
    const r2 = await member(R);
    const s1 = await S.join();
    const s2 = await S.join();
    await r1.server.join("red");
    s1.sio.join("red");
    await settled([R]);
    return { R, S, r1, r2, s1, s2, all: [r1, r2, s1, s2] };
  }

  it("a roomcast broadcast reaches socket.io's clients (everyone, a room, except, binary)", async () => {
    const { R, all } = await setup();
    R.io.emit("all");
    R.io.to("red").emit("red", Buffer.from([7]));
    R.io.except("red").emit("not-red");
    const got = await untilMarker(R, all);
    expect(eventNames(got)).toEqual([["all", "red"], ["all", "not-red"], ["all", "red"], ["all", "not-red"]]);
    expect(Buffer.from(got[2]?.[1]?.[1] as ArrayBuffer)).toEqual(Buffer.from([7]));
  });

  it("a socket.io broadcast reaches roomcast's clients (everyone, a room, a socket id, sender excluded)", async () => {
    const { S, r2, s1, all } = await setup();
    S.io.emit("all", { n: 1 });
    S.io.to("red").emit("red");
    S.io.to(r2.id).emit("direct");
    s1.sio.broadcast.emit("from-s1");
    const got = await untilMarker(S.io, all);
    expect(eventNames(got)).toEqual([["all", "red", "from-s1"], ["all", "direct", "from-s1"], ["all", "red"], ["all", "from-s1"]]);
    expect(got[0]?.[0]).toEqual(["all", { n: 1 }]);
  });

  it("fetchSockets and serverCount see both kinds of servers", async () => {
    const { R, S, all, r1, s1 } = await setup();
    expect(await R.adapter().serverCount()).toBe(2);
    expect((await R.io.fetchSockets()).map((s) => s.id).sort()).toEqual(all.map((m) => m.id).sort());
    expect((await S.io.in("red").fetchSockets()).map((s) => s.id).sort()).toEqual([r1.id, s1.id].sort());
  });

  it("socketsJoin from socket.io moves roomcast sockets, and disconnectSockets from roomcast reaches socket.io", async () => {
    const { R, S, r2, s2 } = await setup();
    const joined = waitFor(R.adapter(), "join-room");
    S.io.in(r2.id).socketsJoin("green");
    expect(await joined).toEqual(["green", r2.id]);
    const gone = waitFor(s2.client, "disconnect");
    R.io.in(s2.id).disconnectSockets();
    expect((await gone)[0]).toBe("io server disconnect");
  });

  it("server-side emits with acknowledgement work both ways", async () => {
    const { R, S } = await setup();
    R.io.on("ping", (ack: unknown) => (ack as (v: string) => void)("pong from roomcast"));
    S.io.on("ping", (ack: (v: string) => void) => ack("pong from socket.io"));
    expect(await R.io.serverSideEmitWithAck("ping")).toEqual(["pong from socket.io"]);
    expect(await S.io.serverSideEmitWithAck("ping")).toEqual(["pong from roomcast"]);
  });

  it("broadcast acknowledgements gather the clients of both servers", async () => {
    const { R, S, all } = await setup();
    for (const m of all) m.client.on("q", (ack: (v: string) => void) => ack(m.id));
    const expected = all.map((m) => m.id).sort();
    expect([...(await R.io.timeout(3000).emitWithAck("q"))].sort()).toEqual(expected);
    expect([...(await S.io.timeout(3000).emitWithAck("q"))].sort()).toEqual(expected);
  });
});

describe.runIf(available)("socket.io (createShardedAdapter) + roomcast (sharded) in one cluster", () => {
  async function setup() {
    const key = uniqueKey("mixed-sharded");
    const R = await startNode("R", key, { kind: "sharded" });
    const S = await startSocketIo(key, true);
    const r1 = await member(R);
    const s1 = await S.join();
    const s2 = await S.join();
    await r1.server.join("red");
    s1.sio.join("red");
    await S.sub.ping();
    await settled([R]);
    return { R, S, r1, s1, s2, all: [r1, s1, s2] };
  }

  it("broadcasts flow both ways, to rooms and to everyone", async () => {
    const { R, S, all } = await setup();
    R.io.to("red").emit("from-roomcast");
    expect(eventNames(await untilMarker(R, all))).toEqual([["from-roomcast"], ["from-roomcast"], []]);
    S.io.to("red").emit("from-socket.io");
    S.io.emit("everyone");
    expect(eventNames(await untilMarker(S.io, all))).toEqual([["from-socket.io", "everyone"], ["from-socket.io", "everyone"], ["everyone"]]);
  });

  it("requests and acknowledgements work both ways", async () => {
    const { R, S, all } = await setup();
    expect(await R.adapter().serverCount()).toBe(2);
    expect((await R.io.fetchSockets()).map((s) => s.id).sort()).toEqual(all.map((m) => m.id).sort());
    expect((await S.io.fetchSockets()).map((s) => s.id).sort()).toEqual(all.map((m) => m.id).sort());
    R.io.on("ping", (ack: unknown) => (ack as (v: string) => void)("R"));
    S.io.on("ping", (ack: (v: string) => void) => ack("S"));
    expect(await R.io.serverSideEmitWithAck("ping")).toEqual(["S"]);
    expect(await S.io.serverSideEmitWithAck("ping")).toEqual(["R"]);
    for (const m of all) m.client.on("q", (ack: (v: string) => void) => ack(m.id));
    expect([...(await R.io.timeout(3000).emitWithAck("q"))].sort()).toEqual(all.map((m) => m.id).sort());
  });
});
