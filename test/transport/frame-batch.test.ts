/**
 * The broadcast fast path (src/transport/frame-batch.ts): a recipient with nothing else to
 * write in a tick waits in its message's batch and is written the shared frame at the end of
 * the tick. These tests pin what must hold around it: anything else the session is sent or
 * asked in the same tick (a second broadcast, an own packet, a close, a `flush` listener) takes
 * the message back in front, so order, "one write per socket per tick", the close and the
 * listener all see it; a socket that cannot take the frame at the pass gets it on its drain,
 * in order.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SharedMessage } from "../../src/transport/frame.ts";
import type { EnginePacket } from "../../src/transport/index.ts";
import { cleanup as cleanupSio, connectPair, startServer as startSio } from "../support/harness.ts";
import { stalledPair, turn } from "../backpressure/support.ts";
import { cleanup, connect, startServer } from "./helpers.ts";
import { connectSpied } from "./spied-connection.ts";

afterEach(cleanup);
afterEach(cleanupSio);

function shared(text: string): SharedMessage {
  return new SharedMessage(text, { compress: true });
}

describe("a broadcast recipient with nothing else to write this tick", () => {
  it("is written the shared frame alone, one write", async () => {
    const fx = await startServer();
    const { client, socket, calls } = await connectSpied(fx, "alone", turn);
    socket.sendShared(shared("one"));
    expect(await client.nextText()).toBe("4one");
    expect(calls).toEqual(["write"]);
  });

  it("gets ten broadcasts of one tick in order, with one writev", async () => {
    const fx = await startServer();
    const { client, socket, calls } = await connectSpied(fx, "ten", turn);
    for (let i = 0; i < 10; i++) socket.sendShared(shared(`b${i}`));
    for (let i = 0; i < 10; i++) expect(await client.nextText()).toBe(`4b${i}`);
    expect(calls).toEqual(["writev:10"]);
  });

  it("gets an own packet sent after the broadcast in the same tick after it, with one writev", async () => {
    const fx = await startServer();
    const { client, socket, calls } = await connectSpied(fx, "own", turn);
    socket.sendShared(shared("news"));
    socket.send("own");
    expect(await client.nextText()).toBe("4news");
    expect(await client.nextText()).toBe("4own");
    expect(calls).toEqual(["writev:2"]);
  });

  it("while other recipients of the same broadcast stay on the fast path", async () => {
    const fx = await startServer();
    const first = await connectSpied(fx, "first", turn);
    const second = await connectSpied(fx, "second", turn);
    const message = shared("both");
    first.socket.sendShared(message);
    second.socket.sendShared(message);
    second.socket.send("extra");
    expect(await first.client.nextText()).toBe("4both");
    expect(await second.client.nextText()).toBe("4both");
    expect(await second.client.nextText()).toBe("4extra");
    expect(first.calls).toEqual(["write"]);
    expect(second.calls).toEqual(["writev:2"]);
  });

  it("[EIO4:close] closed in the same tick: the broadcast goes out before the close frame", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    await turn();
    socket.sendShared(shared("last words"));
    socket.close();
    expect(await client.nextText()).toBe("4last words");
    await client.closed;
  });

  it("reaches a `flush` listener added in the same tick", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    await turn();
    socket.sendShared(shared("seen"));
    const flushed: EnginePacket[][] = [];
    socket.on("flush", (packets) => flushed.push([...packets]));
    expect(await client.nextText()).toBe("4seen");
    expect(flushed.map((packets) => packets.map((p) => p.data))).toEqual([["seen"]]);
  });

  it("keeps one write per tick, in order, the tick after a tick that took it off the fast path", async () => {
    const fx = await startServer();
    const { client, socket, calls } = await connectSpied(fx, "again", turn);
    socket.sendShared(shared("a"));
    socket.send("b");
    expect(await client.nextText()).toBe("4a");
    expect(await client.nextText()).toBe("4b");
    socket.sendShared(shared("c"));
    expect(await client.nextText()).toBe("4c");
    expect(calls).toEqual(["writev:2", "write"]);
  });
});

describe("a broadcast recipient whose socket cannot take the frame at the end of the tick", () => {
  it("gets it once the client reads again, in order with what it was sent next", async () => {
    const fx = await startSio({ pingInterval: 60_000, pingTimeout: 60_000 });
    const stalled = await stalledPair(fx);
    const reader = await connectPair(fx.io, fx.url());
    const payload = "z".repeat(64 * 1024);
    // Fill the stalled client's socket until it asks for a drain (bounded: the kernel's buffers
    // on loopback take a few MiB).
    let filled = 0;
    while (!stalled.serverRaw.writableNeedDrain && filled < 1024) {
      stalled.server.emit("fill", filled++, payload);
      await turn();
    }
    expect(stalled.serverRaw.writableNeedDrain).toBe(true);
    const heard = new Promise<unknown[]>((resolve) => reader.client.once("news", (...args: unknown[]) => resolve(args)));
    fx.io.emit("news", 1);
    // The reader got the broadcast from the same end-of-tick pass that found the stalled
    // client's socket full; only then is the stalled client sent something else.
    expect(await heard).toEqual([1]);
    stalled.server.emit("after", 2);
    const done = stalled.client.until("after");
    stalled.client.resume();
    await done;
    const tail = stalled.client.events.slice(filled);
    expect(tail).toEqual([["news", 1], ["after", 2]]);
    expect(stalled.client.events.slice(0, filled).map((e) => e[1])).toEqual(Array.from({ length: filled }, (_, i) => i));
  });
});
