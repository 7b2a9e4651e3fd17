/**
 * The chat example's room directory on its own (no network: the adapter's room events are
 * emitted by hand, as many in one turn as a burst of joins would be): what it publishes after
 * a burst, and that no update is longer than the list.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
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
});
