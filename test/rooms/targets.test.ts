import { describe, expect, it } from "vitest";
import { MIN_CACHED_MEMBERS, type MemberCache } from "../../src/rooms/member-cache.ts";
import { collectTargets, forEachTarget } from "../../src/rooms/targets.ts";
import type { AdapterSocket, BroadcastOptions, Room, SocketId } from "../../src/rooms/types.ts";
import { Adapter } from "../../src/rooms/adapter.ts";
import { FakeNamespace, FakeSocket } from "./fakes.ts";

/**
 * a, b in r1; b, c in r2; c, d in r3; e in r1 and r3; f in nothing but its own room;
 * g in r1 and r2 but not connected; "ghost" in r1 and r2 with no socket (being torn down).
 */
function setup(): FakeNamespace {
  const nsp = new FakeNamespace("/t");
  nsp.connect("a", ["r1"]);
  nsp.connect("b", ["r1", "r2"]);
  nsp.connect("c", ["r2", "r3"]);
  nsp.connect("d", ["r3"]);
  nsp.connect("e", ["r1", "r3"]);
  nsp.connect("f");
  const g: FakeSocket = nsp.connect("g", ["r1", "r2"]);
  g.connected = false;
  nsp.connect("ghost", ["r1", "r2"]);
  nsp.sockets.delete("ghost");
  return nsp;
}

/** The recipients of `opts` by the definition, computed the slow and obvious way. */
function expected(nsp: FakeNamespace, opts: BroadcastOptions): SocketId[] {
  const inAny = (id: SocketId, names: ReadonlySet<Room>): boolean =>
    [...names].some((room) => nsp.adapter.rooms.get(room)?.has(id) === true);
  return [...nsp.sockets.values()]
    .filter((s) => s.connected)
    .filter((s) => opts.rooms.size === 0 || inAny(s.id, opts.rooms))
    .filter((s) => opts.except === undefined || !inAny(s.id, opts.except))
    .map((s) => s.id)
    .sort();
}

const ROOMS: Room[][] = [[], ["r1"], ["r2", "missing"], ["r1", "r2"], ["r1", "r2", "r3"], ["r3", "f", "r1"]];
// Single id rooms ("a", "g", "ghost", "f") are the sender-exclusion shape of socket.to(room).
const EXCEPTS: (Room[] | undefined)[] = [undefined, [], ["r2"], ["a", "r3"], ["missing"], ["g", "ghost", "b"], ["a"], ["g"], ["ghost"], ["f"]];

/** Every combination of target rooms and except rooms above. */
function allOptions(): BroadcastOptions[] {
  return ROOMS.flatMap((rooms) =>
    EXCEPTS.map((except) => ({ rooms: new Set(rooms), except: except === undefined ? undefined : new Set(except) })),
  );
}

function label(opts: BroadcastOptions): string {
  return `to [${[...opts.rooms].join(",")}] except ${opts.except === undefined ? "-" : `[${[...opts.except].join(",")}]`}`;
}

/** Runs `opts` and returns the ids visited, in visit order, duplicates kept. */
function visited(nsp: FakeNamespace, opts: BroadcastOptions, during?: (socket: AdapterSocket) => void, cache?: MemberCache): string[] {
  const ids: string[] = [];
  const count = forEachTarget(
    nsp.adapter.rooms,
    nsp.sockets,
    opts,
    (socket, out: string[]) => {
      out.push(socket.id);
      during?.(socket);
    },
    ids,
    cache,
  );
  expect(count).toBe(ids.length);
  return ids;
}

describe("forEachTarget", () => {
  it("visits exactly the recipients, each once, for every combination of rooms and except", () => {
    const nsp = setup();
    for (const opts of allOptions()) {
      expect(visited(nsp, opts).sort(), label(opts)).toEqual(expected(nsp, opts));
    }
  });

  it("keeps a union and its exclusions exact when every visit starts a nested resolution", () => {
    // The outer resolution relies on what it has visited and excluded so far; a nested one
    // (a visitor that broadcasts again) must not disturb that, whatever it targets.
    const nsp = setup();
    const outer: BroadcastOptions = { rooms: new Set(["r1", "r2", "r3"]), except: new Set(["d"]) };
    for (const inner of allOptions()) {
      const nested: string[][] = [];
      const got = visited(nsp, outer, () => nested.push(visited(nsp, inner)));
      expect(got.sort(), `outer around ${label(inner)}`).toEqual(expected(nsp, outer));
      expect(nested).toHaveLength(got.length);
      for (const ids of nested) expect(ids.sort(), `nested ${label(inner)}`).toEqual(expected(nsp, inner));
    }
  });

  it("keeps every level exact two resolutions deep", () => {
    const nsp = setup();
    const outer: BroadcastOptions = { rooms: new Set(), except: new Set(["r3"]) };
    const middle: BroadcastOptions = { rooms: new Set(["r2", "r1"]), except: new Set(["a"]) };
    const inner: BroadcastOptions = { rooms: new Set(["r1", "r3"]), except: new Set(["r2"]) };
    const middles: string[][] = [];
    const inners: string[][] = [];
    const got = visited(nsp, outer, () => middles.push(visited(nsp, middle, () => inners.push(visited(nsp, inner)))));
    expect(got.sort()).toEqual(expected(nsp, outer));
    for (const ids of middles) expect(ids.sort()).toEqual(expected(nsp, middle));
    expect(inners).toHaveLength(middles.length * expected(nsp, middle).length);
    for (const ids of inners) expect(ids.sort()).toEqual(expected(nsp, inner));
  });

  it("leaves nothing behind when a visitor throws halfway through", () => {
    const nsp = setup();
    const opts: BroadcastOptions = { rooms: new Set(["r1", "r2"]), except: new Set(["r3"]) };
    let visits = 0;
    const boom = (): void => {
      if (++visits === 2) throw new Error("boom");
    };
    expect(() => visited(nsp, opts, boom)).toThrow("boom");
    // The sockets the aborted resolution reached must count as neither visited nor excluded now.
    for (const next of allOptions()) expect(visited(nsp, next).sort(), label(next)).toEqual(expected(nsp, next));
    const nested: string[][] = [];
    visited(nsp, opts, () => nested.push(visited(nsp, opts)));
    for (const ids of nested) expect(ids.sort()).toEqual(expected(nsp, opts));
  });

  it("keeps namespaces apart: a resolution in one never skips a socket of another", () => {
    const one = setup();
    const two = setup();
    const opts: BroadcastOptions = { rooms: new Set(["r1", "r2"]), except: new Set(["r3"]) };
    const nested: string[][] = [];
    const got = visited(one, opts, () => nested.push(visited(two, opts)));
    expect(got.sort()).toEqual(expected(one, opts));
    for (const ids of nested) expect(ids.sort()).toEqual(expected(two, opts));
    expect(visited(two, opts).sort()).toEqual(expected(two, opts));
  });
});

describe("collectTargets", () => {
  it("resolves every recipient before the caller acts on any", () => {
    const nsp = setup();
    const opts: BroadcastOptions = { rooms: new Set(["r1", "r2"]), except: new Set(["r3"]) };
    const targets = collectTargets(nsp.adapter.rooms, nsp.sockets, opts);
    expect(targets.map((s) => s.id).sort()).toEqual(expected(nsp, opts));
    // Acting on the targets (leaving the very rooms resolved) reaches every one of them.
    for (const socket of targets) socket.disconnect();
    expect(targets.map((s) => s.id).sort()).toEqual(["a", "b"]);
    expect([...nsp.sockets.keys()].sort()).toEqual(["c", "d", "e", "f", "g"]);
  });
});

/** An adapter that shows its index's member cache to the tests. */
class CacheAdapter extends Adapter {
  get cache(): MemberCache {
    return this.index.memberCache;
  }
}

/** Sockets p0, p1, … added to every room r1–r3, so that each is large enough for the cache. */
const FILLERS = MIN_CACHED_MEMBERS;

/**
 * {@link setup} with rooms the member cache keeps: every room r1–r3 gets {@link FILLERS} more
 * members (p0 in r1, p1 in r2, p2 in r3, p3 in r1 and r2, …). With `ghost`, r1 and r2 hold an
 * id that has no socket, so their arrays are used but never kept.
 */
function largeSetup(ghost: boolean): { nsp: FakeNamespace; cache: MemberCache } {
  const nsp = new FakeNamespace("/large", (n) => new CacheAdapter(n));
  for (const [id, rooms] of [["a", ["r1"]], ["b", ["r1", "r2"]], ["c", ["r2", "r3"]], ["d", ["r3"]], ["e", ["r1", "r3"]], ["f", []]] as const) {
    nsp.connect(id, [...rooms]);
  }
  nsp.connect("g", ["r1", "r2"]).connected = false;
  const pattern: Room[][] = [["r1"], ["r2"], ["r3"], ["r1", "r2"], ["r2", "r3"], ["r1", "r2", "r3"]];
  for (let i = 0; i < 3 * FILLERS; i++) nsp.connect(`p${i}`, pattern[i % pattern.length]);
  if (ghost) {
    nsp.connect("ghost", ["r1", "r2"]);
    nsp.sockets.delete("ghost");
  }
  return { nsp, cache: (nsp.adapter as CacheAdapter).cache };
}

function expectEveryCombination(nsp: FakeNamespace, cache: MemberCache, round: string): void {
  for (const opts of allOptions()) {
    expect(visited(nsp, opts, undefined, cache).sort(), `${round}: ${label(opts)}`).toEqual(expected(nsp, opts));
  }
}

describe("forEachTarget with the index's member cache", () => {
  it("keeps a room's sockets from its second resolution with no change in between", () => {
    const { nsp, cache } = largeSetup(false);
    const opts: BroadcastOptions = { rooms: new Set(["r1"]) };
    const want = expected(nsp, opts);
    expect(visited(nsp, opts, undefined, cache).sort()).toEqual(want);
    expect(cache.keptRooms()).toBe(0);
    expect(visited(nsp, opts, undefined, cache).sort()).toEqual(want);
    expect(cache.keptRooms()).toBe(1);
    (nsp.sockets.get("a") as FakeSocket).leave("r1");
    expect(cache.keptRooms()).toBe(0);
    // A room changing between every two resolutions is never kept.
    for (let i = 0; i < 4; i++) {
      nsp.connect(`late${i}`, ["r1"]);
      expect(visited(nsp, opts, undefined, cache).sort()).toEqual(expected(nsp, opts));
      expect(cache.keptRooms()).toBe(0);
    }
  });

  it("visits exactly the recipients while building the arrays and once they are kept", () => {
    const { nsp, cache } = largeSetup(false);
    expectEveryCombination(nsp, cache, "first");
    expect(cache.keptRooms()).toBe(3);
    expectEveryCombination(nsp, cache, "kept");
  });

  it("never keeps a room with a member that has no socket, and visits it once it has one", () => {
    const { nsp, cache } = largeSetup(true);
    expectEveryCombination(nsp, cache, "first");
    expectEveryCombination(nsp, cache, "again");
    // Only r3 has no ghost.
    expect(cache.keptRooms()).toBe(1);
    // The ghost's socket enters the map (as a socket whose middlewares joined rooms does): no
    // room changed, and it must be reached all the same.
    nsp.sockets.set("ghost", new FakeSocket("ghost", nsp));
    expect(visited(nsp, { rooms: new Set(["r1"]) }, undefined, cache)).toContain("ghost");
    expectEveryCombination(nsp, cache, "ghost connected");
    expect(cache.keptRooms()).toBe(3);
  });

  it("sees every membership change made between resolutions", () => {
    const { nsp, cache } = largeSetup(false);
    expectEveryCombination(nsp, cache, "first");
    const a = nsp.sockets.get("a") as FakeSocket;
    a.leave("r1");
    expectEveryCombination(nsp, cache, "a left r1");
    a.join(["r2", "r3"]);
    expectEveryCombination(nsp, cache, "a joined r2, r3");
    (nsp.sockets.get("p0") as FakeSocket).disconnect();
    expectEveryCombination(nsp, cache, "p0 disconnected");
    // A socket replaced under the same id (a resumed session) with the same rooms.
    (nsp.sockets.get("b") as FakeSocket).disconnect();
    nsp.connect("b", ["r1", "r2"]);
    expectEveryCombination(nsp, cache, "b reconnected");
    // A room emptied (deleted) and created again with other members.
    for (const id of [...(nsp.adapter.rooms.get("r3") ?? [])]) (nsp.sockets.get(id) as FakeSocket).leave("r3");
    expect(nsp.adapter.rooms.has("r3")).toBe(false);
    for (let i = 0; i < FILLERS; i++) nsp.connect(`q${i}`, ["r3"]);
    expectEveryCombination(nsp, cache, "r3 recreated");
  });

  it("keeps a union and its exclusions exact when every visit starts a nested resolution", () => {
    const { nsp, cache } = largeSetup(false);
    const outer: BroadcastOptions = { rooms: new Set(["r1", "r2", "r3"]), except: new Set(["d"]) };
    for (const inner of allOptions()) {
      const nested: string[][] = [];
      const got = visited(nsp, outer, () => nested.push(visited(nsp, inner, undefined, cache)), cache);
      expect(got.sort(), `outer around ${label(inner)}`).toEqual(expected(nsp, outer));
      expect(nested).toHaveLength(got.length);
      for (const ids of nested) expect(ids.sort(), `nested ${label(inner)}`).toEqual(expected(nsp, inner));
    }
  });

  it("keeps the outer resolution exact when a visitor changes rooms and resolves again", () => {
    const { nsp, cache } = largeSetup(false);
    const outer: BroadcastOptions = { rooms: new Set(["r1", "r2"]), except: new Set(["d"]) };
    const inner: BroadcastOptions = { rooms: new Set(["r3"]) };
    const want = expected(nsp, outer);
    visited(nsp, inner, undefined, cache);
    const nested: string[][] = [];
    // Each visit takes one more socket out of r3 (one the outer resolution does not target),
    // then broadcasts to r3: the nested resolution must see the room as it is now.
    const leavers = [...(nsp.adapter.rooms.get("r3") ?? [])].filter((id) => !want.includes(id) && id !== "d");
    expect(leavers.length).toBeGreaterThan(0);
    const got = visited(
      nsp,
      outer,
      () => {
        const id = leavers.pop();
        if (id !== undefined) (nsp.sockets.get(id) as FakeSocket).leave("r3");
        nested.push(visited(nsp, inner, undefined, cache).sort());
        expect(nested[nested.length - 1]).toEqual(expected(nsp, inner));
      },
      cache,
    );
    expect(got.sort()).toEqual(want);
    expect(nested).toHaveLength(want.length);
  });

  it("sees a socket leaving a room of one namespace during a resolution in another", () => {
    const one = largeSetup(false);
    const two = largeSetup(false);
    const opts: BroadcastOptions = { rooms: new Set(["r1"]), except: new Set(["a"]) };
    visited(two.nsp, opts, undefined, two.cache);
    const leavers = [...(two.nsp.adapter.rooms.get("r1") ?? [])].filter((id) => id !== "a");
    const nested: string[][] = [];
    const got = visited(
      one.nsp,
      opts,
      () => {
        const id = leavers.pop();
        if (id !== undefined) (two.nsp.sockets.get(id) as FakeSocket).leave("r1");
        nested.push(visited(two.nsp, opts, undefined, two.cache).sort());
        expect(nested[nested.length - 1]).toEqual(expected(two.nsp, opts));
      },
      one.cache,
    );
    expect(got.sort()).toEqual(expected(one.nsp, opts));
    expect(nested.length).toBeGreaterThan(0);
  });

  it("excludes only the sender for socket.to(room) and socket.broadcast, in rooms of any size", () => {
    for (const { nsp, cache } of [largeSetup(false), { nsp: setup(), cache: undefined }]) {
      for (const rooms of [[], ["r1"], ["r2"], ["missing"]]) {
        for (const sender of ["a", "b", "f", "g", "ghost", "nobody"]) {
          const opts: BroadcastOptions = { rooms: new Set(rooms), except: new Set([sender]) };
          const got = visited(nsp, opts, undefined, cache).sort();
          expect(got, `${nsp.name} ${label(opts)}`).toEqual(expected(nsp, opts));
          expect(got).not.toContain(sender);
        }
      }
    }
  });
});
