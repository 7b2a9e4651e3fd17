/**
 * The session's flush of a lone packet (one packet queued in the tick, no send callback, no
 * `flush` listener) goes to the transport without a list: the usual case of a broadcast
 * recipient. These tests pin what must not change around that shortcut: order with a second
 * packet, callbacks, a `flush` listener added later, one write per flush, shared frames.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SharedMessage } from "../../src/transport/frame.ts";
import type { EnginePacket } from "../../src/transport/index.ts";
import { cleanup, connect, startServer } from "./helpers.ts";
import { connectSpied } from "./spied-connection.ts";

afterEach(cleanup);

describe("a session's lone packet per tick", () => {
  it("is written with one write, a text message as one chunk", async () => {
    const fx = await startServer();
    const { client, socket, calls } = await connectSpied(fx, "text");
    socket.send("only");
    expect(await client.nextText()).toBe("4only");
    expect(calls).toEqual(["write"]);
  });

  it("[EIO4:websocket-framing] is written with one writev when it is binary (frame header, then the caller's bytes)", async () => {
    const fx = await startServer();
    const { client, socket, calls } = await connectSpied(fx, "binary");
    const bytes = Buffer.from([1, 2, 3, 4]);
    socket.send(bytes);
    const frame = await client.next();
    expect(frame).toEqual({ data: bytes, isBinary: true });
    expect(calls).toEqual(["writev:2"]);
  });

  it("and a second packet queued in the same tick go out together, in order, with one writev", async () => {
    const fx = await startServer();
    const { client, socket, calls } = await connectSpied(fx, "two");
    const shared = new SharedMessage('2["news",1]', { compress: true });
    socket.sendShared(shared);
    socket.send("own");
    expect(await client.nextText()).toBe('42["news",1]');
    expect(await client.nextText()).toBe("4own");
    expect(calls).toEqual(["writev:2"]);
  });

  it("writes a broadcast's shared frame to each recipient, tick after tick", async () => {
    const fx = await startServer();
    const first = await connect(fx);
    const second = await connect(fx);
    for (let i = 0; i < 3; i++) {
      const shared = new SharedMessage(`2["tick",${i}]`, { compress: true });
      first.socket.sendShared(shared);
      second.socket.sendShared(shared);
      expect(await first.client.nextText()).toBe(`42["tick",${i}]`);
      expect(await second.client.nextText()).toBe(`42["tick",${i}]`);
    }
  });

  it("with a send callback still calls it once written, then emits drain", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const order: string[] = [];
    const drained = new Promise<void>((resolve) => socket.once("drain", resolve));
    socket.send("a", () => order.push("cb a"));
    await drained;
    order.push("drain");
    expect(order).toEqual(["cb a", "drain"]);
    expect(await client.nextText()).toBe("4a");
  });

  it("reaches a `flush` listener added after earlier lone packets went out without one", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    socket.send("before");
    expect(await client.nextText()).toBe("4before");
    const flushed: EnginePacket[][] = [];
    socket.on("flush", (packets) => flushed.push([...packets]));
    socket.sendShared(new SharedMessage("after", { compress: true }));
    expect(await client.nextText()).toBe("4after");
    expect(flushed).toHaveLength(1);
    expect(flushed[0]?.map((p) => p.data)).toEqual(["after"]);
  });

  it("goes out over a transport without sendOne (polling), in the next response", async () => {
    const fx = await startServer({ transports: ["polling"] });
    const connection = new Promise<void>((resolve) => {
      fx.engine.once("connection", (socket) => {
        socket.send("polled");
        resolve();
      });
    });
    const open = await fetch(`http://127.0.0.1:${fx.port}/engine.io/?EIO=4&transport=polling`);
    const sid = (JSON.parse((await open.text()).slice(1)) as { sid: string }).sid;
    await connection;
    const poll = await fetch(`http://127.0.0.1:${fx.port}/engine.io/?EIO=4&transport=polling&sid=${sid}`);
    expect(await poll.text()).toBe("4polled");
  });
});
