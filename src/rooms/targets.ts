/**
 * Recipient resolution for broadcasts and the other room-wide operations.
 *
 * Recipients are the sockets in any of `opts.rooms` (every socket of the namespace when it is
 * empty), minus the sockets in any room of `opts.except`. Ids with no socket (a socket that
 * is going away) and sockets that are no longer connected are skipped.
 */
import type { AdapterSocket, BroadcastOptions, Room, SocketId } from "./types.ts";

/**
 * Called once per recipient. It receives a caller-owned context instead of closing over
 * state, so a hot caller can pass a module-level function and allocate nothing per call.
 */
export type TargetVisitor<C> = (socket: AdapterSocket, ctx: C) => void;

/**
 * Calls `visit(socket, ctx)` once for every recipient of `opts`.
 *
 * Allocation: nothing per recipient. One Set per call when `except` is non-empty (the
 * excluded ids), and for a union of two or more rooms that same Set, or a new one, also
 * serves to deduplicate; a single room is iterated directly.
 *
 * @param rooms - the room index (room → socket ids).
 * @param sockets - the namespace's sockets by id.
 * @param opts - rooms and except rooms; flags are ignored here.
 * @param visit - called per recipient; must not add or remove members of the rooms being
 *   iterated (use {@link collectTargets} for operations that change membership).
 * @param ctx - passed through to `visit`.
 * @returns the number of recipients visited.
 */
export function forEachTarget<C>(
  rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>,
  sockets: ReadonlyMap<SocketId, AdapterSocket>,
  opts: BroadcastOptions,
  visit: TargetVisitor<C>,
  ctx: C,
): number {
  const except = opts.except;
  const excluded = except !== undefined && except.size > 0 ? membersOf(rooms, except) : undefined;
  const targetRooms = opts.rooms;
  let count = 0;

  if (targetRooms.size === 0) {
    for (const socket of sockets.values()) {
      if (!socket.connected || (excluded !== undefined && excluded.has(socket.id))) continue;
      visit(socket, ctx);
      count++;
    }
    return count;
  }

  if (targetRooms.size === 1) {
    // One room holds each id once: no dedupe Set needed.
    let members: ReadonlySet<SocketId> | undefined;
    for (const room of targetRooms) members = rooms.get(room);
    if (members === undefined) return 0;
    for (const id of members) {
      if (excluded !== undefined && excluded.has(id)) continue;
      const socket = sockets.get(id);
      if (socket === undefined || !socket.connected) continue;
      visit(socket, ctx);
      count++;
    }
    return count;
  }

  // A union: the excluded Set (owned by this call) doubles as the "already seen" Set, so an
  // id is skipped with one lookup whether it was excluded or already visited.
  const seen = excluded ?? new Set<SocketId>();
  for (const room of targetRooms) {
    const members = rooms.get(room);
    if (members === undefined) continue;
    for (const id of members) {
      if (seen.has(id)) continue;
      seen.add(id);
      const socket = sockets.get(id);
      if (socket === undefined || !socket.connected) continue;
      visit(socket, ctx);
      count++;
    }
  }
  return count;
}

function pushSocket(socket: AdapterSocket, out: AdapterSocket[]): void {
  out.push(socket);
}

/**
 * The recipients of `opts` as an array, resolved before anything acts on them — for
 * operations (join, leave, disconnect) that change the very rooms being iterated.
 */
export function collectTargets(
  rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>,
  sockets: ReadonlyMap<SocketId, AdapterSocket>,
  opts: BroadcastOptions,
): AdapterSocket[] {
  const out: AdapterSocket[] = [];
  forEachTarget(rooms, sockets, opts, pushSocket, out);
  return out;
}

/** The ids of the sockets in any of `names`. */
function membersOf(rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>, names: ReadonlySet<Room>): Set<SocketId> {
  const ids = new Set<SocketId>();
  for (const room of names) {
    const members = rooms.get(room);
    if (members === undefined) continue;
    for (const id of members) ids.add(id);
  }
  return ids;
}
