/**
 * The chat example's server under bad input, driven by the official client from Node (no
 * browser needed): every refusal is an acknowledged error, and the server keeps serving.
 */
import { afterEach, describe, expect, it } from "vitest";
import { io as ioc, type Socket } from "socket.io-client";
import type { RoomSummary } from "../../examples/chat/events.ts";
import { LIMITS } from "../../examples/chat/validate.ts";
import { startChat, type RunningChat } from "./support/chat-page.ts";

describe("chat example server input", () => {
  let chat: RunningChat | undefined;
  const clients: Socket[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await chat?.close();
    chat = undefined;
  });

  /** Connects a client and resolves with it and the room list it got on connection. */
  async function client(): Promise<{ socket: Socket; rooms: RoomSummary[] }> {
    chat ??= await startChat();
    const socket = ioc(chat.url, { transports: ["websocket"], forceNew: true, reconnection: false });
    clients.push(socket);
    const rooms = await new Promise<RoomSummary[]>((resolve, reject) => {
      socket.once("rooms", resolve);
      socket.once("connect_error", reject);
    });
    return { socket, rooms };
  }

  it("refuses malformed joins with a reason and still accepts a good one", async () => {
    const { socket } = await client();
    const bad: unknown[][] = [
      [],
      [42],
      [{ room: "A" }],
      [["A"]],
      [null],
      [""],
      ["   "],
      ["x".repeat(LIMITS.room + 1)],
      ["x".repeat(100_000)],
      ["nul\u0000"],
      ["A", 7],
      ["A", "n".repeat(LIMITS.nick + 1)],
      ["A", "\u0000"],
    ];
    for (const args of bad) {
      const reply = (await socket.emitWithAck("join", ...args)) as { error?: unknown };
      expect(typeof reply.error, JSON.stringify(args).slice(0, 60)).toBe("string");
    }
    // Events without an acknowledgement must not throw either (nothing to answer, nothing done).
    socket.emit("join", { toString: 1 });
    socket.emit("chat message", 123);
    const ok = await socket.emitWithAck("join", "  A  ", "  alice   smith ");
    expect(ok).toEqual({ room: "A", nick: "alice smith", count: 1, members: ["alice smith"] });
  });

  it("refuses messages before a join, and non-string, empty or oversized text", async () => {
    const { socket } = await client();
    expect(await socket.emitWithAck("chat message", "too early")).toEqual({ error: "join a room first" });
    await socket.emitWithAck("join", "A");
    for (const text of [42, { text: "hi" }, "", "  ", "x".repeat(LIMITS.text + 1), "bell\u0007"]) {
      const reply = (await socket.emitWithAck("chat message", text)) as { error?: unknown };
      expect(typeof reply.error).toBe("string");
    }
    expect(await socket.emitWithAck("chat message", "x".repeat(LIMITS.text))).toEqual({ ok: true });
  });

  it("gives a guest name when none is chosen and lists members in the join reply", async () => {
    const { socket: a } = await client();
    const { socket: b } = await client();
    const first = (await a.emitWithAck("join", "A")) as { nick: string };
    expect(first.nick).toMatch(/^guest-/);
    expect(await b.emitWithAck("join", "A", "bob")).toEqual({
      room: "A",
      nick: "bob",
      count: 2,
      members: [first.nick, "bob"].sort(),
    });
  });

  it("keeps a room named like a socket id apart from that socket's own room", async () => {
    const { socket: alice } = await client();
    const { socket: bob } = await client();
    await bob.emitWithAck("join", "lobby", "bob");
    const bobId = bob.id;
    if (bobId === undefined) throw new Error("bob has no id");
    await alice.emitWithAck("join", bobId, "alice");
    const heard: unknown[] = [];
    bob.on("chat message", (msg: unknown) => heard.push(msg));
    await alice.emitWithAck("chat message", "psst");
    // Barrier: a message in bob's own room, sent after alice's, reaches him; hers must not have.
    const { socket: carol } = await client();
    await carol.emitWithAck("join", "lobby", "carol");
    const marker = new Promise((resolve) => bob.once("chat message", resolve));
    await carol.emitWithAck("chat message", "marker");
    await marker;
    expect(heard).toEqual([{ from: "carol", text: "marker", room: "lobby" }]);
  });

  it("lists chat rooms only, with counts, and none on an empty server", async () => {
    const { rooms, socket: a } = await client();
    // Every connected socket sits in its own-id room; the list must not show it.
    expect(rooms).toEqual([]);
    const update = new Promise<RoomSummary[]>((resolve) => a.once("rooms changed", resolve));
    await a.emitWithAck("join", "A", "a");
    expect(await update).toEqual([{ name: "A", members: 1 }]);
  });

  it("sends a newcomer the whole list once, then everyone only the rooms that changed", async () => {
    const [a1, a2, b, c] = [(await client()).socket, (await client()).socket, (await client()).socket, (await client()).socket];
    // Updates are spaced by the room-list interval: the joins after the first go out together,
    // later. The move below is to be the only change in its update, so wait for this one first.
    const joinsPublished = new Promise<void>((resolve) =>
      a1.on("rooms changed", (list: RoomSummary[]) => list.some((r) => r.name === "C") && resolve()),
    );
    await a1.emitWithAck("join", "A");
    await a2.emitWithAck("join", "A");
    await b.emitWithAck("join", "B");
    await c.emitWithAck("join", "C");
    await joinsPublished;
    a1.off("rooms changed");
    const { socket: newcomer, rooms } = await client();
    expect(rooms).toEqual([
      { name: "A", members: 2 },
      { name: "B", members: 1 },
      { name: "C", members: 1 },
    ]);
    let lists = 0;
    newcomer.on("rooms", () => lists++);
    const byName = (x: RoomSummary, y: RoomSummary): number => (x.name < y.name ? -1 : 1);
    const changes = (s: Socket): Promise<RoomSummary[]> =>
      new Promise((resolve) => s.once("rooms changed", (list: RoomSummary[]) => resolve([...list].sort(byName))));
    // b moves to A: B is gone (0 members), A has one more; C is not mentioned.
    const seen = [changes(newcomer), changes(a1), changes(b), changes(c)];
    await b.emitWithAck("join", "A");
    const expected = [
      { name: "A", members: 3 },
      { name: "B", members: 0 },
    ];
    for (const got of await Promise.all(seen)) expect(got).toEqual(expected);
    const left = changes(newcomer);
    c.disconnect();
    expect(await left).toEqual([{ name: "C", members: 0 }]);
    // The whole list came once, on connection, and never again.
    expect(lists).toBe(0);
  });
});
