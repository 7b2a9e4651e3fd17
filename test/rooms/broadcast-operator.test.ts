import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import type { Packet } from "../../src/protocol/packet.ts";
import { Adapter } from "../../src/rooms/adapter.ts";
import { BroadcastTimeoutError } from "../../src/rooms/broadcast-ack.ts";
import { BroadcastOperator } from "../../src/rooms/broadcast-operator.ts";
import { RemoteSocket } from "../../src/rooms/remote-socket.ts";
import type { AckCallback, BroadcastOptions } from "../../src/rooms/types.ts";
import { FakeNamespace, flushMicrotasks, receivers, texts } from "./fakes.ts";

/** a, b in "r1"; b, c in "r2"; d in "r3"; e in nothing but its own room. */
function setup() {
  const nsp = new FakeNamespace("/chat");
  const a = nsp.connect("a", ["r1"]);
  const b = nsp.connect("b", ["r1", "r2"]);
  const c = nsp.connect("c", ["r2"]);
  const d = nsp.connect("d", ["r3"]);
  const e = nsp.connect("e");
  const op = new BroadcastOperator(nsp.adapter);
  return { nsp, op, all: [a, b, c, d, e], a, b, c, d, e };
}

type Outcome = [Error | null, unknown];

/** Records the outcome of an ack callback. */
function outcome(): { calls: Outcome[]; cb: (err: Error | null, responses: unknown) => void } {
  const calls: Outcome[] = [];
  return { calls, cb: (err, responses) => calls.push([err, responses]) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("BroadcastOperator", () => {
  describe("targeting", () => {
    it("emits to every socket by default", () => {
      const { op, all, a } = setup();
      expect(op.emit("news", 1)).toBe(true);
      expect(receivers(all)).toEqual(["a", "b", "c", "d", "e"]);
      expect(texts(a)).toEqual(['2/chat,["news",1]']);
    });

    it("chained to() targets the union, each socket once", () => {
      const { op, all } = setup();
      op.to("r1").to(["r2", "a"]).emit("n");
      expect(receivers(all)).toEqual(["a", "b", "c"]);
      for (const s of all) expect(s.client.writes.length).toBeLessThanOrEqual(1);
    });

    it("in() is the same as to()", () => {
      const { op, all } = setup();
      op.in("r3").in(["e"]).emit("n");
      expect(receivers(all)).toEqual(["d", "e"]);
    });

    it("chained except() excludes the union", () => {
      const { op, all } = setup();
      op.except("r1").except(["d"]).emit("n");
      expect(receivers(all)).toEqual(["c", "e"]);
    });

    it("never mutates the operator it is built from", () => {
      const { op, all, nsp } = setup();
      const a = op.to("r1");
      const b = a.to("r2");
      const c = a.except("b");
      const v = a.volatile.compress(false).timeout(5).local;

      const seen: BroadcastOptions[] = [];
      const broadcast = vi.spyOn(nsp.adapter, "broadcast").mockImplementation((_p: Packet, opts: BroadcastOptions) => {
        seen.push(opts);
      });
      a.emit("n");
      b.emit("n");
      c.emit("n");
      v.emit("n");
      a.emit("n");
      expect([...seen[0]!.rooms]).toEqual(["r1"]);
      expect([...(seen[0]!.except ?? [])]).toEqual([]);
      expect(seen[0]!.flags).toEqual({});
      expect([...seen[1]!.rooms]).toEqual(["r1", "r2"]);
      expect([...(seen[2]!.except ?? [])]).toEqual(["b"]);
      expect([...seen[2]!.rooms]).toEqual(["r1"]);
      expect(seen[3]!.flags).toEqual({ volatile: true, compress: false, timeout: 5, local: true });
      expect(seen[4]).toEqual(seen[0]);
      broadcast.mockRestore();

      a.emit("n");
      expect(receivers(all)).toEqual(["a", "b"]);
    });

    it("passes volatile and compress to each write and local to the adapter", () => {
      const { op, a, nsp } = setup();
      op.to("a").volatile.compress(false).emit("n");
      expect(a.client.writes[0]?.opts).toEqual({ volatile: true, compress: false, observed: false });

      const spy = vi.spyOn(nsp.adapter, "broadcast");
      op.local.to("a").emit("n");
      expect(spy.mock.calls[0]?.[1].flags).toEqual({ local: true });
    });

    it("throws on reserved event names and sends nothing", () => {
      const { op, all } = setup();
      for (const name of ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]) {
        expect(() => op.emit(name)).toThrow(`"${name}" is a reserved event name`);
        expect(() => op.emitWithAck(name)).toThrow(`"${name}" is a reserved event name`);
      }
      expect(receivers(all)).toEqual([]);
    });

    it("type-checks events against the emit map", () => {
      type Events = {
        chat: (text: string, at: number) => void;
        ask: (q: string, cb: (answer: string) => void) => void;
      };
      const nsp = new FakeNamespace();
      const typed = new BroadcastOperator<Events>(nsp.adapter);
      expectTypeOf(typed.emit<"chat">).parameters.toEqualTypeOf<["chat", string, number]>();
      expectTypeOf(typed.emitWithAck<"ask">).parameters.toEqualTypeOf<["ask", string]>();
      expectTypeOf(typed.emitWithAck<"ask">).returns.toEqualTypeOf<Promise<unknown[]>>();
    });
  });

  describe("emit with acknowledgement", () => {
    it("completes with every response once every recipient answered", async () => {
      const { op, a, b, c } = setup();
      const { calls, cb } = outcome();
      op.to("r1").emit("q", "x", cb);
      expect(texts(a)).toEqual(['2/chat,0["q","x"]']);
      expect(c.client.writes).toEqual([]);

      a.answer(a.lastAckId(), "from-a", "ignored-extra-arg");
      await flushMicrotasks();
      expect(calls).toEqual([]);

      b.answer(b.lastAckId(), "from-b");
      await flushMicrotasks();
      expect(calls).toEqual([[null, ["from-a", "from-b"]]]);
    });

    it("completes even when answers arrive before the server count is known", async () => {
      const { op, a, b } = setup();
      const { calls, cb } = outcome();
      op.to("r1").emit("q", cb);
      a.answer(a.lastAckId(), 1);
      b.answer(b.lastAckId(), 2);
      expect(calls).toEqual([]);
      await flushMicrotasks();
      expect(calls).toEqual([[null, [1, 2]]]);
    });

    it("completes with (null, []) when nothing is targeted", async () => {
      const { op, all } = setup();
      const { calls, cb } = outcome();
      op.to("missing").emit("q", cb);
      await flushMicrotasks();
      expect(calls).toEqual([[null, []]]);
      expect(receivers(all)).toEqual([]);
    });

    it("times out with the responses received so far and forgets pending acks", async () => {
      vi.useFakeTimers();
      const { op, a, b } = setup();
      const { calls, cb } = outcome();
      op.to("r1").timeout(1000).emit("q", cb);
      const id = a.lastAckId();
      a.answer(id, "from-a");
      await flushMicrotasks();

      vi.advanceTimersByTime(999);
      expect(calls).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(calls.length).toBe(1);
      const [err, responses] = calls[0]!;
      expect(err).toBeInstanceOf(BroadcastTimeoutError);
      expect(err?.message).toBe("operation has timed out");
      expect(responses).toEqual(["from-a"]);
      expect(b.acks.has(id)).toBe(false);

      b.answer(id, "late");
      await flushMicrotasks();
      expect(calls.length).toBe(1);
    });

    it("clears the timer when complete in time", async () => {
      vi.useFakeTimers();
      const { op, d } = setup();
      const { calls, cb } = outcome();
      op.to("r3").timeout(1000).emit("q", cb);
      d.answer(d.lastAckId(), "ok");
      await flushMicrotasks();
      expect(calls).toEqual([[null, ["ok"]]]);
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(5000);
      expect(calls.length).toBe(1);
    });

    it("waits indefinitely without a timeout", async () => {
      vi.useFakeTimers();
      const { op, d } = setup();
      const { calls, cb } = outcome();
      op.to("r3").emit("q", cb);
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(24 * 3600 * 1000);
      await flushMicrotasks();
      expect(calls).toEqual([]);
      d.answer(d.lastAckId(), "finally");
      await flushMicrotasks();
      expect(calls).toEqual([[null, ["finally"]]]);
    });

    it("waits for every server's count (cluster)", async () => {
      // A two-server adapter: the "remote" server reports one client that answers later.
      let remote: { count: (n: number) => void; ack: AckCallback } | undefined;
      class TwoServers extends Adapter {
        override serverCount(): Promise<number> {
          return Promise.resolve(2);
        }
        override broadcastWithAck(
          packet: Packet,
          opts: BroadcastOptions,
          clientCountCallback: (count: number) => void,
          ack: AckCallback,
        ): void {
          super.broadcastWithAck(packet, opts, clientCountCallback, ack);
          remote = { count: clientCountCallback, ack };
        }
      }
      const nsp = new FakeNamespace("/", (n) => new TwoServers(n));
      const d = nsp.connect("d", ["r3"]);
      const { calls, cb } = outcome();
      new BroadcastOperator(nsp.adapter).to("r3").emit("q", cb);
      d.answer(d.lastAckId(), "local");
      await flushMicrotasks();
      expect(calls).toEqual([]);

      remote!.ack("remote-early");
      await flushMicrotasks();
      expect(calls).toEqual([]);
      remote!.count(1);
      await flushMicrotasks();
      expect(calls).toEqual([[null, ["local", "remote-early"]]]);
    });

    it("fails when the server count cannot be obtained", async () => {
      class Broken extends Adapter {
        override serverCount(): Promise<number> {
          return Promise.reject(new Error("redis down"));
        }
      }
      const nsp = new FakeNamespace("/", (n) => new Broken(n));
      nsp.connect("a");
      const { calls, cb } = outcome();
      new BroadcastOperator(nsp.adapter).emit("q", cb);
      await flushMicrotasks();
      expect(calls.length).toBe(1);
      expect(calls[0]![0]?.message).toBe("redis down");
    });

    it("emitWithAck resolves every response", async () => {
      const { op, a, b } = setup();
      const pending = op.to("r1").emitWithAck("q", 42);
      expect(texts(a)).toEqual(['2/chat,0["q",42]']);
      a.answer(a.lastAckId(), "A");
      b.answer(b.lastAckId(), "B");
      expect(await pending).toEqual(["A", "B"]);
    });

    it("emitWithAck rejects on timeout with the responses so far", async () => {
      vi.useFakeTimers();
      const { op, a } = setup();
      const pending = op.to("r1").timeout(50).emitWithAck("q");
      a.answer(a.lastAckId(), "A");
      const settled = pending.then(
        () => undefined,
        (err: unknown) => err,
      );
      await vi.advanceTimersByTimeAsync(50);
      const err = await settled;
      expect(err).toBeInstanceOf(BroadcastTimeoutError);
      expect((err as BroadcastTimeoutError).responses).toEqual(["A"]);
    });
  });

  describe("socket operations", () => {
    it("allSockets() honours rooms and except", async () => {
      const { op } = setup();
      expect([...(await op.allSockets())]).toEqual(["a", "b", "c", "d", "e"]);
      expect([...(await op.to(["r1", "r2"]).allSockets())]).toEqual(["a", "b", "c"]);
      expect([...(await op.to(["r1", "r2"]).except("b").allSockets())]).toEqual(["a", "c"]);
      expect([...(await op.except(["r1", "r3"]).allSockets())]).toEqual(["c", "e"]);
    });

    it("fetchSockets() returns snapshots of the targets", async () => {
      const { op, b } = setup();
      const found = await op.in("r2").except("c").fetchSockets();
      expect(found.length).toBe(1);
      const remote = found[0]!;
      expect(remote).toBeInstanceOf(RemoteSocket);
      expect(remote.id).toBe("b");
      expect(remote.handshake).toBe(b.handshake);
      expect(remote.data).toEqual({ name: "user-b" });
      expect([...remote.rooms]).toEqual(["b", "r1", "r2"]);
      b.leave("r1");
      expect([...remote.rooms]).toEqual(["b", "r1", "r2"]);
    });

    it("types fetched data with SocketData", async () => {
      const nsp = new FakeNamespace();
      nsp.connect("a");
      const found = await new BroadcastOperator<Record<string, never>, { name: string }>(nsp.adapter).fetchSockets();
      expectTypeOf(found[0]!.data).toEqualTypeOf<{ name: string }>();
    });

    it("socketsJoin() and socketsLeave() honour rooms and except", () => {
      const { op, nsp } = setup();
      op.in("r2").except("b").socketsJoin(["x", "y"]);
      expect([...(nsp.adapter.rooms.get("x") ?? [])]).toEqual(["c"]);
      op.except("r1").socketsJoin("x");
      expect([...(nsp.adapter.rooms.get("x") ?? [])]).toEqual(["c", "d", "e"]);
      op.in("x").except("d").socketsLeave(["x", "y"]);
      expect([...(nsp.adapter.rooms.get("x") ?? [])]).toEqual(["d"]);
      expect(nsp.adapter.rooms.has("y")).toBe(false);
      op.socketsLeave("x");
      expect(nsp.adapter.rooms.has("x")).toBe(false);
    });

    it("disconnectSockets() honours rooms and except, close defaults to false", () => {
      const { op, a, b, c, d, e } = setup();
      op.in("r1").except("b").disconnectSockets();
      expect(a.closedWith).toBe(false);
      expect(b.closedWith).toBeUndefined();
      op.except("e").disconnectSockets(true);
      expect([b.closedWith, c.closedWith, d.closedWith, e.closedWith]).toEqual([true, true, true, undefined]);
    });
  });
});

describe("RemoteSocket", () => {
  async function fetchOne(op: BroadcastOperator, id: string): Promise<RemoteSocket> {
    const [remote] = await op.in(id).fetchSockets();
    if (remote === undefined) throw new Error(`no socket ${id}`);
    return remote;
  }

  it("emits to its socket only", async () => {
    const { op, all } = setup();
    const remote = await fetchOne(op, "c");
    remote.emit("hi", 1);
    expect(receivers(all)).toEqual(["c"]);
    expect(texts(all[2]!)).toEqual(['2/chat,["hi",1]']);
  });

  it("passes a single response to an ack callback", async () => {
    const { op, c } = setup();
    const remote = await fetchOne(op, "c");
    const { calls, cb } = outcome();
    remote.emit("q", cb);
    c.answer(c.lastAckId(), "pong");
    await flushMicrotasks();
    expect(calls).toEqual([[null, "pong"]]);
  });

  it("timeout() gives (err, null) when the socket does not answer in time", async () => {
    const { op } = setup();
    const remote = await fetchOne(op, "c");
    vi.useFakeTimers();
    const { calls, cb } = outcome();
    remote.timeout(10).emit("q", cb);
    vi.advanceTimersByTime(10);
    expect(calls.length).toBe(1);
    expect(calls[0]![0]?.message).toBe("operation has timed out");
    expect(calls[0]![1]).toBeNull();
  });

  it("timeout().emitWithAck() resolves the single response", async () => {
    const { op, c } = setup();
    const remote = await fetchOne(op, "c");
    const pending = remote.timeout(1000).emitWithAck("q");
    c.answer(c.lastAckId(), "pong");
    expect(await pending).toBe("pong");
  });

  it("join(), leave() and disconnect() act on the live socket", async () => {
    const { op, nsp, c } = setup();
    const remote = await fetchOne(op, "c");
    remote.join(["x", "y"]);
    expect(nsp.adapter.socketRooms("c")).toEqual(new Set(["c", "r2", "x", "y"]));
    remote.leave("x");
    remote.leave(["y", "r2"]);
    expect(nsp.adapter.socketRooms("c")).toEqual(new Set(["c"]));
    expect(remote.disconnect()).toBe(remote);
    expect(c.closedWith).toBe(false);
    expect(nsp.sockets.has("c")).toBe(false);
  });
});
