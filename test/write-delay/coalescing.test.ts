/**
 * `writeDelay`: a session that has written in the current window holds what it sends next
 * until the window ends, then writes it all at once. Checked by what the session hands its
 * transport (its `flush` events, one corked write each) and what a raw client reads, never by
 * time: the window is long (LONG_WINDOW_MS) so that a few turns always fit in it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connectPair, startServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { LONG_WINDOW_MS, QUIET_HEARTBEAT, rawPair, turn, writes } from "./support.ts";

afterEach(cleanup);

const K = 5;

/** Emits `e` 0..K, one per turn, then `end`; returns the session's writes after each turn. */
async function emitOnePerTurn(server: ServerSocket, log: number[]): Promise<number[][]> {
  const seen: number[][] = [];
  for (let i = 0; i <= K; i++) {
    server.emit("e", i);
    await turn();
    seen.push([...log]);
  }
  server.emit("end");
  return seen;
}

describe("writeDelay coalesces writes", () => {
  it("writes the first packet after a quiet window at once, then holds the next ones and writes them in one write, one TCP read", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    const { client, server } = await rawPair(fx);
    // The CONNECT answer was a write: wait for its window to end so the session is quiet.
    await fx.io.engine.writeCoalescer?.idle();
    const log = writes(server);

    const seen = await emitOnePerTurn(server, log);
    // e0 went out at the end of its tick; e1..eK wait for the window's end.
    expect(seen).toEqual(Array.from({ length: K + 1 }, () => [1]));
    await client.until("end");
    expect(log).toEqual([1, K + 1]);
    expect(client.events).toEqual([...Array.from({ length: K + 1 }, (_, i) => ["e", i]), ["end"]]);
    // The held packets (e1..eK and end) arrived in one TCP read, after e0's.
    const heldReads = new Set(client.eventReads.slice(1));
    expect(heldReads.size).toBe(1);
    expect([...heldReads][0]).toBeGreaterThan(client.eventReads[0] as number);
    client.check();
  });

  it("without writeDelay the same emits are one write each (what the test above tells apart)", async () => {
    const fx = await startServer({ ...QUIET_HEARTBEAT });
    expect(fx.io.engine.writeCoalescer).toBeNull();
    const { client, server } = await rawPair(fx);
    const log = writes(server);
    const seen = await emitOnePerTurn(server, log);
    expect(seen).toEqual(Array.from({ length: K + 1 }, (_, i) => Array.from({ length: i + 1 }, () => 1)));
    await client.until("end");
    expect(log).toEqual(Array.from({ length: K + 2 }, () => 1));
  });

  it("coalesces a broadcast's recipients alike: N broadcasts in N ticks reach each member in one write", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    const pairs = [await rawPair(fx), await rawPair(fx), await rawPair(fx)];
    for (const { server } of pairs) server.join("room");
    await fx.io.engine.writeCoalescer?.idle();
    const logs = pairs.map(({ server }) => writes(server));
    // The first broadcast goes out at once; it opens a window in which the next ones are held.
    for (let i = 0; i < K; i++) {
      fx.io.to("room").emit("b", i);
      await turn();
    }
    fx.io.to("room").emit("end");
    expect(fx.io.engine.writeCoalescer?.heldCount).toBe(pairs.length);
    for (const { client } of pairs) await client.until("end");
    for (const log of logs) expect(log).toEqual([1, K]);
    for (const { client } of pairs) expect(client.events).toEqual([...Array.from({ length: K }, (_, i) => ["b", i]), ["end"]]);
  });
});

describe("writeDelay keeps order and acks", () => {
  it("delivers each session's packets in order, and acks both ways are answered while packets are held", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    fx.io.on("connection", (socket: ServerSocket) => {
      socket.on("q", (x: number, ack: (y: number) => void) => ack(x + 1));
    });
    const { client, server } = await connectPair(fx.io, fx.url());
    await fx.io.engine.writeCoalescer?.idle();
    const log = writes(server);
    const got: unknown[][] = [];
    client.on("n", (i: number) => got.push(["n", i]));
    client.on("ask", (i: number, ack: (y: number) => void) => {
      got.push(["ask", i]);
      ack(i * 10);
    });

    const answers: Array<Promise<number>> = [];
    for (let i = 0; i < 12; i++) {
      if (i % 3 === 0) answers.push(server.timeout(10_000).emitWithAck("ask", i) as Promise<number>);
      else server.emit("n", i);
      await turn();
    }
    // Client → server acks: the server's answers are held like any packet.
    const replies = await Promise.all([client.timeout(10_000).emitWithAck("q", 1), client.timeout(10_000).emitWithAck("q", 2)]);
    expect(replies).toEqual([2, 3]);
    expect(await Promise.all(answers)).toEqual([0, 30, 60, 90]);
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => [i % 3 === 0 ? "ask" : "n", i]));
    // The first emit went at once, the next eleven were held and left in one write.
    // (The answers to "q" may join that write: they are queued in the same window.)
    expect(log[0]).toBe(1);
    expect(log[1]).toBeGreaterThanOrEqual(11);
  });
});

describe("writeDelay and [SIO5:volatile]", () => {
  it("queues volatile packets on a writable connection and holds them like the others, in order", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    const { client, server } = await rawPair(fx);
    await fx.io.engine.writeCoalescer?.idle();
    const log = writes(server);
    expect(server.conn.writable).toBe(true);
    server.emit("n", 0);
    await turn();
    server.volatile.emit("v", 1);
    await turn();
    server.emit("n", 2);
    await turn();
    server.volatile.emit("v", 3);
    await turn();
    expect(log).toEqual([1]);
    server.emit("end");
    await client.until("end");
    expect(log).toEqual([1, 4]);
    expect(client.events).toEqual([["n", 0], ["v", 1], ["n", 2], ["v", 3], ["end"]]);
  });
});

describe("writeDelay and metrics", () => {
  it("counts each held packet once", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, metrics: true, ...QUIET_HEARTBEAT });
    const { client, server } = await rawPair(fx);
    server.join("room");
    await fx.io.engine.writeCoalescer?.idle();
    const before = fx.io.metrics?.snapshot().eventsSent ?? Number.NaN;
    const log = writes(server);
    server.emit("a");
    await turn();
    fx.io.to("room").emit("b");
    await turn();
    fx.io.emit("c");
    await turn();
    server.emit("end");
    await client.until("end");
    expect(log).toEqual([1, 3]);
    expect((fx.io.metrics?.snapshot().eventsSent ?? Number.NaN) - before).toBe(4);
  });
});

/** Runs after the current tick's flushes (they were queued first), before any timer can run. */
function afterTickFlush(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/**
 * Keeps the event loop busy until more than `ms` have passed, as queuing a broadcast to a large
 * room does on a slow or loaded machine: a window that opened before can be over while its timer
 * has not run. This creates the condition under test; it synchronises nothing.
 */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() <= until) {
    // spin
  }
}

describe("writeDelay and a window whose timer is late", () => {
  it("does not hold packets for a window whose time ran out: writes them at once and holds the next ones in a fresh window", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    const { client, server } = await rawPair(fx);
    const coalescer = fx.io.engine.writeCoalescer;
    await coalescer?.idle();
    const log = writes(server);

    server.emit("e", 0);
    await turn();
    // e0 went out at once and opened a window.
    expect(log).toEqual([1]);
    expect(coalescer?.windowOpen).toBe(true);

    // e1 is queued in a tick that outlasts the window: when it flushes, the window is over.
    server.emit("e", 1);
    busyFor(LONG_WINDOW_MS + 20);
    await afterTickFlush();
    // Written at the end of its tick, not held until the late timer (no timer has run yet).
    expect(log).toEqual([1, 1]);
    expect(coalescer?.heldCount).toBe(0);
    // A fresh window opened after that write: what follows quickly is held again.
    expect(coalescer?.windowOpen).toBe(true);
    server.emit("e", 2);
    await afterTickFlush();
    expect(coalescer?.heldCount).toBe(1);
    server.emit("end");
    await client.until("end");
    expect(log).toEqual([1, 1, 2]);
    expect(client.events).toEqual([["e", 0], ["e", 1], ["e", 2], ["end"]]);
  });
});
