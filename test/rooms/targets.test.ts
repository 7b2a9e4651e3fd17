import { describe, expect, it } from "vitest";
import { collectTargets, forEachTarget } from "../../src/rooms/targets.ts";
import type { AdapterSocket, BroadcastOptions, Room, SocketId } from "../../src/rooms/types.ts";
import { FakeNamespace, type FakeSocket } from "./fakes.ts";

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
const EXCEPTS: (Room[] | undefined)[] = [undefined, [], ["r2"], ["a", "r3"], ["missing"], ["g", "ghost", "b"]];

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
function visited(nsp: FakeNamespace, opts: BroadcastOptions, during?: (socket: AdapterSocket) => void): string[] {
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
