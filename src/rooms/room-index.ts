/**
 * The two-way room index: room → members and socket → rooms, always updated together.
 */
import { MemberCache } from "./member-cache.ts";
import type { Room, SocketId } from "./types.ts";

/**
 * Receives the index's lifecycle changes, each exactly once.
 *
 * Order follows socket.io's in-memory adapter: a join that creates a room reports
 * `onCreate` then `onJoin`; a leave that empties a room reports `onLeave` then `onDelete`.
 * Both maps are already up to date when a listener runs.
 */
export interface RoomIndexListener {
  onCreate(room: Room): void;
  onJoin(room: Room, id: SocketId): void;
  onLeave(room: Room, id: SocketId): void;
  onDelete(room: Room): void;
}

/**
 * A set-based, two-way index of room membership.
 *
 * Invariants: `id ∈ rooms.get(room)` ⇔ `room ∈ sids.get(id)`; no map holds an empty Set
 * (an emptied room or socket entry is deleted at once).
 *
 * @example
 * const index = new RoomIndex({ onCreate() {}, onJoin() {}, onLeave() {}, onDelete() {} });
 * index.add("sid1", "lobby");
 * index.rooms.get("lobby")?.size; // 1
 */
export class RoomIndex {
  /** room → ids of the sockets in it. */
  readonly rooms: Map<Room, Set<SocketId>> = new Map();
  /** socket id → rooms it is in. */
  readonly sids: Map<SocketId, Set<Room>> = new Map();
  /** The socket objects of the larger rooms, for recipient resolution; told of every membership change. */
  readonly memberCache: MemberCache = new MemberCache();
  private readonly listener: RoomIndexListener;

  /** @param listener - told about every room creation, join, leave and deletion. */
  constructor(listener: RoomIndexListener) {
    this.listener = listener;
  }

  /**
   * Puts socket `id` in `room`.
   *
   * @returns true when the socket joined, false when it was already a member.
   */
  add(id: SocketId, room: Room): boolean {
    let members = this.rooms.get(room);
    const created = members === undefined;
    if (members === undefined) {
      members = new Set();
      this.rooms.set(room, members);
    } else if (members.has(id)) {
      return false;
    }
    members.add(id);
    this.memberCache.forget(room);
    let joined = this.sids.get(id);
    if (joined === undefined) {
      joined = new Set();
      this.sids.set(id, joined);
    }
    joined.add(room);

    if (created) this.listener.onCreate(room);
    this.listener.onJoin(room, id);
    return true;
  }

  /**
   * Takes socket `id` out of `room`, deleting the room if it became empty.
   *
   * @returns true when the socket left, false when it was not a member.
   */
  remove(id: SocketId, room: Room): boolean {
    const members = this.rooms.get(room);
    if (members === undefined || !members.delete(id)) return false;
    this.memberCache.forget(room);
    const emptied = members.size === 0;
    if (emptied) this.rooms.delete(room);
    const joined = this.sids.get(id);
    if (joined !== undefined) {
      joined.delete(room);
      if (joined.size === 0) this.sids.delete(id);
    }

    this.listener.onLeave(room, id);
    if (emptied) this.listener.onDelete(room);
    return true;
  }

  /** Takes socket `id` out of every room it is in (on disconnect). */
  removeAll(id: SocketId): void {
    const joined = this.sids.get(id);
    if (joined === undefined) return;
    this.sids.delete(id);

    // Update every room first so listeners never observe a half-removed socket; remember
    // which rooms emptied since a listener may recreate one before its turn comes.
    let emptied: Set<Room> | undefined;
    for (const room of joined) {
      const members = this.rooms.get(room);
      if (members === undefined) continue;
      members.delete(id);
      this.memberCache.forget(room);
      if (members.size === 0) {
        this.rooms.delete(room);
        (emptied ??= new Set()).add(room);
      }
    }
    for (const room of joined) {
      this.listener.onLeave(room, id);
      if (emptied !== undefined && emptied.has(room)) this.listener.onDelete(room);
    }
  }
}
