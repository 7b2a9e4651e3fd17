/**
 * The chat example's room directory on its own (no network: the adapter's room events are
 * emitted by hand, as many in one turn as a burst of joins would be): what it publishes after
 * a burst, that no update is longer than the list, and that updates are spaced by the interval
 * (on a fake clock: the spacing is behaviour, not speed).
 */
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RoomSummary } from "../../examples/chat/events.ts";
import { RoomDirectory, roomKey, type RoomListEvent } from "../../examples/chat/room-directory.ts";
import { LIMITS } from "../../examples/chat/validate.ts";

/** A directory over a bare emitter, and the next thing it publishes. */
function directory(): { adapter: EventEmitter; dir: RoomDirectory; next: () => Promise<[RoomListEvent, RoomSummary[]]> } {
  const adapter = new EventEmitter();
  let waiting: ((update: [RoomListEvent, RoomSummary[]]) => void) | undefined;
  const dir = new RoomDirectory(adapter, (event, rooms) => waiting?.([event, rooms]));
  return { adapter, dir, next: () => new Promise((resolve) => (waiting = resolve)) };
}

/** Joins socket `id` to `count` new rooms `<prefix>0…`, all in this turn. */
function joinMany(adapter: EventEmitter, prefix: string, count: number, id: string): void {
  for (let i = 0; i < count; i++) {
    adapter.emit("create-room", roomKey(prefix + i));
    adapter.emit("join-room", roomKey(prefix + i), id);
  }
}

describe("chat room directory", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("publishes the rooms a burst changed, once, and the whole list instead when more changed than it holds", async () => {
    const { adapter, dir, next } = directory();
    let update = next();
    joinMany(adapter, "a", LIMITS.roomsListed, "s1");
    const [event, rooms] = await update;
    expect(event).toBe("rooms changed");
    expect(rooms).toHaveLength(LIMITS.roomsListed);
    expect(rooms.every((r) => r.members === 1)).toBe(true);

    update = next();
    joinMany(adapter, "b", LIMITS.roomsListed + 1, "s2");
    const [bigEvent, list] = await update;
    expect(bigEvent).toBe("rooms");
    expect(list).toEqual(dir.list());
    expect(list).toHaveLength(LIMITS.roomsListed);

    // Own-id rooms are not chat rooms: nothing to publish for them, the next update is b0's.
    update = next();
    adapter.emit("join-room", "s3", "s3");
    adapter.emit("leave-room", roomKey("b0"), "s2");
    adapter.emit("delete-room", roomKey("b0"));
    expect(await update).toEqual(["rooms changed", [{ name: "b0", members: 0 }]]);
    dir.dispose();
  });

  // Regression: updates went out once per turn of the event loop, each to every client, so a
  // ramp of joins spread over many turns cost clients × turns sends (5000 load-test clients:
  // about 250000) and the ramp slowed as it grew. Joins in later turns now wait for the interval.
  it("sends at most one update per interval, however many turns bring changes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate", "performance"] });
    const updates: Array<[RoomListEvent, RoomSummary[]]> = [];
    const adapter = new EventEmitter();
    const dir = new RoomDirectory(adapter, (event, rooms) => updates.push([event, rooms]), 1_000);
    const join = (room: string, id: string): void => {
      adapter.emit("create-room", roomKey(room));
      adapter.emit("join-room", roomKey(room), id);
    };

    // The first change after a quiet spell goes out at once (at the next timer turn).
    join("a", "s1");
    await vi.advanceTimersByTimeAsync(1);
    expect(updates).toEqual([["rooms changed", [{ name: "a", members: 1 }]]]);

    // Joins in three later turns, within the interval: nothing yet.
    for (const [room, id] of [["a", "s2"], ["b", "s3"], ["c", "s4"]] as const) {
      join(room, id);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(updates).toHaveLength(1);

    // The interval is over: one update with everything that changed since the last.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(updates).toHaveLength(2);
    expect(updates[1]![0]).toBe("rooms changed");
    expect([...updates[1]![1]].sort((x, y) => (x.name < y.name ? -1 : 1))).toEqual([
      { name: "a", members: 2 },
      { name: "b", members: 1 },
      { name: "c", members: 1 },
    ]);

    // Quiet: no more updates; disposing drops a pending one.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(updates).toHaveLength(2);
    join("d", "s5");
    dir.dispose();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(updates).toHaveLength(2);
  });
});
