import { beforeEach, describe, expect, it, vi } from "vitest";

// Wraps the real encoder in a spy so the tests can count encodings.
vi.mock("../../src/protocol/encoder.ts", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../../src/protocol/encoder.ts")>();
  return { ...mod, encodePacket: vi.fn(mod.encodePacket) };
});

import { encodePacket } from "../../src/protocol/encoder.ts";
import { PacketType } from "../../src/protocol/packet.ts";
import type { Packet } from "../../src/protocol/packet.ts";
import type { AckCallback } from "../../src/rooms/types.ts";
import { FakeNamespace, FakeSocket, receivers, texts } from "./fakes.ts";

const encodeSpy = vi.mocked(encodePacket);

function event(...data: unknown[]): Packet {
  return { type: PacketType.EVENT, nsp: "/", data };
}

/** a, b in "r1"; b, c in "r2"; d in "r3"; e in nothing but its own room. */
function setup(): { nsp: FakeNamespace; all: FakeSocket[]; a: FakeSocket; b: FakeSocket; c: FakeSocket; d: FakeSocket; e: FakeSocket } {
  const nsp = new FakeNamespace("/chat");
  const a = nsp.connect("a", ["r1"]);
  const b = nsp.connect("b", ["r1", "r2"]);
  const c = nsp.connect("c", ["r2"]);
  const d = nsp.connect("d", ["r3"]);
  const e = nsp.connect("e");
  return { nsp, all: [a, b, c, d, e], a, b, c, d, e };
}

beforeEach(() => {
  encodeSpy.mockClear();
});

describe("Adapter", () => {
  describe("room lifecycle events", () => {
    it("emits create-room, join-room, leave-room, delete-room in order, once each", () => {
      const nsp = new FakeNamespace();
      const events: string[] = [];
      const adapter = nsp.adapter;
      adapter.on("create-room", (room: string) => events.push(`create ${room}`));
      adapter.on("join-room", (room: string, id: string) => events.push(`join ${room} ${id}`));
      adapter.on("leave-room", (room: string, id: string) => events.push(`leave ${room} ${id}`));
      adapter.on("delete-room", (room: string) => events.push(`delete ${room}`));

      adapter.addAll("a", new Set(["a", "lobby"]));
      adapter.addAll("b", new Set(["lobby"]));
      adapter.addAll("a", new Set(["lobby"]));
      adapter.del("a", "lobby");
      adapter.del("a", "lobby");
      adapter.delAll("b");
      adapter.delAll("a");

      expect(events).toEqual([
        "create a",
        "join a a",
        "create lobby",
        "join lobby a",
        "join lobby b",
        "leave lobby a",
        "leave lobby b",
        "delete lobby",
        "leave a a",
        "delete a",
      ]);
      expect(adapter.rooms.size).toBe(0);
      expect(adapter.sids.size).toBe(0);
    });

    it("exposes rooms and sids as live maps", () => {
      const { nsp } = setup();
      expect(nsp.adapter.rooms.get("r1")?.size).toBe(2);
      expect([...(nsp.adapter.socketRooms("b") ?? [])]).toEqual(["b", "r1", "r2"]);
      expect(nsp.adapter.socketRooms("nobody")).toBeUndefined();
      nsp.adapter.del("a", "r1");
      expect(nsp.adapter.rooms.get("r1")?.size).toBe(1);
    });
  });

  describe("broadcast", () => {
    it("delivers to the members of a single room, encoding once and sharing the result", () => {
      const { nsp, all, a, b } = setup();
      nsp.adapter.broadcast(event("news", "hi"), { rooms: new Set(["r1"]) });

      expect(receivers(all)).toEqual(["a", "b"]);
      expect(encodeSpy).toHaveBeenCalledTimes(1);
      expect(texts(a)).toEqual(['2/chat,["news","hi"]']);
      expect(a.client.writes[0]?.encoded).toBe(b.client.writes[0]?.encoded);
    });

    it("sets the packet's namespace to the adapter's", () => {
      const { nsp } = setup();
      const packet = event("x");
      nsp.adapter.broadcast(packet, { rooms: new Set(["r3"]) });
      expect(packet.nsp).toBe("/chat");
    });

    it("delivers a union of rooms once per socket", () => {
      const { nsp, all } = setup();
      nsp.adapter.broadcast(event("news"), { rooms: new Set(["r1", "r2", "b", "missing"]) });
      expect(receivers(all)).toEqual(["a", "b", "c"]);
      for (const s of all) expect(s.client.writes.length).toBeLessThanOrEqual(1);
      expect(encodeSpy).toHaveBeenCalledTimes(1);
    });

    it("delivers to every socket when no room is given", () => {
      const { nsp, all } = setup();
      nsp.adapter.broadcast(event("news"), { rooms: new Set() });
      expect(receivers(all)).toEqual(["a", "b", "c", "d", "e"]);
      expect(encodeSpy).toHaveBeenCalledTimes(1);
    });

    it("excludes the members of except rooms", () => {
      const { nsp, all } = setup();
      nsp.adapter.broadcast(event("n"), { rooms: new Set(), except: new Set(["r1", "e"]) });
      expect(receivers(all)).toEqual(["c", "d"]);
    });

    it("excludes except-room members from a single room", () => {
      const { nsp, all } = setup();
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["r1"]), except: new Set(["r2"]) });
      expect(receivers(all)).toEqual(["a"]);
    });

    it("excludes except-room members from a union", () => {
      const { nsp, all } = setup();
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["r1", "r2", "r3"]), except: new Set(["a", "r3"]) });
      expect(receivers(all)).toEqual(["b", "c"]);
    });

    it("neither encodes nor writes when no recipient resolves", () => {
      const { nsp, all } = setup();
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["missing"]) });
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["r1", "r2"]), except: new Set(["r1", "r2"]) });
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["r3"]), except: new Set(["d"]) });
      nsp.adapter.broadcast(event("n"), { rooms: new Set(), except: new Set(["r1", "r2", "r3", "e"]) });
      expect(receivers(all)).toEqual([]);
      for (const s of all) expect(s.client.writeToEngine).not.toHaveBeenCalled();
      expect(encodeSpy).not.toHaveBeenCalled();
    });

    it("skips ids without a socket and sockets that are not connected", () => {
      const { nsp, all, a, c } = setup();
      nsp.sockets.delete("a"); // still in the index: a socket being torn down
      c.connected = false;
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["r1", "r2"]) });
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["r1"]) });
      nsp.adapter.broadcast(event("n"), { rooms: new Set() });
      expect(a.client.writes).toEqual([]);
      expect(c.client.writes).toEqual([]);
      expect(receivers(all)).toEqual(["b", "d", "e"]);
    });

    it("passes volatile and compress flags to each write", () => {
      const { nsp, a, b } = setup();
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["r1"]), flags: { volatile: true, compress: false } });
      expect(a.client.writes[0]?.opts).toEqual({ volatile: true, compress: false, observed: false });
      expect(b.client.writes[0]?.opts).toEqual({ volatile: true, compress: false, observed: false });
    });

    it("leaves flags unset when none are given", () => {
      const { nsp, a } = setup();
      nsp.adapter.broadcast(event("n"), { rooms: new Set(["a"]) });
      expect(a.client.writes[0]?.opts.volatile).toBeUndefined();
      expect(a.client.writes[0]?.opts.compress).toBeUndefined();
    });

    it("delivers both broadcasts exactly when a write broadcasts again", () => {
      const { nsp, all, a, b, c, d, e } = setup();
      // b's write (b is in both r1 and r2, after a) starts a second union with its own exclusion;
      // the first must still reach b once, c once, and skip d.
      b.client.writeToEngine.mockImplementationOnce((encoded, opts) => {
        b.client.writes.push({ encoded, opts });
        nsp.adapter.broadcast(event("inner"), { rooms: new Set(["r2", "r1", "r3"]), except: new Set(["a"]) });
      });
      nsp.adapter.broadcast(event("outer"), { rooms: new Set(["r1", "r2"]), except: new Set(["r3"]) });

      const outer = '2/chat,["outer"]';
      const inner = '2/chat,["inner"]';
      expect(all.map((s) => texts(s).filter((t) => t === outer).length)).toEqual([1, 1, 1, 0, 0]);
      expect(all.map((s) => texts(s).filter((t) => t === inner).length)).toEqual([0, 1, 1, 1, 0]);
      expect([texts(a), texts(d), texts(e)]).toEqual([[outer], [inner], []]);
      expect(encodeSpy).toHaveBeenCalledTimes(2);
    });

    it("follows joins, leaves and disconnects in rooms large enough to have their sockets kept", () => {
      const nsp = new FakeNamespace("/big");
      const all = Array.from({ length: 40 }, (_, i) => nsp.connect(`s${String(i).padStart(2, "0")}`, i % 2 === 0 ? ["even"] : ["odd"]));
      const [s00, s01, s02] = all as [FakeSocket, FakeSocket, FakeSocket];
      const round = (opts: { rooms: Set<string>; except?: Set<string> }): string[] => {
        for (const s of all) s.client.writes.length = 0;
        nsp.adapter.broadcast(event("n"), opts);
        return receivers(all);
      };
      const evens = (): string[] => all.filter((s) => nsp.adapter.rooms.get("even")?.has(s.id) === true && s.connected).map((s) => s.id);
      // Three rounds each: the first looks ids up, the second keeps the sockets, the third uses them.
      for (let i = 0; i < 3; i++) expect(round({ rooms: new Set(["even"]) })).toEqual(evens());
      s02.leave("even");
      s01.join("even");
      for (let i = 0; i < 3; i++) expect(round({ rooms: new Set(["even"]) })).toEqual(evens());
      expect(evens()).not.toContain("s02");
      expect(evens()).toContain("s01");
      // socket.to("even") from s00: everyone in the room but the sender.
      for (let i = 0; i < 3; i++) expect(round({ rooms: new Set(["even"]), except: new Set(["s00"]) })).toEqual(evens().filter((id) => id !== "s00"));
      s00.disconnect();
      for (let i = 0; i < 3; i++) expect(round({ rooms: new Set(["even", "odd"]), except: new Set(["s01"]) })).toEqual(
        all.filter((s) => s.connected && s.id !== "s01" && s.id !== "s02").map((s) => s.id),
      );
    });

    it("shares binary attachments across recipients", () => {
      const { nsp, a, b } = setup();
      nsp.adapter.broadcast(event("file", Buffer.from([1, 2, 3])), { rooms: new Set(["r1"]) });
      const encoded = a.client.writes[0]?.encoded;
      expect(encoded?.[0]).toBe('51-/chat,["file",{"_placeholder":true,"num":0}]');
      expect(encoded?.[1]).toEqual(Buffer.from([1, 2, 3]));
      expect(b.client.writes[0]?.encoded).toBe(encoded);
      expect(encodeSpy).toHaveBeenCalledTimes(1);
    });
  });

  describe("broadcastWithAck", () => {
    it("stamps a fresh ack id, registers the ack before each write and reports the count", () => {
      const { nsp, a, b } = setup();
      const registeredAtWrite: boolean[] = [];
      for (const s of [a, b]) {
        s.client.writeToEngine.mockImplementation(() => {
          registeredAtWrite.push(s.acks.has(0));
        });
      }
      const ack: AckCallback = vi.fn();
      const counts: number[] = [];
      const packet = event("q");

      nsp.adapter.broadcastWithAck(packet, { rooms: new Set(["r1"]) }, (n) => counts.push(n), ack);

      expect(packet.id).toBe(0);
      expect(packet.nsp).toBe("/chat");
      expect(registeredAtWrite).toEqual([true, true]);
      expect(a.acks.get(0)).toBe(ack);
      expect(b.acks.get(0)).toBe(ack);
      expect(counts).toEqual([2]);
      expect(encodeSpy).toHaveBeenCalledTimes(1);

      const second = event("q2");
      nsp.adapter.broadcastWithAck(second, { rooms: new Set(["r1"]) }, () => {}, ack);
      expect(second.id).toBe(1);
    });

    it("writes the ack id in the packet", () => {
      const { nsp, d } = setup();
      nsp.adapter.broadcastWithAck(event("q"), { rooms: new Set(["r3"]) }, () => {}, () => {});
      expect(texts(d)).toEqual(['2/chat,0["q"]']);
    });

    it("reports zero and encodes nothing when no recipient resolves", () => {
      const { nsp, all } = setup();
      const counts: number[] = [];
      nsp.adapter.broadcastWithAck(event("q"), { rooms: new Set(["missing"]) }, (n) => counts.push(n), () => {});
      expect(counts).toEqual([0]);
      expect(receivers(all)).toEqual([]);
      expect(encodeSpy).not.toHaveBeenCalled();
    });
  });

  describe("socket queries and bulk operations", () => {
    it("serverCount is 1", async () => {
      expect(await new FakeNamespace().adapter.serverCount()).toBe(1);
    });

    it("sockets() resolves the members of the rooms, or every socket", async () => {
      const { nsp } = setup();
      expect([...(await nsp.adapter.sockets(new Set(["r1", "r2"])))]).toEqual(["a", "b", "c"]);
      expect([...(await nsp.adapter.sockets(new Set()))]).toEqual(["a", "b", "c", "d", "e"]);
      expect([...(await nsp.adapter.sockets(new Set(["missing"])))]).toEqual([]);
    });

    it("fetchSockets() honours rooms and except", async () => {
      const { nsp, b, c } = setup();
      const found = await nsp.adapter.fetchSockets({ rooms: new Set(["r2"]) });
      expect(found).toEqual([b, c]);
      const except = await nsp.adapter.fetchSockets({ rooms: new Set(), except: new Set(["r1", "r3"]) });
      expect(except.map((s) => s.id)).toEqual(["c", "e"]);
    });

    it("addSockets() makes the targets join every given room", () => {
      const { nsp } = setup();
      nsp.adapter.addSockets({ rooms: new Set(["r1"]), except: new Set(["b"]) }, ["x", "y"]);
      expect([...(nsp.adapter.rooms.get("x") ?? [])]).toEqual(["a"]);
      expect([...(nsp.adapter.rooms.get("y") ?? [])]).toEqual(["a"]);
    });

    it("addSockets() into a targeted room visits each socket once", () => {
      const { nsp } = setup();
      const joins: string[] = [];
      nsp.adapter.on("join-room", (room: string, id: string) => joins.push(`${room} ${id}`));
      nsp.adapter.addSockets({ rooms: new Set(["r1", "r2"]) }, ["r2", "z"]);
      expect(joins).toEqual(["r2 a", "z a", "z b", "z c"]);
    });

    it("delSockets() makes the targets leave, even the room being iterated", () => {
      const { nsp } = setup();
      nsp.adapter.delSockets({ rooms: new Set(["r1"]) }, ["r1", "r2"]);
      expect(nsp.adapter.rooms.has("r1")).toBe(false);
      expect([...(nsp.adapter.rooms.get("r2") ?? [])]).toEqual(["c"]);
    });

    it("disconnectSockets() disconnects the targets with the close flag", () => {
      const { nsp, a, b, c, d, e } = setup();
      nsp.adapter.disconnectSockets({ rooms: new Set(["r1", "r2"]), except: new Set(["c"]) }, true);
      expect([a.closedWith, b.closedWith, c.closedWith]).toEqual([true, true, undefined]);
      nsp.adapter.disconnectSockets({ rooms: new Set() }, false);
      expect([c.closedWith, d.closedWith, e.closedWith]).toEqual([false, false, false]);
      expect(nsp.sockets.size).toBe(0);
      expect(nsp.adapter.rooms.size).toBe(0);
    });
  });

  describe("serverSideEmit", () => {
    it("calls a trailing ack with (null, []) on the next tick", async () => {
      const nsp = new FakeNamespace();
      const result = await new Promise<unknown[]>((resolve) => {
        let sync = true;
        nsp.adapter.serverSideEmit([
          "hello",
          1,
          (err: Error | null, responses: unknown[]) => resolve([sync, err, responses]),
        ]);
        sync = false;
      });
      expect(result).toEqual([false, null, []]);
    });

    it("does nothing without an ack", () => {
      expect(() => new FakeNamespace().adapter.serverSideEmit(["hello", 1])).not.toThrow();
    });
  });

  it("init and close are no-ops", async () => {
    const adapter = new FakeNamespace().adapter;
    await adapter.init();
    await adapter.close();
  });
});
