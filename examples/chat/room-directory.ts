/**
 * The live room list: member counts kept from the adapter's room events. A browser gets the
 * whole list once ({@link RoomDirectory.list}, on connection); after that everyone gets only
 * the rooms whose count changed, at most once per interval (default 1 s). An update goes to
 * every browser, so it costs one send per client: once per turn of the event loop, a ramp of
 * joins cost clients × turns, growing with every client that joined (5000 load-test clients
 * joining on a busy machine: about 250000 sends; on an idle one, with a join or two per turn,
 * up to N²/2). Once per interval, it costs at most the number of clients per interval,
 * whatever the join rate. More rooms changed at once than the list holds: the list goes
 * instead, so no update is longer than the list.
 *
 * Chat rooms live in the adapter under a prefix ({@link roomKey}), which does two jobs: the
 * directory can tell them from each socket's own-id room, and a user who types another
 * socket's id as a room name cannot walk into that socket's private room.
 */
import type { EventEmitter } from "node:events";
import type { RoomSummary } from "./events.ts";
import { LIMITS } from "./validate.ts";

const PREFIX = "room:";

/** Default shortest time between two updates, in ms: a room count may be this stale. */
export const ROOM_LIST_INTERVAL_MS = 1_000;

/** The events that carry the room list: the whole list, or the rooms that changed. */
export type RoomListEvent = "rooms" | "rooms changed";

/** The adapter room that holds chat room `name`. */
export function roomKey(name: string): string {
  return PREFIX + name;
}

/**
 * Member counts per chat room, fed by `create-room` / `join-room` / `leave-room` /
 * `delete-room` on a namespace's adapter.
 */
export class RoomDirectory {
  private readonly counts = new Map<string, number>();
  /** Rooms changed since the last publication. */
  private readonly changed = new Set<string>();
  private readonly adapter: EventEmitter;
  private readonly publish: (event: RoomListEvent, rooms: RoomSummary[]) => void;
  private readonly intervalMs: number;
  private pending: NodeJS.Timeout | undefined;
  /** performance.now() of the last update sent. */
  private lastPublished = Number.NEGATIVE_INFINITY;
  private readonly listeners: Array<[string, (room: unknown, id?: unknown) => void]>;

  /**
   * @param adapter - the namespace adapter whose room events feed the list.
   * @param publish - sends `event` with `rooms` to everyone: "rooms changed" with the rooms
   *   that changed, each with its new count (0: the room is gone), or "rooms" with the whole
   *   list when more changed than it holds; called after a burst of changes, once.
   * @param intervalMs - the shortest time between two updates. The first change after a
   *   quiet spell goes out at the next turn; changes within `intervalMs` of the last update
   *   wait and go together. 0: once per turn of the event loop.
   */
  constructor(adapter: EventEmitter, publish: (event: RoomListEvent, rooms: RoomSummary[]) => void, intervalMs = ROOM_LIST_INTERVAL_MS) {
    this.adapter = adapter;
    this.publish = publish;
    this.intervalMs = intervalMs;
    this.listeners = [
      ["create-room", (room) => this.change(room, 0)],
      ["join-room", (room) => this.change(room, 1)],
      ["leave-room", (room) => this.change(room, -1)],
      ["delete-room", (room) => this.remove(room)],
    ];
    for (const [event, fn] of this.listeners) adapter.on(event, fn);
  }

  /** The rooms, most populated first (then by name), at most {@link LIMITS.roomsListed}. */
  list(): RoomSummary[] {
    const rooms: RoomSummary[] = [];
    for (const [name, members] of this.counts) rooms.push({ name, members });
    rooms.sort((a, b) => b.members - a.members || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return rooms.slice(0, LIMITS.roomsListed);
  }

  /** Stops listening and drops a pending publication. */
  dispose(): void {
    for (const [event, fn] of this.listeners) this.adapter.off(event, fn);
    clearTimeout(this.pending);
    this.pending = undefined;
    this.changed.clear();
  }

  private chatRoom(room: unknown): string | undefined {
    return typeof room === "string" && room.startsWith(PREFIX) ? room.slice(PREFIX.length) : undefined;
  }

  private change(room: unknown, delta: number): void {
    const name = this.chatRoom(room);
    if (name === undefined) return;
    this.counts.set(name, Math.max(0, (this.counts.get(name) ?? 0) + delta));
    this.schedule(name);
  }

  private remove(room: unknown): void {
    const name = this.chatRoom(room);
    if (name === undefined || !this.counts.delete(name)) return;
    this.schedule(name);
  }

  // A room switch fires leave, delete, create and join; browsers get one update naming both
  // rooms, not four. Counts are sent whole, not as +1 / -1, so an update that reaches a browser
  // whose list on connection already counted the change does no harm.
  private schedule(name: string): void {
    this.changed.add(name);
    if (this.pending !== undefined) return;
    // A timer of 0 still runs after this turn's I/O, so a burst in one turn makes one update.
    const wait = Math.max(0, this.lastPublished + this.intervalMs - performance.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.lastPublished = performance.now();
      if (this.changed.size > LIMITS.roomsListed) {
        this.changed.clear();
        return this.publish("rooms", this.list());
      }
      const changes: RoomSummary[] = [];
      for (const room of this.changed) changes.push({ name: room, members: this.counts.get(room) ?? 0 });
      this.changed.clear();
      this.publish("rooms changed", changes);
    }, wait);
  }
}
