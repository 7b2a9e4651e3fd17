/**
 * HTTP long-polling wire rules over raw HTTP: payload framing both ways, the long poll, one GET
 * at a time, the client's close, server closes, send callbacks and the write-buffer bound.
 */
import { once } from "node:events";
import http from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TransportFailure } from "../../src/transport/index.ts";
import type { EngineSocket } from "../../src/transport/index.ts";
import { cleanup, closeReason, startServer } from "../transport/helpers.ts";
import type { Fixture } from "../transport/helpers.ts";
import { pendingGet, PollingClient, requestTaken } from "./helpers.ts";

afterEach(async () => {
  vi.useRealTimers();
  await cleanup();
});

/** Handshakes a polling client and returns it with its server-side session. */
async function session(fx: Fixture): Promise<{ client: PollingClient; socket: EngineSocket }> {
  const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
  const client = new PollingClient(fx.port);
  await client.handshake();
  const [socket] = await connection;
  return { client, socket };
}


function echo(fx: Fixture): void {
  fx.engine.on("connection", (socket: EngineSocket) => socket.on("message", (data) => socket.send(data)));
}

describe("polling payloads", () => {
  it("[EIO4:polling-payload] a POSTed text message reaches the session; the GET returns the answer", async () => {
    const fx = await startServer();
    echo(fx);
    const { client, socket } = await session(fx);
    const received = new Promise((resolve) => socket.once("message", resolve));
    const post = await client.post("4hello é 🎉");
    expect(post.status).toBe(200);
    expect(post.body).toBe("ok");
    expect(await received).toBe("hello é 🎉");
    const get = await client.get();
    expect(get.status).toBe(200);
    expect(get.headers["content-type"]).toBe("text/plain; charset=UTF-8");
    expect(get.body).toBe("4hello é 🎉");
  });

  it("[EIO4:polling-payload] binary travels as b + base64, both ways, and arrives as a Buffer", async () => {
    const fx = await startServer();
    echo(fx);
    const { client, socket } = await session(fx);
    const received = new Promise<string | Buffer>((resolve) => socket.once("message", resolve));
    await client.post("bAQIDBA==");
    const data = await received;
    expect(Buffer.isBuffer(data)).toBe(true);
    expect(data).toEqual(Buffer.from([1, 2, 3, 4]));
    expect((await client.get()).body).toBe("bAQIDBA==");
  });

  it("[EIO4:polling-payload] several packets in one POST are delivered in order; several sends share one GET", async () => {
    const fx = await startServer();
    echo(fx);
    const { client, socket } = await session(fx);
    const messages: Array<string | Buffer> = [];
    const three = new Promise<void>((resolve) => {
      socket.on("message", (m) => {
        messages.push(m);
        if (messages.length === 3) resolve();
      });
    });
    await client.post("4hello\x1ebAQIDBA==\x1e4world");
    await three;
    expect(messages).toEqual(["hello", Buffer.from([1, 2, 3, 4]), "world"]);
    expect((await client.get()).body).toBe("4hello\x1ebAQIDBA==\x1e4world");
  });

  it("[EIO4:polling-payload] holds a GET until the session has something to send", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const { response: get } = await pendingGet(fx.engine, client);
    expect(socket.writable).toBe(true);
    socket.send("late");
    socket.send(Buffer.from([255]));
    expect((await get).body).toBe("4late\x1eb/w==");
    expect(socket.writable).toBe(false);
  });

  it("[EIO4:polling-handshake] the handshake response holds only the open packet, whatever the connection listener sends", async () => {
    const fx = await startServer();
    fx.engine.on("connection", (socket: EngineSocket) => socket.send("welcome"));
    const client = new PollingClient(fx.port);
    const res = await client.handshake();
    expect(res.body.startsWith('0{"sid":')).toBe(true);
    expect(res.body.includes("\x1e")).toBe(false);
    expect((await client.get()).body).toBe("4welcome");
  });

  it("calls send callbacks once the GET carrying the message has been written", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const written = new Promise<void>((resolve) => socket.send("x", resolve));
    const get = await client.get();
    await written;
    expect(get.body).toBe("4x");
  });

  it("answers a POST with an empty message and a long UTF-8 text exactly", async () => {
    const fx = await startServer();
    echo(fx);
    const { client } = await session(fx);
    const long = "ü".repeat(5000);
    await client.post(`4\x1e4${long}`);
    // httpCompression is on by default but this client sends no Accept-Encoding.
    expect((await client.get()).body).toBe(`4\x1e4${long}`);
  });
});

describe("one GET at a time", () => {
  it("[EIO4:polling-overlap] a second concurrent GET gets 400 and closes the session; the first gets the close packet", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const reason = new Promise<[string, unknown]>((resolve) => socket.once("close", (r, d) => resolve([r, d])));
    const { response: first } = await pendingGet(fx.engine, client);
    const second = await client.get();
    expect(second.status).toBe(400);
    expect(second.body).toBe('{"code":3,"message":"Bad request"}');
    expect((await first).body).toBe("1");
    const [why, description] = await reason;
    expect(why).toBe("transport error");
    expect(description).toBeInstanceOf(TransportFailure);
    expect((description as TransportFailure).code).toBe("ROOMCAST_ERR_POLL_OVERLAP");
    expect((await client.get()).status).toBe(400);
    expect(fx.engine.clientsCount).toBe(0);
  });

  it("a pending GET whose connection is dropped closes the session with 'transport error'", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const reason = closeReason(socket);
    const taken = requestTaken(fx.engine, (req) => req.method === "GET");
    const req = http.request({ host: "127.0.0.1", port: fx.port, path: client.url(), agent: false });
    req.on("error", () => {});
    req.end();
    await taken;
    req.destroy();
    expect(await reason).toBe("transport error");
  });
});

describe("closing over polling", () => {
  it("[EIO4:close] honours the client's close packet: the pending GET gets a noop, later requests 400", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const reason = closeReason(socket);
    const { response: get } = await pendingGet(fx.engine, client);
    const post = await client.post("1");
    expect(post.status).toBe(200);
    const pending = await get;
    expect(pending.status).toBe(200);
    expect(pending.body).toBe("6");
    expect(await reason).toBe("transport close");
    const after = await client.get();
    expect(after.status).toBe(400);
    expect(after.body).toBe('{"code":1,"message":"Session ID unknown"}');
    expect((await client.post("4late")).status).toBe(400);
  });

  it("delivers packets that precede the close packet in the same payload", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const messages: Array<string | Buffer> = [];
    socket.on("message", (m) => messages.push(m));
    const reason = closeReason(socket);
    await client.post("4a\x1e4b\x1e1\x1e4after-close");
    expect(await reason).toBe("transport close");
    expect(messages).toEqual(["a", "b"]);
  });

  it("[EIO4:close] a server close answers a pending GET with what is buffered, then the close packet alone", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const { response: get } = await pendingGet(fx.engine, client);
    const reason = closeReason(socket);
    socket.send("bye");
    socket.close();
    expect(await reason).toBe("forced close");
    expect((await get).body).toBe("4bye");
    expect((await client.get()).body).toBe("1");
    expect((await client.get()).status).toBe(400);
  });

  it("[EIO4:close] a server close with nothing buffered answers a pending GET with the close packet", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const { response: get } = await pendingGet(fx.engine, client);
    socket.close();
    expect((await get).body).toBe("1");
    expect((await client.get()).status).toBe(400);
  });

  it("[EIO4:close] a server close with no GET pending waits for the next GET to deliver the last packets and the close packet", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const reason = closeReason(socket);
    socket.send("last words");
    socket.close();
    expect(await reason).toBe("forced close");
    expect(fx.engine.clientsCount).toBe(0);
    // A POST racing the close is accepted (and dropped) so the client reads the close from its GET.
    expect((await client.post("4ignored")).status).toBe(200);
    expect((await client.get()).body).toBe("4last words");
    expect((await client.get()).body).toBe("1");
    expect((await client.get()).status).toBe(400);
  });

  it("a server-closed transport waits pingTimeout for the last GET, then gives up", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const fx = await startServer({ pingTimeout: 200 });
    const { client, socket } = await session(fx);
    socket.send("never read");
    socket.close();
    vi.advanceTimersByTime(200);
    const res = await client.get();
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":1,"message":"Session ID unknown"}');
  });

  it("close(true) drops what is buffered but still tells the client", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    socket.send("dropped");
    socket.close(true);
    expect((await client.get()).body).toBe("1");
  });

  it("EngineServer.close() answers a pending GET with the close packet", async () => {
    const fx = await startServer();
    const { client, socket } = await session(fx);
    const { response: get } = await pendingGet(fx.engine, client);
    const reason = closeReason(socket);
    fx.engine.close();
    expect(await reason).toBe("server shutting down");
    expect((await get).body).toBe("1");
  });
});

describe("[EIO4:buffer-bound] maxBufferedBytes", () => {
  it("closes a session whose queue outgrows the bound while no GET is pending, and only that one", async () => {
    const fx = await startServer({ maxBufferedBytes: 1000 });
    echo(fx);
    const slow = await session(fx);
    const good = await session(fx);
    const closed = new Promise<[string, unknown]>((resolve) => slow.socket.once("close", (r, d) => resolve([r, d])));
    slow.socket.send("a".repeat(600));
    expect(slow.socket.readyState).toBe("open");
    slow.socket.send("b".repeat(600));
    // Sends after the bound are dropped, not queued.
    slow.socket.send("c");
    const [reason, description] = await closed;
    expect(reason).toBe("transport error");
    expect(description).toBeInstanceOf(TransportFailure);
    expect((description as TransportFailure).code).toBe("ROOMCAST_ERR_BUFFER_FULL");
    expect((description as TransportFailure).message).toContain("maxBufferedBytes (1000)");
    expect((await slow.client.get()).status).toBe(400);
    await good.client.post("4fine");
    expect((await good.client.get()).body).toBe("4fine");
  });

  it("does not count a burst handed to a pending GET at once", async () => {
    const fx = await startServer({ maxBufferedBytes: 1000 });
    const { client, socket } = await session(fx);
    const { response: get } = await pendingGet(fx.engine, client);
    for (let i = 0; i < 10; i++) socket.send("x".repeat(500));
    const body = (await get).body;
    expect(body.split("\x1e")).toHaveLength(10);
    expect(socket.readyState).toBe("open");
  });
});
