/**
 * The write buffer holds a lone packet without a list (a broadcast recipient's usual tick) and
 * turns into a list from the second packet on; either way `take` hands back every packet in
 * order, and `only` offers the lone packet only when nothing else (a callback) depends on it.
 */
import { describe, expect, it } from "vitest";
import { Outbox } from "../../src/transport/outbox.ts";
import type { EnginePacket } from "../../src/transport/transport.ts";

const a: EnginePacket = { type: "message", data: "a" };
const b: EnginePacket = { type: "message", data: "bb" };
const c: EnginePacket = { type: "ping" };

describe("Outbox", () => {
  it("offers a lone packet as `only`, and empties on takeOnly", () => {
    const outbox = new Outbox();
    expect(outbox.only).toBeNull();
    outbox.push(a, undefined);
    expect([outbox.length, outbox.bytes, outbox.only]).toEqual([1, 2, a]);
    outbox.takeOnly();
    expect([outbox.length, outbox.bytes, outbox.only]).toEqual([0, 0, null]);
    expect(outbox.take()).toEqual([]);
  });

  it("keeps a lone packet and the ones after it in order", () => {
    const outbox = new Outbox();
    outbox.push(a, undefined);
    outbox.push(b, undefined);
    expect(outbox.only).toBeNull();
    outbox.push(c, undefined);
    expect([outbox.length, outbox.bytes]).toEqual([3, 2 + 3 + 1]);
    const taken = outbox.take();
    expect(taken).toEqual([a, b, c]);
    expect(outbox.length).toBe(0);
    // The next tick starts over with a lone packet, and the taken list is the caller's own.
    outbox.push(b, undefined);
    expect(outbox.only).toBe(b);
    expect(outbox.take()).toEqual([b]);
    expect(taken).toEqual([a, b, c]);
  });

  it("takes a lone packet as a list of one", () => {
    const outbox = new Outbox();
    outbox.push(a, undefined);
    expect(outbox.take()).toEqual([a]);
    expect([outbox.length, outbox.bytes, outbox.only]).toEqual([0, 0, null]);
  });

  it("does not offer a lone packet that has a send callback: its callback is due on the drain", () => {
    const outbox = new Outbox();
    const calls: string[] = [];
    outbox.push(a, () => calls.push("a"));
    expect(outbox.only).toBeNull();
    expect(outbox.take()).toEqual([a]);
    expect(outbox.awaitingWrite).toBe(true);
    outbox.runWritten();
    expect(calls).toEqual(["a"]);
    expect(outbox.awaitingWrite).toBe(false);
  });

  it("clear drops a lone packet or a list alike", () => {
    const outbox = new Outbox();
    outbox.push(a, undefined);
    outbox.clear();
    expect([outbox.length, outbox.only]).toEqual([0, null]);
    outbox.push(a, undefined);
    outbox.push(b, undefined);
    outbox.clear();
    expect(outbox.take()).toEqual([]);
  });
});
