/**
 * Broadcasts across a three-node cluster, in each subscription mode: every matching socket of
 * the cluster gets each broadcast exactly once (rooms, unions, except, sender exclusion),
 * `local` stays on its node, binary survives, and acknowledgements with a timeout gather the
 * answers of every node.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup } from "../support/harness.ts";
import { eventNames, member, redisAvailable, settled, startCluster, uniqueKey, untilMarker, type ClusterMode, type Member } from "./support.ts";

const available = await redisAvailable();

afterEach(cleanup);

const modes: Array<[string, ClusterMode]> = [
  ["classic, pattern", { kind: "classic" }],
  ["classic, per-room", { kind: "classic", options: { subscriptionMode: "per-room" } }],
  ["sharded, dynamic", { kind: "sharded" }],
  ["sharded, dynamic-private", { kind: "sharded", options: { subscriptionMode: "dynamic-private" } }],
];

describe.runIf(available).each(modes)("Redis cluster broadcasts (%s)", (name, mode) => {
  /** A, B, C; a1 a2 on A, b1 b2 on B, c1 on C; red = {a1, b1}, blue = {b1, b2, c1}. */
  async function setup() {
    const nodes = await startCluster(3, uniqueKey(`bc-${name.replace(/\W+/g, "-")}`), mode);
    const [A, B, C] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const a1 = await member(A);
    const a2 = await member(A);
    const b1 = await member(B);
    const b2 = await member(B);
    const c1 = await member(C);
    await a1.server.join("red");
    await b1.server.join(["red", "blue"]);
    await b2.server.join("blue");
    await c1.server.join("blue");
    await settled(nodes);
    return { nodes, A, B, C, a1, a2, b1, b2, c1, all: [a1, a2, b1, b2, c1] as Member[] };
  }

  it("io.emit reaches every socket of the cluster exactly once", async () => {
    const { A, all } = await setup();
    A.io.emit("hello", "world");
    const got = await untilMarker(A, all);
    for (const events of got) expect(events).toEqual([["hello", "world"]]);
  });

  it("to(room) reaches the room's members on every node, and only them", async () => {
    const { C, all } = await setup();
    C.io.to("red").emit("news", 1);
    expect(eventNames(await untilMarker(C, all))).toEqual([["news"], [], ["news"], [], []]);
  });

  it("a union of rooms reaches a member of both once", async () => {
    const { A, all } = await setup();
    A.io.to("red").to("blue").emit("union");
    expect(eventNames(await untilMarker(A, all))).toEqual([["union"], [], ["union"], ["union"], ["union"]]);
  });

  it("except(room) excludes the room's members on every node", async () => {
    const { A, B, all } = await setup();
    A.io.except("red").emit("not-red");
    expect(eventNames(await untilMarker(A, all))).toEqual([[], ["not-red"], [], ["not-red"], ["not-red"]]);
    B.io.to("blue").except("red").emit("blue-not-red");
    expect(eventNames(await untilMarker(B, all))).toEqual([[], [], [], ["blue-not-red"], ["blue-not-red"]]);
  });

  it("socket.broadcast and socket.to(room) exclude the sender", async () => {
    const { B, b1, all } = await setup();
    b1.server.broadcast.emit("from-b1");
    b1.server.to("blue").emit("to-blue");
    expect(eventNames(await untilMarker(B, all))).toEqual([["from-b1"], ["from-b1"], [], ["from-b1", "to-blue"], ["from-b1", "to-blue"]]);
  });

  it("to(socketId) reaches that one socket on another node", async () => {
    const { A, c1, all } = await setup();
    A.io.to(c1.id).emit("direct");
    expect(eventNames(await untilMarker(A, all))).toEqual([[], [], [], [], ["direct"]]);
  });

  it("local broadcasts stay on their node", async () => {
    const { A, all } = await setup();
    A.io.local.emit("local-only");
    A.io.local.to("blue").emit("local-blue");
    expect(eventNames(await untilMarker(A, all))).toEqual([["local-only"], ["local-only"], [], [], []]);
  });

  it("binary arguments arrive intact on other nodes", async () => {
    const { A, b1, all } = await setup();
    A.io.to("red").emit("bin", Buffer.from([0, 1, 2, 255]), { nested: Buffer.from("hi") });
    const got = await untilMarker(A, all);
    const event = got[all.indexOf(b1)]?.[0];
    expect(event?.[0]).toBe("bin");
    expect(Buffer.from(event?.[1] as ArrayBuffer)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(Buffer.from((event?.[2] as { nested: ArrayBuffer }).nested).toString()).toBe("hi");
  });

  it("volatile and compress flags travel with the broadcast", async () => {
    const { A, all } = await setup();
    A.io.volatile.compress(false).to("blue").emit("flagged");
    expect(eventNames(await untilMarker(A, all))).toEqual([[], [], ["flagged"], ["flagged"], ["flagged"]]);
  });

  it("emitWithAck with a timeout gathers every client's answer on every node", async () => {
    const { A, all } = await setup();
    for (const m of all) m.client.on("question", (ack: (answer: string) => void) => ack(`answer-${m.id}`));
    const answers = await A.io.timeout(5000).emitWithAck("question");
    expect([...answers].sort()).toEqual(all.map((m) => `answer-${m.id}`).sort());
    const blue = await A.io.to("blue").timeout(5000).emitWithAck("question");
    expect(blue).toHaveLength(3);
  });

  it("emitWithAck fails with the answers so far when a client on another node does not answer", async () => {
    const { B, all, c1 } = await setup();
    for (const m of all) if (m !== c1) m.client.on("question", (ack: (answer: string) => void) => ack(m.id));
    c1.client.on("question", () => {});
    await expect(B.io.timeout(400).emitWithAck("question")).rejects.toMatchObject({
      message: "operation has timed out",
      responses: expect.arrayContaining(all.filter((m) => m !== c1).map((m) => m.id)) as unknown,
    });
  });

  it("a local emitWithAck gathers the answers of its own node only, and completes", async () => {
    const { A, a1, a2, all } = await setup();
    for (const m of all) m.client.on("question", (ack: (answer: string) => void) => ack(m.id));
    const answers = await A.io.local.timeout(5000).emitWithAck("question");
    expect([...answers].sort()).toEqual([a1.id, a2.id].sort());
  });

  it("the server count is the number of nodes", async () => {
    const { nodes } = await setup();
    for (const node of nodes) expect(await node.adapter().serverCount()).toBe(3);
  });
});
