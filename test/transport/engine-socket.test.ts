import type { Duplex } from "node:stream";
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { EnginePacket, EngineSocket } from "../../src/transport/index.ts";
import { cleanup, closeReason, connect, startServer } from "./helpers.ts";
import type { Fixture } from "./helpers.ts";

afterEach(cleanup);

/** Echoes every message back, text as text and binary as binary. */
function echo(fx: Fixture): void {
  fx.engine.on("connection", (socket: EngineSocket) => {
    socket.on("message", (data) => socket.send(data));
  });
}

describe("EngineSocket messages", () => {
  it("[EIO4:message] echoes a text message", async () => {
    const fx = await startServer();
    echo(fx);
    const { client } = await connect(fx);
    client.send("4hello é 🎉");
    expect(await client.next()).toEqual({ data: "4hello é 🎉", isBinary: false });
  });

  it("[EIO4:message] delivers an empty text message as an empty string", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const received = new Promise((resolve) => socket.once("message", resolve));
    client.send("4");
    expect(await received).toBe("");
  });

  it("[EIO4:websocket-framing] echoes a binary message as a Buffer in a binary frame", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const received = new Promise<string | Buffer>((resolve) => socket.once("message", resolve));
    socket.on("message", (data) => socket.send(data));
    const payload = Buffer.from([0, 1, 2, 250, 255]);
    client.send(payload);
    const data = await received;
    expect(Buffer.isBuffer(data)).toBe(true);
    expect(data).toEqual(payload);
    const frame = await client.next();
    expect(frame.isBinary).toBe(true);
    expect(frame.data).toEqual(payload);
  });

  it("emits packet for every incoming packet and packetCreate for every outgoing one", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const created: EnginePacket[] = [];
    socket.on("packetCreate", (p) => created.push(p));
    const packet = new Promise<EnginePacket>((resolve) => socket.once("packet", resolve));
    client.send("4abc");
    expect(await packet).toEqual({ type: "message", data: "abc" });
    socket.send("xyz");
    expect(created).toEqual([{ type: "message", data: "xyz", options: { compress: true } }]);
    expect(await client.nextText()).toBe("4xyz");
  });

  it("calls the send callback once written, then emits drain", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const order: string[] = [];
    const drained = new Promise<void>((resolve) => socket.once("drain", resolve));
    socket.send("a", () => order.push("cb a"));
    socket.send("b", { compress: false }, () => order.push("cb b"));
    socket.once("flush", (packets) => order.push(`flush ${packets.length}`));
    await drained;
    order.push("drain");
    expect(order).toEqual(["flush 2", "cb a", "cb b", "drain"]);
    expect(await client.nextText()).toBe("4a");
    expect(await client.nextText()).toBe("4b");
    expect(socket.writable).toBe(true);
  });

  it("delivers many sends of one tick in order, in a single write to the socket", async () => {
    const fx = await startServer();
    // The raw socket of each upgrade, as the http server hands it out.
    const rawSockets = new Map<string, Duplex>();
    fx.http.on("upgrade", (req: IncomingMessage, socket: Duplex) => rawSockets.set(req.url ?? "", socket));
    const url = fx.wsUrl("EIO=4&transport=websocket&t=batch");
    const { client, socket } = await connect(fx, url);
    const raw = rawSockets.get("/engine.io/?EIO=4&transport=websocket&t=batch");
    if (raw === undefined) throw new Error("raw socket not captured");

    const calls: string[] = [];
    const originalWrite = raw._write.bind(raw);
    const originalWritev = raw._writev?.bind(raw);
    raw._write = (chunk, encoding, cb) => {
      calls.push("write");
      originalWrite(chunk, encoding, cb);
    };
    if (originalWritev !== undefined) {
      raw._writev = (chunks, cb) => {
        calls.push(`writev:${chunks.length}`);
        originalWritev(chunks, cb);
      };
    }

    const N = 100;
    socket.once("message", () => {
      for (let i = 0; i < N; i++) socket.send(`m${i}`);
    });
    client.send("4go");
    const received: string[] = [];
    for (let i = 0; i < N; i++) received.push(await client.nextText());
    expect(received).toEqual(Array.from({ length: N }, (_, i) => `4m${i}`));
    // One frame = header + payload chunks, all handed to the kernel by one writev.
    expect(calls).toHaveLength(1);
    expect(calls[0]?.startsWith("writev:")).toBe(true);
  });
});

describe("EngineSocket heartbeat", () => {
  it("[EIO4:heartbeat] stays open across several ping/pong rounds", async () => {
    // A generous timeout: the point is that pongs keep the session alive, not how fast.
    const fx = await startServer({ pingInterval: 20, pingTimeout: 5000 });
    const { client, socket } = await connect(fx);
    let closed = false;
    socket.on("close", () => {
      closed = true;
    });
    let pings = 0;
    client.ws.on("message", (data) => {
      if (data.toString() === "2") {
        pings++;
        client.send("3");
      }
    });
    let heartbeats = 0;
    await new Promise<void>((resolve) => {
      socket.on("heartbeat", () => {
        heartbeats++;
        if (heartbeats === 4) resolve();
      });
    });
    expect(pings).toBeGreaterThanOrEqual(4);
    expect(closed).toBe(false);
    expect(socket.readyState).toBe("open");
  });

  it("[EIO4:heartbeat] closes with 'ping timeout' when no pong comes, and closes the client", async () => {
    const fx = await startServer({ pingInterval: 20, pingTimeout: 20 });
    const { client, socket } = await connect(fx);
    const reason = closeReason(socket);
    expect(await client.nextText()).toBe("2");
    expect(await reason).toBe("ping timeout");
    await client.closed;
    expect(fx.engine.clientsCount).toBe(0);
  });

  it("[EIO4:heartbeat] answers a client ping with a pong carrying the same data", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const heartbeat = new Promise<void>((resolve) => socket.once("heartbeat", resolve));
    client.send("2probe");
    expect(await client.nextText()).toBe("3probe");
    await heartbeat;
  });
});

describe("EngineSocket close", () => {
  it("[EIO4:close] closes with 'transport close' on a client close packet", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const reason = closeReason(socket);
    client.send("1");
    expect(await reason).toBe("transport close");
    await client.closed;
    expect(fx.engine.clientsCount).toBe(0);
  });

  it("closes with 'transport close' when the client closes the WebSocket", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const reason = closeReason(socket);
    client.ws.close();
    expect(await reason).toBe("transport close");
  });

  it.each([
    ["an unknown packet type", "9hello"],
    ["an empty frame", ""],
    ["an open packet from the client", '0{"sid":"x"}'],
  ])("[EIO4:parse-error] closes with 'parse error' on %s, other clients unaffected", async (_name, frame) => {
    const fx = await startServer();
    echo(fx);
    const bad = await connect(fx);
    const good = await connect(fx);
    const reason = closeReason(bad.socket);
    bad.client.send(frame);
    expect(await reason).toBe("parse error");
    await bad.client.closed;
    good.client.send("4still here");
    expect(await good.client.nextText()).toBe("4still here");
    expect(fx.engine.clientsCount).toBe(1);
  });

  it("ignores upgrade and noop packets on an open websocket session", async () => {
    const fx = await startServer();
    echo(fx);
    const { client, socket } = await connect(fx);
    client.send("5");
    client.send("6");
    client.send("4after");
    expect(await client.nextText()).toBe("4after");
    expect(socket.readyState).toBe("open");
  });

  it("[EIO4:max-payload] closes with 'transport error' above maxHttpBufferSize, other clients unaffected", async () => {
    const fx = await startServer({ maxHttpBufferSize: 100 });
    echo(fx);
    const big = await connect(fx);
    const small = await connect(fx);
    const reason = closeReason(big.socket);
    const errors: Error[] = [];
    big.socket.on("error", (err) => errors.push(err));
    big.client.send(`4${"x".repeat(200)}`);
    expect(await reason).toBe("transport error");
    const [code] = await big.client.closed;
    expect(code).toBe(1009);
    expect(errors).toHaveLength(1);
    // Exactly at the limit is still fine.
    small.client.send(`4${"y".repeat(99)}`);
    expect(await small.client.nextText()).toBe(`4${"y".repeat(99)}`);
  });

  it("close() flushes what is buffered, then closes with 'forced close' exactly once", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const reasons: string[] = [];
    socket.on("close", (reason) => reasons.push(reason));
    socket.send("last words");
    socket.close();
    socket.close();
    expect(reasons).toEqual(["forced close"]);
    expect(socket.readyState).toBe("closed");
    expect(socket.writable).toBe(false);
    // Dropped silently.
    expect(() => socket.send("too late")).not.toThrow();
    expect(await client.nextText()).toBe("4last words");
    await client.closed;
    expect(reasons).toEqual(["forced close"]);
    expect(fx.engine.clientsCount).toBe(0);
  });

  it("close(true) discards what is buffered", async () => {
    const fx = await startServer();
    const { client, socket } = await connect(fx);
    const frames: string[] = [];
    client.ws.on("message", (data) => frames.push(data.toString()));
    socket.send("dropped");
    socket.close(true);
    await client.closed;
    expect(frames).toEqual([]);
  });

  it("EngineServer.close() closes every session with 'server shutting down'", async () => {
    const fx = await startServer();
    const a = await connect(fx);
    const b = await connect(fx);
    const reasons = Promise.all([closeReason(a.socket), closeReason(b.socket)]);
    fx.engine.close();
    expect(await reasons).toEqual(["server shutting down", "server shutting down"]);
    await Promise.all([a.client.closed, b.client.closed]);
    expect(fx.engine.clientsCount).toBe(0);
    // Idempotent.
    expect(() => fx.engine.close()).not.toThrow();
  });
});

describe("EngineSocket with permessage-deflate", () => {
  it("keeps order and calls callbacks when ws compresses asynchronously", async () => {
    const fx = await startServer({ perMessageDeflate: { threshold: 0 } });
    const { client, socket } = await connect(fx);
    const big = "z".repeat(5000);
    let callbacks = 0;
    const drained = new Promise<void>((resolve) => socket.once("drain", resolve));
    for (let i = 0; i < 20; i++) socket.send(`${i}:${big}`, () => callbacks++);
    socket.send(`uncompressed`, { compress: false });
    for (let i = 0; i < 20; i++) expect(await client.nextText()).toBe(`4${i}:${big}`);
    expect(await client.nextText()).toBe("4uncompressed");
    await drained;
    expect(callbacks).toBe(20);
    expect(client.ws.extensions).toContain("permessage-deflate");
  });
});
