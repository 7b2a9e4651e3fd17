/**
 * The official clients over HTTP long-polling: socket.io-client with DEFAULT options (polling,
 * then upgrade), a polling-only client, a room mixing both kinds, and engine.io-client against
 * a bare EngineServer.
 */
import { once } from "node:events";
import { Socket as EioClient } from "engine.io-client";
import { io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineSocket } from "../../src/transport/index.ts";
import {
  cleanup,
  connectPair,
  connectRecorded,
  onCleanup,
  serverSocket,
  startServer,
  waitFor,
  whenConnected,
  type Ack,
  type ClientOpts,
  type ClientSocket,
} from "../support/harness.ts";
import { cleanup as cleanupEngine, startServer as startEngine } from "../transport/helpers.ts";
import { PollingClient } from "./helpers.ts";

afterEach(async () => {
  await cleanup();
  await cleanupEngine();
});

/** socket.io-client exactly as an application would create it: no transports option. */
function defaultClient(url: string, opts: ClientOpts = {}): ClientSocket {
  const client = ioc(url, { forceNew: true, reconnection: false, ...opts });
  onCleanup(() => {
    client.disconnect();
  });
  return client;
}

const POLLING_ONLY = { transports: ["polling"] } as const satisfies ClientOpts;

describe("socket.io-client with default options", () => {
  it("connects over polling, then upgrades to websocket; both ends agree", async () => {
    const { io, url } = await startServer();
    const serverTransports: string[] = [];
    const upgraded = new Promise<void>((resolve) => {
      io.on("connection", (socket) => {
        serverTransports.push(socket.conn.transport.name);
        socket.conn.once("upgrade", (t: { name: string }) => {
          serverTransports.push(t.name);
          resolve();
        });
      });
    });
    const client = defaultClient(url());
    const engine = client.io.engine;
    const clientTransports = [engine.transport.name];
    engine.on("upgrade", (t: { name: string }) => clientTransports.push(t.name));
    await whenConnected(client);
    await upgraded;
    expect(clientTransports).toEqual(["polling", "websocket"]);
    expect(serverTransports).toEqual(["polling", "websocket"]);
    expect(io.engine.clientsCount).toBe(1);
  });

  it("exchanges events, acks and binary both ways", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.on("echo", (...args: unknown[]) => {
        const ack = args.pop() as Ack;
        ack(...args);
      });
    });
    const client = defaultClient(url());
    await whenConnected(client);
    const server = serverSocket(io.of("/"), client.id);
    expect(await client.emitWithAck("echo", "text", 1, { a: [true] })).toBe("text");
    const bin = await client.emitWithAck("echo", Buffer.from([1, 2, 3]));
    expect(Buffer.from(bin as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
    client.on("ask", (n: number, ack: Ack) => ack(n * 2, Buffer.from([n])));
    const [doubled, buf] = (await new Promise<unknown[]>((resolve) => {
      server.emit("ask", 21, (...answer: unknown[]) => resolve(answer));
    })) as [number, Buffer];
    expect(doubled).toBe(42);
    expect(Buffer.from(buf)).toEqual(Buffer.from([21]));
    const got = waitFor(client, "bytes");
    server.emit("bytes", Buffer.from([9, 9]), "tail");
    const [data, tail] = await got;
    expect(Buffer.from(data as Uint8Array)).toEqual(Buffer.from([9, 9]));
    expect(tail).toBe("tail");
  });
});

describe("a polling-only client", () => {
  it("exchanges events, acks and binary without ever upgrading", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.on("echo", (...args: unknown[]) => {
        const ack = args.pop() as Ack;
        ack(...args);
      });
    });
    const { client, server } = await connectPair(io.of("/"), url(), POLLING_ONLY);
    expect(await client.emitWithAck("echo", "hello", { n: 1 })).toBe("hello");
    for (let i = 0; i < 5; i++) {
      const back = await client.emitWithAck("echo", Buffer.from([i, 255]));
      expect(Buffer.from(back as Uint8Array)).toEqual(Buffer.from([i, 255]));
    }
    const [answer] = (await new Promise<unknown[]>((resolve) => {
      client.once("q", (ack: Ack) => ack("a"));
      server.emit("q", (...args: unknown[]) => resolve(args));
    })) as [string];
    expect(answer).toBe("a");
    expect(server.conn.transport.name).toBe("polling");
    expect(client.io.engine.transport.name).toBe("polling");
  });

  it("sees a server-side disconnect as 'io server disconnect' (the last packets reach it over polling)", async () => {
    const { io, url } = await startServer();
    const { client, server } = await connectPair(io.of("/"), url(), POLLING_ONLY);
    const reason = waitFor(client, "disconnect");
    server.emit("bye", "now");
    server.disconnect(true);
    const [why] = await reason;
    expect(why).toBe("io server disconnect");
  });
});

describe("rooms mixing polling and websocket clients", () => {
  it("a room broadcast reaches polling-only, upgraded and websocket-only members exactly once", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const polling = await connectRecorded(url(), POLLING_ONLY);
    const upgraded = await connectRecorded(url(), { transports: ["polling", "websocket"] });
    const websocket = await connectRecorded(url(), { transports: ["websocket"] });
    const outsider = await connectRecorded(url(), POLLING_ONLY);
    for (const member of [polling, upgraded, websocket]) await serverSocket(nsp, member.client.id).join("room");
    expect(serverSocket(nsp, polling.client.id).conn.transport.name).toBe("polling");
    expect(serverSocket(nsp, websocket.client.id).conn.transport.name).toBe("websocket");

    io.to("room").emit("news", "text", Buffer.from([1, 2]));
    io.to("room").emit("news", "second", Buffer.from([3]));
    io.emit("marker");
    for (const member of [polling, upgraded, websocket]) {
      const events = await member.rec.until("marker");
      expect(events.map((e) => [e[0], e[1], Buffer.from(e[2] as Uint8Array)])).toEqual([
        ["news", "text", Buffer.from([1, 2])],
        ["news", "second", Buffer.from([3])],
      ]);
    }
    expect(await outsider.rec.until("marker")).toEqual([]);
  });

  it("a volatile broadcast is dropped for a polling session with no GET pending, delivered to the others", async () => {
    const { io, port, url } = await startServer();
    const ws = await connectRecorded(url(), { transports: ["websocket"] });
    const raw = new PollingClient(port, "/socket.io/");
    await raw.handshake();
    await raw.post("40");
    expect((await raw.get()).body.startsWith("40")).toBe(true);
    // No GET pending now: the raw session is not writable.
    io.volatile.emit("volatile", 1);
    io.emit("marker");
    expect((await ws.rec.until("marker")).map((e) => e[0])).toEqual(["volatile"]);
    expect((await raw.get()).body).toBe('42["marker"]');
  });
});

describe("engine.io-client against a bare EngineServer", () => {
  it("opens over polling with default options, upgrades, and echoes text and binary", async () => {
    const fx = await startEngine();
    fx.engine.on("connection", (socket: EngineSocket) => socket.on("message", (m) => socket.send(m)));
    const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
    const client = new EioClient(`http://127.0.0.1:${fx.port}`, { path: "/engine.io/" });
    onCleanup(() => {
      client.close();
    });
    const transports: string[] = [];
    const upgraded = new Promise<void>((resolve) => {
      client.on("upgrade", (t: { name: string }) => {
        transports.push(t.name);
        resolve();
      });
    });
    await waitFor(client, "open");
    transports.unshift(client.transport.name);
    const [socket] = await connection;
    expect(fx.engine.clientsCount).toBe(1);
    const text = waitFor(client, "message");
    client.send("over polling or websocket");
    expect((await text)[0]).toBe("over polling or websocket");
    await upgraded;
    expect(transports).toEqual(["polling", "websocket"]);
    expect(socket.transport.name).toBe("websocket");
    const binary = waitFor(client, "message");
    client.send(Buffer.from([1, 2, 3]));
    expect(Buffer.from((await binary)[0] as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
  });
});
