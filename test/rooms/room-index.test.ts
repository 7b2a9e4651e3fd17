import { describe, expect, it } from "vitest";
import { RoomIndex } from "../../src/rooms/room-index.ts";
import type { RoomIndexListener } from "../../src/rooms/room-index.ts";

type Event = [string, ...string[]];

function recorder(): { events: Event[]; listener: RoomIndexListener } {
  const events: Event[] = [];
  return {
    events,
    listener: {
      onCreate: (room) => events.push(["create", room]),
      onJoin: (room, id) => events.push(["join", room, id]),
      onLeave: (room, id) => events.push(["leave", room, id]),
      onDelete: (room) => events.push(["delete", room]),
    },
  };
}

/** Both maps agree and hold no empty Set. */
function expectConsistent(index: RoomIndex): void {
  for (const [room, ids] of index.rooms) {
    expect(ids.size).toBeGreaterThan(0);
    for (const id of ids) expect(index.sids.get(id)?.has(room)).toBe(true);
  }
  for (const [id, rooms] of index.sids) {
    expect(rooms.size).toBeGreaterThan(0);
    for (const room of rooms) expect(index.rooms.get(room)?.has(id)).toBe(true);
  }
}

describe("RoomIndex", () => {
  it("reports create then join when a socket joins a new room", () => {
    const { events, listener } = recorder();
    const index = new RoomIndex(listener);
    expect(index.add("a", "lobby")).toBe(true);
    expect(events).toEqual([
      ["create", "lobby"],
      ["join", "lobby", "a"],
    ]);
    expect([...(index.rooms.get("lobby") ?? [])]).toEqual(["a"]);
    expect([...(index.sids.get("a") ?? [])]).toEqual(["lobby"]);
    expectConsistent(index);
  });

  it("reports only join when a socket joins an existing room", () => {
    const { events, listener } = recorder();
    const index = new RoomIndex(listener);
    index.add("a", "lobby");
    events.length = 0;
    index.add("b", "lobby");
    expect(events).toEqual([["join", "lobby", "b"]]);
    expect(index.rooms.get("lobby")?.size).toBe(2);
    expectConsistent(index);
  });

  it("does nothing when a socket joins a room it is already in", () => {
    const { events, listener } = recorder();
    const index = new RoomIndex(listener);
    index.add("a", "lobby");
    events.length = 0;
    expect(index.add("a", "lobby")).toBe(false);
    expect(events).toEqual([]);
    expect(index.rooms.get("lobby")?.size).toBe(1);
  });

  it("reports only leave when a member that is not the last leaves", () => {
    const { events, listener } = recorder();
    const index = new RoomIndex(listener);
    index.add("a", "lobby");
    index.add("b", "lobby");
    events.length = 0;
    expect(index.remove("a", "lobby")).toBe(true);
    expect(events).toEqual([["leave", "lobby", "a"]]);
    expect([...(index.rooms.get("lobby") ?? [])]).toEqual(["b"]);
    expectConsistent(index);
  });

  it("reports leave then delete and removes the room when the last member leaves", () => {
    const { events, listener } = recorder();
    const index = new RoomIndex(listener);
    index.add("a", "a");
    index.add("a", "lobby");
    events.length = 0;
    index.remove("a", "lobby");
    expect(events).toEqual([
      ["leave", "lobby", "a"],
      ["delete", "lobby"],
    ]);
    expect(index.rooms.has("lobby")).toBe(false);
    expect([...(index.sids.get("a") ?? [])]).toEqual(["a"]);
    expectConsistent(index);
  });

  it("does nothing when a socket leaves a room it is not in", () => {
    const { events, listener } = recorder();
    const index = new RoomIndex(listener);
    index.add("a", "lobby");
    events.length = 0;
    expect(index.remove("b", "lobby")).toBe(false);
    expect(index.remove("a", "nowhere")).toBe(false);
    expect(events).toEqual([]);
    expectConsistent(index);
  });

  it("drops the socket entry when it leaves its last room", () => {
    const { listener } = recorder();
    const index = new RoomIndex(listener);
    index.add("a", "lobby");
    index.remove("a", "lobby");
    expect(index.sids.has("a")).toBe(false);
    expect(index.rooms.size).toBe(0);
  });

  it("handles the socket's own-id room like any other", () => {
    const { events, listener } = recorder();
    const index = new RoomIndex(listener);
    index.add("a", "a");
    expect(events).toEqual([
      ["create", "a"],
      ["join", "a", "a"],
    ]);
    events.length = 0;
    index.removeAll("a");
    expect(events).toEqual([
      ["leave", "a", "a"],
      ["delete", "a"],
    ]);
    expect(index.rooms.size).toBe(0);
    expect(index.sids.size).toBe(0);
  });

  it("removeAll reports leave (then delete for each emptied room) once per room", () => {
    const { events, listener } = recorder();
    const index = new RoomIndex(listener);
    for (const room of ["a", "r1", "r2", "shared"]) index.add("a", room);
    index.add("b", "shared");
    events.length = 0;

    index.removeAll("a");

    expect(events).toEqual([
      ["leave", "a", "a"],
      ["delete", "a"],
      ["leave", "r1", "a"],
      ["delete", "r1"],
      ["leave", "r2", "a"],
      ["delete", "r2"],
      ["leave", "shared", "a"],
    ]);
    expect([...index.rooms.keys()]).toEqual(["shared"]);
    expect([...index.sids.keys()]).toEqual(["b"]);
    expectConsistent(index);

    events.length = 0;
    index.removeAll("a");
    expect(events).toEqual([]);
  });

  it("lets listeners observe consistent maps", () => {
    const seen: string[] = [];
    const index: RoomIndex = new RoomIndex({
      onCreate: (room) => seen.push(`create ${room} size=${index.rooms.get(room)?.size ?? 0}`),
      onJoin: (room, id) => seen.push(`join ${room} member=${String(index.sids.get(id)?.has(room))}`),
      onLeave: (room, id) =>
        seen.push(`leave ${room} socketKnown=${String(index.sids.has(id))} roomKnown=${String(index.rooms.has(room))}`),
      onDelete: (room) => seen.push(`delete ${room}`),
    });
    index.add("a", "x");
    index.add("a", "y");
    index.removeAll("a");
    expect(seen).toEqual([
      "create x size=1",
      "join x member=true",
      "create y size=1",
      "join y member=true",
      "leave x socketKnown=false roomKnown=false",
      "delete x",
      "leave y socketKnown=false roomKnown=false",
      "delete y",
    ]);
  });
});
