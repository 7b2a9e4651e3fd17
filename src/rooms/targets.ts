/**
 * Recipient resolution for broadcasts and the other room-wide operations.
 *
 * Recipients are the sockets in any of `opts.rooms` (every socket of the namespace when it is
 * empty), minus the sockets in any room of `opts.except`. Ids with no socket (a socket that
 * is going away) and sockets that are no longer connected are skipped.
 *
 * Dedupe and exclusion use a visit stamp instead of a Set: each resolution takes a fresh
 * number, writes it into `targetStamp` of every socket it excludes or visits, and skips a
 * socket that already carries it — one property compare per member instead of Set.has +
 * Set.add (bench/micro.ts, union of 3 rooms: 80 → 32 ns per recipient). The socket lookup
 * that the stamp needs is one the resolution makes anyway — or none at all for a room whose
 * sockets the index's {@link MemberCache} keeps.
 *
 * The sender's own room (`socket.to(room)`, `socket.broadcast`) is excluded by identity: it
 * holds one socket, and a compare per member is cheaper than stamping.
 *
 * `socket.connected !== true` rather than `!socket.connected`: V8 does not know a field holds
 * only booleans, so `!field` compiles to a full truthiness test (false, "", 0, NaN, 0n,
 * undetectable objects: about a dozen instructions per member), where a compare with `true` is
 * one pointer compare.
 */
import type { MemberCache } from "./member-cache.ts";
import type { AdapterSocket, BroadcastOptions, Room, SocketId } from "./types.ts";

/**
 * Called once per recipient. It receives a caller-owned context instead of closing over
 * state, so a hot caller can pass a module-level function and allocate nothing per call.
 */
export type TargetVisitor<C> = (socket: AdapterSocket, ctx: C) => void;

type Rooms = ReadonlyMap<Room, ReadonlySet<SocketId>>;
type Sockets = ReadonlyMap<SocketId, AdapterSocket>;

/**
 * The last stamp handed out. Global and only ever increasing, so a stamp is never reused by
 * any resolution on any namespace: a socket's leftover stamp from an earlier (or aborted)
 * resolution can never be mistaken for the current one. A small integer would not do: it
 * would have to wrap, and no wrap can reset every socket of every namespace. It starts above
 * the small-integer range so the `targetStamp` field is a double from the first broadcast on
 * (a representation change hours into a server's life would deoptimise the hot loop once;
 * measured, a double costs ~1 ns per member over a small integer, within the noise); 2^53 is
 * out of reach (285 years at a million resolutions per second).
 */
let lastStamp = 2 ** 32;

/**
 * True while a stamped resolution is running. A visitor may start another resolution before
 * the current one ends (a nested broadcast from inside a write, an adapter subclass's
 * visitor): that one must not overwrite the stamps the outer one still relies on, so it
 * resolves with Sets instead. Resolutions are synchronous, so only nesting can overlap them.
 */
let stamping = false;

/**
 * Calls `visit(socket, ctx)` once for every recipient of `opts`.
 *
 * Allocation: nothing per recipient, and nothing per call except in a resolution nested
 * inside another one's visitor (one Set for its union or exclusions), and, with a `cache`, the
 * array of a room whose membership changed since its last resolution.
 *
 * @param rooms - the room index (room → socket ids).
 * @param sockets - the namespace's sockets by id.
 * @param opts - rooms and except rooms; flags are ignored here.
 * @param visit - called per recipient; must not add or remove members of the rooms being
 *   iterated (use {@link collectTargets} for operations that change membership). It may
 *   start another resolution (a nested broadcast).
 * @param ctx - passed through to `visit`.
 * @param cache - the socket objects of `rooms`' larger rooms (the index's own {@link MemberCache},
 *   which it keeps up to date); without it every member id is looked up in `sockets`.
 * @returns the number of recipients visited.
 */
export function forEachTarget<C>(
  rooms: Rooms,
  sockets: Sockets,
  opts: BroadcastOptions,
  visit: TargetVisitor<C>,
  ctx: C,
  cache?: MemberCache,
): number {
  const except = opts.except !== undefined && opts.except.size > 0 ? opts.except : undefined;
  const targetRooms = opts.rooms;
  if (except === undefined) {
    // Each socket appears once in the namespace and once per room: no dedupe needed.
    if (targetRooms.size === 0) return visitAll(sockets, undefined, visit, ctx);
    if (targetRooms.size === 1) return visitRoom(rooms, sockets, cache, onlyRoom(targetRooms), undefined, visit, ctx);
  } else if (targetRooms.size <= 1) {
    // `socket.to(room)` and `socket.broadcast` exclude the sender's own room, which holds the
    // sender alone: one identity compare per member instead of a stamp.
    const lone = loneExcluded(rooms, sockets, except);
    if (lone !== undefined) {
      const excluded = lone ?? undefined;
      if (targetRooms.size === 0) return visitAll(sockets, excluded, visit, ctx);
      return visitRoom(rooms, sockets, cache, onlyRoom(targetRooms), excluded, visit, ctx);
    }
  }
  if (stamping) return visitWithSets(rooms, sockets, targetRooms, except, visit, ctx);
  stamping = true;
  try {
    return visitStamped(rooms, sockets, cache, targetRooms, except, visit, ctx, ++lastStamp);
  } finally {
    stamping = false;
  }
}

function onlyRoom(targetRooms: ReadonlySet<Room>): Room {
  // The caller checked size === 1; an iterator step is cheaper than Array.from.
  return targetRooms.values().next().value as Room;
}

/**
 * When `except` is one room of at most one member: that member's socket, or null when it
 * excludes nobody (an empty or unknown room, an id with no socket). Otherwise undefined.
 */
function loneExcluded(rooms: Rooms, sockets: Sockets, except: ReadonlySet<Room>): AdapterSocket | null | undefined {
  if (except.size !== 1) return undefined;
  const members = rooms.get(onlyRoom(except));
  if (members === undefined) return null;
  if (members.size > 1) return undefined;
  for (const id of members) return sockets.get(id) ?? null;
  return null;
}

/** Every connected socket of the namespace but `excluded`. */
function visitAll<C>(sockets: Sockets, excluded: AdapterSocket | undefined, visit: TargetVisitor<C>, ctx: C): number {
  let count = 0;
  for (const socket of sockets.values()) {
    if (socket === excluded || socket.connected !== true) continue;
    visit(socket, ctx);
    count++;
  }
  return count;
}

/** Every connected member of `room` but `excluded`. */
function visitRoom<C>(
  rooms: Rooms,
  sockets: Sockets,
  cache: MemberCache | undefined,
  room: Room,
  excluded: AdapterSocket | undefined,
  visit: TargetVisitor<C>,
  ctx: C,
): number {
  const members = rooms.get(room);
  if (members === undefined) return 0;
  let count = 0;
  const list = cache?.socketsOf(room, members, sockets);
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const socket = list[i] as AdapterSocket;
      if (socket === excluded || socket.connected !== true) continue;
      visit(socket, ctx);
      count++;
    }
    return count;
  }
  for (const id of members) {
    const socket = sockets.get(id);
    if (socket === undefined || socket === excluded || socket.connected !== true) continue;
    visit(socket, ctx);
    count++;
  }
  return count;
}

/** Marks every socket in any of `except` with `stamp`. */
function stampExcluded(rooms: Rooms, sockets: Sockets, cache: MemberCache | undefined, except: ReadonlySet<Room>, stamp: number): void {
  for (const room of except) {
    const members = rooms.get(room);
    if (members === undefined) continue;
    const list = cache?.socketsOf(room, members, sockets);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) (list[i] as AdapterSocket).targetStamp = stamp;
      continue;
    }
    for (const id of members) {
      const socket = sockets.get(id);
      if (socket !== undefined) socket.targetStamp = stamp;
    }
  }
}

/**
 * The stamped resolution. Excluded sockets carry the stamp before any target is looked at,
 * so "excluded" and "already visited" are the same single compare.
 */
function visitStamped<C>(
  rooms: Rooms,
  sockets: Sockets,
  cache: MemberCache | undefined,
  targetRooms: ReadonlySet<Room>,
  except: ReadonlySet<Room> | undefined,
  visit: TargetVisitor<C>,
  ctx: C,
  stamp: number,
): number {
  if (except !== undefined) stampExcluded(rooms, sockets, cache, except, stamp);
  if (targetRooms.size === 0) return visitAllUnstamped(sockets, visit, ctx, stamp);
  // One room holds each id once: only the excluded need a stamp, and nothing is written per member.
  if (targetRooms.size === 1) return visitRoomUnstamped(rooms, sockets, cache, onlyRoom(targetRooms), visit, ctx, stamp);
  return visitUnion(rooms, sockets, cache, targetRooms, visit, ctx, stamp);
}

function visitAllUnstamped<C>(sockets: Sockets, visit: TargetVisitor<C>, ctx: C, stamp: number): number {
  let count = 0;
  for (const socket of sockets.values()) {
    if (socket.targetStamp === stamp || socket.connected !== true) continue;
    visit(socket, ctx);
    count++;
  }
  return count;
}

function visitRoomUnstamped<C>(
  rooms: Rooms,
  sockets: Sockets,
  cache: MemberCache | undefined,
  room: Room,
  visit: TargetVisitor<C>,
  ctx: C,
  stamp: number,
): number {
  const members = rooms.get(room);
  if (members === undefined) return 0;
  let count = 0;
  const list = cache?.socketsOf(room, members, sockets);
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const socket = list[i] as AdapterSocket;
      if (socket.targetStamp === stamp || socket.connected !== true) continue;
      visit(socket, ctx);
      count++;
    }
    return count;
  }
  for (const id of members) {
    const socket = sockets.get(id);
    if (socket === undefined || socket.targetStamp === stamp || socket.connected !== true) continue;
    visit(socket, ctx);
    count++;
  }
  return count;
}

function visitUnion<C>(
  rooms: Rooms,
  sockets: Sockets,
  cache: MemberCache | undefined,
  targetRooms: ReadonlySet<Room>,
  visit: TargetVisitor<C>,
  ctx: C,
  stamp: number,
): number {
  let count = 0;
  for (const room of targetRooms) {
    const members = rooms.get(room);
    if (members === undefined) continue;
    const list = cache?.socketsOf(room, members, sockets);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const socket = list[i] as AdapterSocket;
        if (socket.targetStamp === stamp) continue;
        socket.targetStamp = stamp;
        if (socket.connected !== true) continue;
        visit(socket, ctx);
        count++;
      }
      continue;
    }
    for (const id of members) {
      const socket = sockets.get(id);
      if (socket === undefined || socket.targetStamp === stamp) continue;
      socket.targetStamp = stamp;
      if (socket.connected !== true) continue;
      visit(socket, ctx);
      count++;
    }
  }
  return count;
}

/**
 * The same resolution with a Set of seen ids, for a resolution nested inside a stamped one
 * (rare: it allocates one Set per call and hashes every member).
 */
function visitWithSets<C>(
  rooms: Rooms,
  sockets: Sockets,
  targetRooms: ReadonlySet<Room>,
  except: ReadonlySet<Room> | undefined,
  visit: TargetVisitor<C>,
  ctx: C,
): number {
  // The excluded ids double as the "already seen" ids.
  const seen = except !== undefined ? membersOf(rooms, except) : new Set<SocketId>();
  let count = 0;
  if (targetRooms.size === 0) {
    for (const socket of sockets.values()) {
      if (seen.has(socket.id) || socket.connected !== true) continue;
      visit(socket, ctx);
      count++;
    }
    return count;
  }
  for (const room of targetRooms) {
    const members = rooms.get(room);
    if (members === undefined) continue;
    for (const id of members) {
      if (seen.has(id)) continue;
      seen.add(id);
      const socket = sockets.get(id);
      if (socket === undefined || socket.connected !== true) continue;
      visit(socket, ctx);
      count++;
    }
  }
  return count;
}

/** The ids of the sockets in any of `names`. */
function membersOf(rooms: Rooms, names: ReadonlySet<Room>): Set<SocketId> {
  const ids = new Set<SocketId>();
  for (const room of names) {
    const members = rooms.get(room);
    if (members === undefined) continue;
    for (const id of members) ids.add(id);
  }
  return ids;
}

function pushSocket(socket: AdapterSocket, out: AdapterSocket[]): void {
  out.push(socket);
}

/**
 * The recipients of `opts` as an array, resolved before anything acts on them — for
 * operations (join, leave, disconnect) that change the very rooms being iterated.
 */
export function collectTargets(rooms: Rooms, sockets: Sockets, opts: BroadcastOptions, cache?: MemberCache): AdapterSocket[] {
  const out: AdapterSocket[] = [];
  forEachTarget(rooms, sockets, opts, pushSocket, out, cache);
  return out;
}
