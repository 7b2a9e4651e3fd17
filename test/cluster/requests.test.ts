/**
 * Cluster-wide requests across three nodes, in each protocol: fetchSockets (and remote
 * sockets acting on other nodes), allSockets, socketsJoin/Leave, disconnectSockets,
 * serverSideEmit with and without acknowledgement, and the request timeout.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, waitFor } from "../support/harness.ts";
import { eventNames, member, redisAvailable, settled, startCluster, uniqueKey, untilMarker, type ClusterMode, type Member } from "./support.ts";
import { RedisAdapter } from "../../src/index.ts";

const available = await redisAvailable();

afterEach(cleanup);

const modes: Array<[string, ClusterMode]> = [
  ["classic, pattern", { kind: "classic", options: { requestsTimeout: 1500 } }],
  ["classic, per-room, own response channels", { kind: "classic", options: { requestsTimeout: 1500, subscriptionMode: "per-room", publishOnSpecificResponseChannel: true } }],
  ["sharded, dynamic", { kind: "sharded", options: { requestsTimeout: 1500 } }],
];

function ids(members: Member[]): string[] {
  return members.map((m) => m.id).sort();
}

describe.runIf(available).each(modes)("Redis cluster requests (%s)", (name, mode) => {
  async function setup() {
    const nodes = await startCluster(3, uniqueKey(`rq-${name.replace(/\W+/g, "-")}`), mode);
    const [A, B, C] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const a1 = await member(A);
    const b1 = await member(B);
    const b2 = await member(B);
    const c1 = await member(C);
    await a1.server.join("red");
    await b1.server.join(["red", "blue"]);
    await c1.server.join("blue");
    a1.server.data = { user: "a1" };
    c1.server.data = { user: "c1", tags: ["x"] };
    await settled(nodes);
    return { nodes, A, B, C, a1, b1, b2, c1, all: [a1, b1, b2, c1] };
  }

  it("fetchSockets returns the matching sockets of every node, with handshake, rooms and data", async () => {
    const { A, a1, b1, c1, all } = await setup();
    const every = await A.io.fetchSockets();
    expect(every.map((s) => s.id).sort()).toEqual(ids(all));
    const red = await A.io.in("red").fetchSockets();
    expect(red.map((s) => s.id).sort()).toEqual(ids([a1, b1]));
    const remote = (await A.io.in(c1.id).fetchSockets())[0];
    expect(remote?.data).toEqual({ user: "c1", tags: ["x"] });
    expect([...(remote?.rooms ?? [])].sort()).toEqual([c1.id, "blue"].sort());
    expect(remote?.handshake.address).toBe("127.0.0.1");
    expect((await A.io.in("blue").except("red").fetchSockets()).map((s) => s.id)).toEqual([c1.id]);
    expect((await A.io.local.fetchSockets()).map((s) => s.id)).toEqual([a1.id]);
  });

  it("allSockets lists the ids of every node, with rooms and except", async () => {
    const { B, a1, b1, c1, all } = await setup();
    expect([...(await B.io.allSockets())].sort()).toEqual(ids(all));
    expect([...(await B.io.in("blue").allSockets())].sort()).toEqual(ids([b1, c1]));
    expect([...(await B.io.in("red").except("blue").allSockets())]).toEqual([a1.id]);
  });

  it("a fetched remote socket emits to, joins, leaves and disconnects the socket on its node", async () => {
    const { A, c1, all } = await setup();
    const [remote] = await A.io.in(c1.id).fetchSockets();
    remote?.emit("personal", 42);
    expect(eventNames(await untilMarker(A, all))).toEqual([[], [], [], ["personal"]]);
    remote?.join("green");
    expect([...((await A.io.in(c1.id).fetchSockets())[0]?.rooms ?? [])]).toContain("green");
    remote?.leave("green");
    expect([...((await A.io.in(c1.id).fetchSockets())[0]?.rooms ?? [])]).not.toContain("green");
    const gone = waitFor(c1.client, "disconnect");
    remote?.disconnect();
    expect((await gone)[0]).toBe("io server disconnect");
  });

  it("socketsJoin and socketsLeave act on every node", async () => {
    const { A, C, b1, c1 } = await setup();
    // Each check is fetched by the node that sent the change: one publisher connection keeps
    // the change and the fetch in order on every other node.
    C.io.in("blue").socketsJoin("green");
    const joined = await C.io.in("green").fetchSockets();
    expect(joined.map((s) => s.id).sort()).toEqual(ids([b1, c1]));
    A.io.in("green").except("red").socketsLeave("green");
    expect((await A.io.in("green").fetchSockets()).map((s) => s.id)).toEqual([b1.id]);
  });

  it("disconnectSockets disconnects the matching sockets of every node", async () => {
    const { A, a1, b1, c1, b2 } = await setup();
    const disconnected = [waitFor(b1.client, "disconnect"), waitFor(c1.client, "disconnect")];
    A.io.in("blue").disconnectSockets();
    expect((await Promise.all(disconnected)).map((args) => args[0])).toEqual(["io server disconnect", "io server disconnect"]);
    expect((await A.io.fetchSockets()).map((s) => s.id).sort()).toEqual(ids([a1, b2]));
    const closed = waitFor(a1.client, "disconnect");
    A.io.disconnectSockets(true);
    expect((await closed)[0]).toBe("io server disconnect");
  });

  it("serverSideEmit reaches the other nodes, not the sender", async () => {
    const { A, B, C } = await setup();
    const seen: string[] = [];
    for (const node of [A, B, C]) node.io.on("hello", (from: unknown) => seen.push(`${node.name}<-${String(from)}`));
    const atB = waitFor(B.io.of("/"), "hello");
    const atC = waitFor(C.io.of("/"), "hello");
    A.io.serverSideEmit("hello", "A");
    await Promise.all([atB, atC]);
    // A's own listener would have run synchronously; B's emit then proves A hears others.
    const atA = waitFor(A.io.of("/"), "hello");
    B.io.serverSideEmit("hello", "B");
    await atA;
    expect(seen.sort()).toEqual(["A<-B", "B<-A", "C<-A"].concat(seen.includes("C<-B") ? ["C<-B"] : []).sort());
    expect(seen).not.toContain("A<-A");
  });

  it("serverSideEmitWithAck gathers one answer per other node", async () => {
    const { A, B, C } = await setup();
    for (const node of [A, B, C]) node.io.on("whoami", (ack: unknown) => (ack as (name: string) => void)(node.name));
    expect((await A.io.serverSideEmitWithAck("whoami")).sort()).toEqual(["B", "C"]);
  });

  it("serverSideEmitWithAck fails after requestsTimeout when a node does not answer", async () => {
    const { A, B, C } = await setup();
    B.io.on("slow", (ack: unknown) => (ack as (v: string) => void)("B"));
    C.io.on("slow", () => {});
    await expect(A.io.serverSideEmitWithAck("slow")).rejects.toThrow(/timeout reached: only 1 responses received out of 2/);
  });

  it("fetchSockets fails after its timeout when a node does not answer", async () => {
    const { A, C } = await setup();
    // C stays subscribed (Redis counts it) but ignores everything: an overloaded node.
    const silent = C.adapter();
    expect(typeof Reflect.get(silent, "onRedisMessage")).toBe("function");
    Reflect.set(silent, "onRedisMessage", () => {});
    await expect(A.io.timeout(300).fetchSockets()).rejects.toThrow(/timeout reached: only 1 responses received out of 2/);
  });
});

describe.runIf(available)("Redis cluster requests (classic only)", () => {
  it("allRooms lists the rooms of every node", async () => {
    const nodes = await startCluster(2, uniqueKey("rooms"), { kind: "classic" });
    const [A, B] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const a1 = await member(A);
    const b1 = await member(B);
    await a1.server.join("x");
    await b1.server.join("y");
    const adapter = A.adapter();
    expect(adapter).toBeInstanceOf(RedisAdapter);
    const rooms = await (adapter as RedisAdapter).allRooms();
    expect([...rooms].sort()).toEqual([a1.id, b1.id, "x", "y"].sort());
  });
});
