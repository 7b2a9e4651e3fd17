/**
 * The socket objects of a room, kept as an array between broadcasts.
 *
 * The room index holds ids (socket.io's `adapter.rooms` is `Map<Room, Set<SocketId>>`), so a
 * resolution that walks the index must look every id up in the namespace's socket map: the
 * largest part of what recipient resolution costs per recipient (callgrind, `io.to(room)` with
 * 1000 members: ~65 instructions per lookup). A room's membership usually changes far less
 * often than it is broadcast to, so once a room was resolved twice with no change in between,
 * its sockets are kept in an array and the following resolutions walk that: no lookup, no Set
 * iterator.
 *
 * Only rooms of {@link MIN_CACHED_MEMBERS} or more are kept: every socket has a room of its own
 * (one member), and an array per socket would cost memory on every connection for a lookup or
 * two saved per broadcast.
 */
import type { AdapterSocket, Room, SocketId } from "./types.ts";

/** Smallest room whose sockets are kept (below it, the lookups saved are a few per broadcast). */
export const MIN_CACHED_MEMBERS = 16;

/**
 * What is known of one room: the member Set and size it was last resolved with and, from its
 * second resolution with no change in between, its sockets.
 */
class CachedMembers {
  members: ReadonlySet<SocketId>;
  size: number;
  sockets: readonly AdapterSocket[] | undefined = undefined;

  constructor(members: ReadonlySet<SocketId>) {
    this.members = members;
    this.size = members.size;
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
 * Memory: one small entry per room of {@link MIN_CACHED_MEMBERS}+ members that was broadcast
 * to, plus one pointer per member for the rooms kept; dropped with the room's next change.
 *
 * The arrays are never changed once built (a change of the room drops its array and the next
 * resolution builds a new one), so a resolution may walk one while a visitor changes the room.
 *
 * @example
 * const cache = new MemberCache();
 * cache.socketsOf("lobby", members, nsp.sockets); // undefined: first resolution, look ids up
 * cache.socketsOf("lobby", members, nsp.sockets); // the sockets, kept from now on
 * cache.forget("lobby"); // a socket joined or left
 */
export class MemberCache {
  private readonly byRoom = new Map<Room, CachedMembers>();

  /** Forgets `room` (its membership changed). O(1); only a size check while nothing is known. */
  forget(room: Room): void {
    if (this.byRoom.size !== 0) this.byRoom.delete(room);
  }

  /** The number of rooms whose sockets are kept (for tests: it walks every entry). */
  keptRooms(): number {
    let kept = 0;
    for (const entry of this.byRoom.values()) if (entry.sockets !== undefined) kept++;
    return kept;
  }

  /**
   * The sockets of `room`'s members, or undefined when the caller must look the ids up itself:
   * a room below {@link MIN_CACHED_MEMBERS}, or the first resolution of a room since it
   * changed. The array is built at the second resolution with no change in between, so a room
   * whose membership changes between every two broadcasts never pays for one; a stable room
   * pays once. Ids with no socket are left out. The array is shared and must not be changed.
   *
   * @param members - `room`'s member ids, as the index holds them now.
   * @param sockets - the namespace's sockets by id (always the same map for one cache).
   */
  socketsOf(room: Room, members: ReadonlySet<SocketId>, sockets: ReadonlyMap<SocketId, AdapterSocket>): readonly AdapterSocket[] | undefined {
    const size = members.size;
    if (size < MIN_CACHED_MEMBERS) return undefined;
    const kept = this.byRoom.get(room);
    if (kept === undefined) {
      this.byRoom.set(room, new CachedMembers(members));
      return undefined;
    }
    // Another Set or size: the room was recreated or changed behind the index's back.
    if (kept.members !== members || kept.size !== size) {
      kept.members = members;
      kept.size = size;
      kept.sockets = undefined;
      return undefined;
    }
    if (kept.sockets !== undefined) return kept.sockets;
    const list: AdapterSocket[] = [];
    for (const id of members) {
      const socket = sockets.get(id);
      if (socket !== undefined) list.push(socket);
    }
    // Kept only when every member was found: a missing one may enter the socket map later
    // (connecting after its middlewares joined rooms) without the room changing.
    if (list.length === size) kept.sockets = list;
    return list;
  }
}
