/**
 * [observe] `metrics: { path }`: the Prometheus exposition served on the server's own HTTP
 * server, parsed (not grepped), with exact values after a scripted session: clients over
 * WebSocket and long-polling in two namespaces, joins, broadcasts, volatile drops, a full
 * write buffer, refused connections and every kind of disconnect.
 */
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { Manager } from "socket.io-client";
import { PollingClient, request } from "../polling/helpers.ts";
import {
  cleanup,
  closeHttp,
  connectError,
  connectPair,
  listen,
  manager,
  onCleanup,
  startServer,
  waitFor,
  whenConnected,
  type ClientSocket,
  type Pair,
} from "../support/harness.ts";
import { Server, type Namespace, type ServerSocket } from "../support/server.ts";
import { byLabel, family, scrape, single, type Family } from "./exposition.ts";

afterEach(cleanup);

const KiB = 1024;

/** Every series, with its type. */
const SERIES: ReadonlyArray<[string, "gauge" | "counter"]> = [
  ["roomcast_engine_connections", "gauge"],
  ["roomcast_connected_sockets", "gauge"],
  ["roomcast_rooms", "gauge"],
  ["roomcast_events_received_total", "counter"],
  ["roomcast_events_sent_total", "counter"],
  ["roomcast_broadcasts_total", "counter"],
  ["roomcast_disconnects_total", "counter"],
  ["roomcast_volatile_dropped_total", "counter"],
  ["roomcast_buffer_full_total", "counter"],
  ["roomcast_connect_errors_total", "counter"],
  ["roomcast_cluster_published_total", "counter"],
  ["roomcast_cluster_received_total", "counter"],
  ["roomcast_cluster_errors_total", "counter"],
];

/** Every roomcast figure of an exposition, as plain data to compare whole. */
function figures(f: Map<string, Family>): Record<string, unknown> {
  for (const [name, type] of SERIES) family(f, name, type);
  return {
    engine: byLabel(f, "roomcast_engine_connections", "transport"),
    sockets: byLabel(f, "roomcast_connected_sockets", "namespace"),
    rooms: byLabel(f, "roomcast_rooms", "namespace"),
    received: single(f, "roomcast_events_received_total"),
    sent: single(f, "roomcast_events_sent_total"),
    broadcasts: single(f, "roomcast_broadcasts_total"),
    disconnects: byLabel(f, "roomcast_disconnects_total", "reason"),
    volatileDropped: single(f, "roomcast_volatile_dropped_total"),
    bufferFull: single(f, "roomcast_buffer_full_total"),
    connectErrors: byLabel(f, "roomcast_connect_errors_total", "code"),
    cluster: [single(f, "roomcast_cluster_published_total"), single(f, "roomcast_cluster_received_total"), byLabel(f, "roomcast_cluster_errors_total", "code")],
  };
}

/** A socket of a shared manager and its server side. */
async function managed(m: Manager, name: string, nsp: Namespace): Promise<Pair> {
  const serverSide = new Promise<ServerSocket>((resolve) => nsp.once("connection", resolve));
  const client: ClientSocket = m.socket(name);
  await whenConnected(client);
  return { client, server: await serverSide };
}

/** Resolves when the Engine.IO session under `socket` has closed. */
function sessionClosed(socket: ServerSocket): Promise<unknown> {
  return socket.conn.readyState === "closed" ? Promise.resolve() : waitFor(socket.conn, "close");
}

describe("[observe] metrics: { path: \"/metrics\" }", () => {
  it("serves every series with exact values after connects, joins, broadcasts, drops and disconnects over both transports and two namespaces", async () => {
    const fx = await startServer({ metrics: { path: "/metrics" }, maxBufferedBytes: 64 * KiB, pingInterval: 60_000, pingTimeout: 60_000 });
    const { io } = fx;
    const chat = io.of("/chat");
    const onConnection = (socket: ServerSocket): void => {
      socket.on("join", (room: string, ack: () => void) => {
        void socket.join(room);
        ack();
      });
    };
    io.on("connection", onConnection);
    chat.on("connection", onConnection);
    io.of("/private").use((_socket, next) => next(new Error("private")));

    expect(figures(await scrape(fx.port))).toEqual({
      engine: { polling: 0, websocket: 0 },
      sockets: { "/": 0, "/chat": 0, "/private": 0 },
      rooms: { "/": 0, "/chat": 0, "/private": 0 },
      received: 0, sent: 0, broadcasts: 0, disconnects: {}, volatileDropped: 0, bufferFull: 0, connectErrors: {},
      cluster: [0, 0, {}],
    });

    // Connections: a (WebSocket, "/"), b (polling, "/"), one WebSocket manager carrying d ("/")
    // and c ("/chat"), e (polling, "/chat"), and a hand-driven polling client that stops polling.
    const a = await connectPair(io, fx.url());
    const b = await connectPair(io, fx.url(), { transports: ["polling"] });
    const m = manager(fx.url());
    const d = await managed(m, "/", io.sockets);
    const c = await managed(m, "/chat", chat);
    const e = await connectPair(chat, fx.url("/chat"), { transports: ["polling"] });
    const stalled = new PollingClient(fx.port, "/socket.io/");
    const stalledSide = new Promise<ServerSocket>((resolve) => io.once("connection", resolve));
    await stalled.handshake();
    expect((await stalled.post("40")).body).toBe("ok");
    expect((await stalled.get()).body).toMatch(/^40\{"sid":/);
    const st = await stalledSide;
    expect(st.conn.writable).toBe(false);

    // 7 events received: six joins (acknowledged once joined) and one plain event.
    await a.client.emitWithAck("join", "r1");
    await b.client.emitWithAck("join", "r1");
    await d.client.emitWithAck("join", "r2");
    await c.client.emitWithAck("join", "lobby");
    await e.client.emitWithAck("join", "lobby");
    await e.client.emitWithAck("join", "games");
    const said = waitFor(a.server, "say");
    a.client.emit("say", "hi");
    await said;

    // 6 broadcasts delivering 8 events, 1 direct emit, 2 volatile events dropped.
    let arrived: Array<Promise<unknown>> = [waitFor(a.client, "news"), waitFor(b.client, "news")];
    io.to("r1").emit("news", 1);
    await Promise.all(arrived);
    arrived = [waitFor(c.client, "hello"), waitFor(e.client, "hello")];
    chat.emit("hello");
    await Promise.all(arrived);
    arrived = [waitFor(a.client, "u"), waitFor(b.client, "u"), waitFor(d.client, "u")];
    io.to("r1").to("r2").emit("u");
    await Promise.all(arrived);
    io.to("nobody").emit("x");
    arrived = [waitFor(e.client, "from-c")];
    c.server.to("lobby").emit("from-c");
    await Promise.all(arrived);
    arrived = [waitFor(a.client, "direct")];
    a.server.emit("direct");
    await Promise.all(arrived);
    st.volatile.emit("v");
    io.to(st.id).volatile.emit("vb");

    expect(figures(await scrape(fx.port))).toEqual({
      engine: { polling: 3, websocket: 2 },
      sockets: { "/": 4, "/chat": 2, "/private": 0 },
      rooms: { "/": 2, "/chat": 2, "/private": 0 },
      received: 7, sent: 9, broadcasts: 6, disconnects: {}, volatileDropped: 2, bufferFull: 0, connectErrors: {},
      cluster: [0, 0, {}],
    });

    // Refusals: a middleware, an unknown namespace, and three requests the engine refuses.
    expect((await connectError(m.socket("/private"))).message).toBe("private");
    expect((await connectError(m.socket("/nowhere"))).message).toBe("Invalid namespace");
    expect((await request(fx.port, "/socket.io/?EIO=4&transport=bogus")).status).toBe(400);
    expect((await request(fx.port, "/socket.io/?EIO=3&transport=polling")).status).toBe(400);

    // The stalled client's buffer passes 64 KiB on the 4th of 5 emits: all 5 were handed over.
    const cut = waitFor(st, "disconnect");
    for (let i = 0; i < 5; i++) st.emit("fill", "x".repeat(20 * KiB));
    expect((await cut)[0]).toBe("transport error");
    expect(JSON.parse((await stalled.get()).body)).toEqual({ code: 1, message: "Session ID unknown" });

    // Disconnects: client namespace, server namespace, and two closed connections.
    const closings = [sessionClosed(a.server), sessionClosed(b.server), sessionClosed(e.server)];
    let gone = waitFor(b.server, "disconnect");
    b.client.disconnect();
    expect((await gone)[0]).toBe("client namespace disconnect");
    gone = waitFor(d.server, "disconnect");
    d.server.disconnect();
    expect((await gone)[0]).toBe("server namespace disconnect");
    gone = waitFor(e.server, "disconnect");
    e.client.io.engine.close();
    expect((await gone)[0]).toBe("transport close");
    gone = waitFor(a.server, "disconnect");
    a.client.io.engine.close();
    expect((await gone)[0]).toBe("transport close");
    await Promise.all(closings);

    expect(figures(await scrape(fx.port))).toEqual({
      engine: { polling: 0, websocket: 1 },
      sockets: { "/": 0, "/chat": 1, "/private": 0 },
      rooms: { "/": 0, "/chat": 1, "/private": 0 },
      received: 7,
      sent: 14,
      broadcasts: 6,
      disconnects: { "client namespace disconnect": 1, "server namespace disconnect": 1, "transport close": 2, "transport error": 1 },
      volatileDropped: 2,
      bufferFull: 1,
      connectErrors: { MIDDLEWARE_REFUSED: 1, INVALID_NAMESPACE: 1, UNKNOWN_TRANSPORT: 1, UNSUPPORTED_PROTOCOL_VERSION: 1, UNKNOWN_SID: 1 },
      cluster: [0, 0, {}],
    });
    // The same figures without Prometheus in between.
    expect(io.metrics?.snapshot()).toMatchObject({ eventsReceived: 7, eventsSent: 14, broadcasts: 6, bufferFull: 1, connectedSockets: { "/chat": 1 } });
  });

  it("answers HEAD without a body, refuses other methods with 405, and leaves other paths to the application", async () => {
    const httpServer = http.createServer((_req, res) => res.writeHead(404, { "content-type": "text/plain" }).end("app"));
    const io = new Server(httpServer, { metrics: { path: "/metrics" } });
    const port = await listen(httpServer);
    onCleanup(async () => {
      await io.close();
      await closeHttp(httpServer);
    });
    const head = await request(port, "/metrics", { method: "HEAD" });
    expect([head.status, head.body]).toEqual([200, ""]);
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
    const post = await request(port, "/metrics", { method: "POST", body: "x" });
    expect([post.status, post.headers.allow]).toEqual([405, "GET, HEAD"]);
    // Query strings are ignored; other paths (even a prefix) reach the application's handler.
    expect((await request(port, "/metrics?x=1")).status).toBe(200);
    expect((await request(port, "/metrics/x")).body).toBe("app");
    expect((await request(port, "/")).body).toBe("app");
  });
});
