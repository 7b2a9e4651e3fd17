/**
 * Public API behaviours apps rely on, checked against socket.io 4.8 side by side where the two
 * can be driven the same way: `socket.disconnected`, `socket.client.request`, `io.close(cb)`
 * errors and a restart after close, `connection_error` contexts (TRANSPORT_MISMATCH, numeric
 * protocol), `engine.generateId`, a connection without an HTTP request, "Illegal attachments".
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Server as SocketIoServer } from "socket.io";
import { io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { EngineSocket } from "../../src/transport/engine-socket.ts";
import type { EnginePacket, Transport, TransportSink } from "../../src/transport/transport.ts";
import { Server } from "../support/server.ts";
import { CLIENT_DEFAULTS, cleanup, closeHttp, connect, connectPair, listen, onCleanup, startServer, waitFor, whenConnected } from "../support/harness.ts";
import { PollingClient, request } from "../polling/helpers.ts";
import { RawClient } from "../support/raw.ts";

afterEach(cleanup);

interface ConnErr {
  code: number;
  context: Record<string, unknown>;
}

const implementations = [
  ["roomcast", (srv: http.Server) => new Server(srv)],
  ["socket.io", (srv: http.Server) => new SocketIoServer(srv)],
] as const;

async function start(make: (typeof implementations)[number][1]): Promise<{ io: ReturnType<typeof make>; port: number }> {
  const httpServer = http.createServer();
  const io = make(httpServer);
  const port = await listen(httpServer);
  onCleanup(async () => {
    await io.close();
    await closeHttp(httpServer);
  });
  return { io, port };
}

describe.each(implementations)("%s", (_name, make) => {
  it("socket.disconnected is true in middlewares, false once connected, true after the disconnect", async () => {
    const { io, port } = await start(make);
    const states: boolean[] = [];
    io.use((socket, next) => {
      states.push(socket.disconnected);
      next();
    });
    const serverSide = new Promise<{ disconnected: boolean; client: { request: http.IncomingMessage } }>((resolve) => {
      io.on("connection", (socket) => {
        states.push(socket.disconnected);
        resolve(socket);
      });
    });
    const client = ioc(`http://127.0.0.1:${port}`, { ...CLIENT_DEFAULTS, extraHeaders: { "x-probe": "yes" } });
    onCleanup(() => void client.disconnect());
    const socket = await serverSide;
    expect(socket.client.request.headers["x-probe"]).toBe("yes");
    const gone = waitFor(socket as unknown as { once(ev: string, fn: () => void): unknown }, "disconnect");
    client.disconnect();
    await gone;
    states.push(socket.disconnected);
    expect(states).toEqual([true, false, true]);
  });

  it("io.close(cb) on an http server that never listened passes ERR_SERVER_NOT_RUNNING", async () => {
    const io = make(http.createServer());
    const err = await new Promise<(Error & { code?: string }) | undefined>((resolve) => void io.close(resolve));
    expect(err?.code).toBe("ERR_SERVER_NOT_RUNNING");
  });

  it("can be attached again after close", async () => {
    const first = http.createServer();
    const io = make(first);
    await listen(first);
    await io.close();
    const second = http.createServer();
    io.listen(second);
    const port = await listen(second);
    onCleanup(async () => {
      await io.close();
      await closeHttp(second);
    });
    const client = connect(`http://127.0.0.1:${port}`);
    await whenConnected(client);
    expect(client.connected).toBe(true);
  });

  it("reports a polling request on a WebSocket session as TRANSPORT_MISMATCH", async () => {
    const { io, port } = await start(make);
    const errors: ConnErr[] = [];
    io.engine.on("connection_error", (err: ConnErr) => errors.push(err));
    const { raw, open } = await RawClient.open(port);
    onCleanup(() => raw.terminate());
    const res = await request(port, `/socket.io/?EIO=4&transport=polling&sid=${open.sid}`);
    expect(res.status).toBe(400);
    expect(errors[0]?.context).toMatchObject({ name: "TRANSPORT_MISMATCH", transport: "polling", previousTransport: "websocket" });
  });

  it("reports a plain HTTP websocket request on a polling session as TRANSPORT_MISMATCH", async () => {
    const { io, port } = await start(make);
    const errors: ConnErr[] = [];
    io.engine.on("connection_error", (err: ConnErr) => errors.push(err));
    const polling = new PollingClient(port, "/socket.io/");
    await polling.handshake();
    const res = await request(port, `/socket.io/?EIO=4&transport=websocket&sid=${polling.sid}`);
    expect(res.status).toBe(400);
    expect(errors[0]?.context).toMatchObject({ name: "TRANSPORT_MISMATCH", transport: "websocket", previousTransport: "polling" });
  });

  it("reports an Engine.IO v3 handshake with protocol as a number", async () => {
    const { io, port } = await start(make);
    const errors: ConnErr[] = [];
    io.engine.on("connection_error", (err: ConnErr) => errors.push(err));
    const res = await request(port, "/socket.io/?EIO=3&transport=polling");
    expect(JSON.parse(res.body)).toEqual({ code: 5, message: "Unsupported protocol version" });
    expect(errors[0]?.context.protocol).toBe(3);
  });

  it("takes session ids from an assigned engine.generateId, synchronous or not", async () => {
    const { io, port } = await start(make);
    let n = 0;
    io.engine.generateId = () => `custom-${++n}`;
    const a = new PollingClient(port, "/socket.io/");
    await a.handshake();
    expect(a.sid).toBe("custom-1");
    io.engine.generateId = () => Promise.resolve("async-id");
    const b = new PollingClient(port, "/socket.io/");
    await b.handshake();
    expect(b.sid).toBe("async-id");
  });
});

describe("roomcast only", () => {
  it("refuses a handshake whose generateId throws or gives an unusable id (400 ID_GENERATION_ERROR)", async () => {
    const { io, port } = await startServer();
    const errors: ConnErr[] = [];
    io.engine.on("connection_error", (err: ConnErr) => errors.push(err));
    io.engine.generateId = () => {
      throw new Error("no ids today");
    };
    expect((await request(port, "/socket.io/?EIO=4&transport=polling")).status).toBe(400);
    io.engine.generateId = () => "has spaces & more";
    expect((await request(port, "/socket.io/?EIO=4&transport=polling")).status).toBe(400);
    io.engine.generateId = () => "always-the-same";
    expect((await request(port, "/socket.io/?EIO=4&transport=polling")).status).toBe(200);
    expect((await request(port, "/socket.io/?EIO=4&transport=polling")).status).toBe(400);
    expect(errors.map((e) => e.context.name)).toEqual(["ID_GENERATION_ERROR", "ID_GENERATION_ERROR", "ID_GENERATION_ERROR"]);
  });

  it("gives a socket a handshake even when its connection has no HTTP request behind it", async () => {
    const { io } = await startServer();
    const sent: EnginePacket[] = [];
    const transport: Transport = {
      name: "websocket",
      sink: null as TransportSink | null,
      writable: true,
      send: (packets) => void sent.push(...packets),
      close: () => {},
      discard: () => {},
      destroy: () => {},
    };
    const conn = new EngineSocket({
      id: "no-request",
      request: undefined as never,
      transport,
      opts: { pingInterval: 25_000, pingTimeout: 20_000, maxHttpBufferSize: 1e6, maxBufferedBytes: 1e6 },
      upgrades: [],
    });
    const connection = waitFor(io, "connection");
    io.engine.emit("connection", conn);
    conn.onTransportPacket({ type: "message", data: "0" });
    const [socket] = (await connection) as [{ handshake: { headers: object; query: object; url: string; address: string } }];
    expect(socket.handshake).toMatchObject({ headers: {}, query: {}, url: "", address: "" });
    conn.close();
  });

  it('reports an illegal attachment count on the socket as "Illegal attachments" (as socket.io-parser)', async () => {
    const { io, port } = await startServer();
    const errors = new Promise<Error>((resolve) => io.on("connection", (socket) => socket.on("error", resolve)));
    const { raw } = await RawClient.open(port);
    onCleanup(() => raw.terminate());
    await raw.connectNsp();
    raw.send('45x-["a"]');
    expect((await errors).message).toBe("Illegal attachments");
  });

  it("keeps socket.disconnected in step with connected on a server-side disconnect", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io, url());
    expect([server.connected, server.disconnected]).toEqual([true, false]);
    server.disconnect();
    expect([server.connected, server.disconnected]).toEqual([false, true]);
  });

  it("refuses attachApp (uWebSockets.js) with a clear error", () => {
    const io = new Server();
    expect(() => io.attachApp({})).toThrow(/uWebSockets\.js.*not supported/);
  });

  it("answers io.close(cb) with no error when the server listened", async () => {
    const httpServer = http.createServer();
    const io = new Server(httpServer);
    await listen(httpServer);
    expect((httpServer.address() as AddressInfo).port).toBeGreaterThan(0);
    const err = await new Promise<Error | undefined>((resolve) => void io.close(resolve));
    expect(err).toBeUndefined();
  });
});
