/**
 * The socket objects of a room, kept as an array between broadcasts.
 *
 * The room index holds ids (socket.io's `adapter.rooms` is `Map<Room, Set<SocketId>>`), so a
 * resolution that walks the index must look every id up in the namespace's socket map: the
 * largest part of what recipient resolution costs per recipient (callgrind, `io.to(room)` with
 * 1000 members: ~65 instructions per lookup). A room's membership changes far less often than
 * it is broadcast to, so the first resolution after a change keeps what those lookups found,
 * and the following ones walk that array: no lookup, no Set iterator.
 *
 * Only rooms of {@link MIN_CACHED_MEMBERS} or more are kept: every socket has a room of its own
 * (one member), and an array per socket would cost memory on every connection for a lookup or
 * two saved per broadcast.
 */
import type { AdapterSocket, Room, SocketId } from "./types.ts";

/** Smallest room whose sockets are kept (below it, the lookups saved are a few per broadcast). */
export const MIN_CACHED_MEMBERS = 16;

/** What was resolved for one room, valid while that room's member Set is unchanged. */
class CachedMembers {
  readonly members: ReadonlySet<SocketId>;
  readonly size: number;
  readonly sockets: readonly AdapterSocket[];

  constructor(members: ReadonlySet<SocketId>, sockets: readonly AdapterSocket[]) {
    this.members = members;
    this.size = members.size;
    this.sockets = sockets;
  }
}

/**
 * Room → the socket objects of its members, for the rooms of one room index. The index calls
 * {@link forget} on every change of a room's membership; resolution calls {@link socketsOf}.
 *
 * Requirement on the namespace (the real one meets it, see Socket.onClose): a socket leaves its
 * rooms before it leaves the socket map, so an array never outlives a member's departure. A
 * socket that is in rooms before it is in the socket map (rooms joined by its middlewares) is
 * simply not found: the array of a room with such a member is used once and not kept.
 *
 * The arrays are never changed once built (a change of the room drops its array and the next
 * resolution builds a new one), so a resolution may walk one while a visitor changes the room.
 *
 * @example
 * const cache = new MemberCache();
 * const list = cache.socketsOf("lobby", rooms.get("lobby")!, nsp.sockets); // resolves and keeps
 * cache.forget("lobby"); // a socket joined or left
 */
export class MemberCache {
  private readonly byRoom = new Map<Room, CachedMembers>();

  /** Drops the array of `room` (its membership changed). O(1); nothing when nothing is kept. */
  forget(room: Room): void {
    if (this.byRoom.size !== 0) this.byRoom.delete(room);
  }

  /** Drops every array. */
  clear(): void {
    this.byRoom.clear();
  }

  /** The number of rooms whose sockets are kept (for tests and memory checks). */
  get size(): number {
    return this.byRoom.size;
  }

  /**
   * The sockets of `room`'s members, or undefined for a room below {@link MIN_CACHED_MEMBERS}
   * (the caller looks its few ids up itself). Ids with no socket are left out. The array is
   * shared and must not be changed.
   *
   * @param members - `room`'s member ids, as the index holds them now.
   * @param sockets - the namespace's sockets by id (always the same map for one cache).
   */
  socketsOf(room: Room, members: ReadonlySet<SocketId>, sockets: ReadonlyMap<SocketId, AdapterSocket>): readonly AdapterSocket[] | undefined {
    const size = members.size;
    if (size < MIN_CACHED_MEMBERS) return undefined;
    const kept = this.byRoom.get(room);
    // Same Set and size: a guard against a room recreated or changed behind the index's back.
    if (kept !== undefined && kept.members === members && kept.size === size) return kept.sockets;
    const list: AdapterSocket[] = [];
    for (const id of members) {
      const socket = sockets.get(id);
      if (socket !== undefined) list.push(socket);
    }
    // Kept only when every member was found: a missing one may enter the socket map later
    // (connecting after its middlewares joined rooms) without the room changing.
    if (list.length === size) this.byRoom.set(room, new CachedMembers(members, list));
    else this.byRoom.delete(room);
    return list;
  }
}
