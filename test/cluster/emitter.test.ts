/**
 * [REDIS:broadcast] [REDIS:request] The official `@socket.io/redis-emitter`, in this process
 * with its own Redis client (as another process would be), drives a roomcast cluster: it emits
 * to everyone, to rooms, with except, to other namespaces, makes sockets join, leave and
 * disconnect, and sends server-side events.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Emitter } from "@socket.io/redis-emitter";
import { cleanup, waitFor } from "../support/harness.ts";
import { eventNames, member, redisAvailable, redisClient, settled, startCluster, uniqueKey, untilMarker, type ClusterMode } from "./support.ts";

const available = await redisAvailable();

afterEach(cleanup);

const modes: Array<[string, ClusterMode]> = [
  ["pattern", { kind: "classic" }],
  ["per-room", { kind: "classic", options: { subscriptionMode: "per-room" } }],
];

describe.runIf(available).each(modes)("@socket.io/redis-emitter to a roomcast cluster (%s)", (name, mode) => {
  async function setup() {
    const key = uniqueKey(`emitter-${name}`);
    const nodes = await startCluster(2, key, mode);
    const [A, B] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const a1 = await member(A);
    const b1 = await member(B);
    const b2 = await member(B);
    await a1.server.join("red");
    await b1.server.join("red");
    await b2.server.join("blue");
    await settled(nodes);
    const emitter = new Emitter(await redisClient(), { key });
    return { A, B, a1, b1, b2, all: [a1, b1, b2], emitter, nodes };
  }

  it("emits to every socket, to a room, to several rooms, and with except", async () => {
    const { emitter, all } = await setup();
    emitter.emit("all", 1);
    emitter.to("red").emit("red", { x: 1 });
    emitter.to(["red", "blue"]).emit("both");
    emitter.except("red").emit("not-red");
    const got = await untilMarker(emitter, all);
    expect(got[0]).toEqual([["all", 1], ["red", { x: 1 }], ["both"]]);
    expect(got[1]).toEqual([["all", 1], ["red", { x: 1 }], ["both"]]);
    expect(got[2]).toEqual([["all", 1], ["both"], ["not-red"]]);
  });

  it("emits binary and to a socket id", async () => {
    const { emitter, all, b2 } = await setup();
    emitter.to(b2.id).emit("bin", Buffer.from([1, 2, 3]));
    const got = await untilMarker(emitter, all);
    expect(eventNames(got)).toEqual([[], [], ["bin"]]);
    expect(Buffer.from(got[2]?.[0]?.[1] as ArrayBuffer)).toEqual(Buffer.from([1, 2, 3]));
  });

  it("emits to another namespace", async () => {
    const { emitter, A, B } = await setup();
    await Promise.all([A.adapter("/admin").init(), B.adapter("/admin").init()]);
    const admin = await member(A, "/admin");
    const adminB = await member(B, "/admin");
    await settled([A, B], "/admin");
    emitter.of("/admin").emit("admin-news");
    const got = await untilMarker(emitter.of("/admin"), [admin, adminB]);
    expect(eventNames(got)).toEqual([["admin-news"], ["admin-news"]]);
  });

  it("makes sockets join and leave rooms and disconnects them on every node", async () => {
    const { emitter, A, B, a1, b1, b2 } = await setup();
    // The emitter's request and a later fetch travel on different connections: wait for the
    // joins themselves on both nodes.
    const joined = [waitFor(A.adapter(), "join-room"), waitFor(B.adapter(), "join-room")];
    emitter.in("red").socketsJoin("green");
    expect((await Promise.all(joined)).map((args) => args[0])).toEqual(["green", "green"]);
    const green = await A.io.in("green").fetchSockets();
    expect(green.map((s) => s.id).sort()).toEqual([a1.id, b1.id].sort());
    const left = waitFor(B.adapter(), "leave-room");
    emitter.in("green").except(a1.id).socketsLeave("green");
    expect(await left).toEqual(["green", b1.id]);
    expect((await A.io.in("green").fetchSockets()).map((s) => s.id)).toEqual([a1.id]);
    const gone = waitFor(b2.client, "disconnect");
    emitter.in("blue").disconnectSockets();
    expect((await gone)[0]).toBe("io server disconnect");
  });

  it("sends server-side events to every node", async () => {
    const { emitter, A, B } = await setup();
    const atA = waitFor(A.io.of("/"), "from-emitter");
    const atB = waitFor(B.io.of("/"), "from-emitter");
    emitter.serverSideEmit("from-emitter", "payload", 7);
    expect(await atA).toEqual(["payload", 7]);
    expect(await atB).toEqual(["payload", 7]);
  });
});
