/**
 * [compat] `instrument(io, opts)` from `@socket.io/admin-ui`, unchanged, on a roomcast server:
 * the admin namespace driven with the official client speaking admin-ui's protocol (what the
 * hosted UI sends and expects), in development and production mode, without and with basic
 * authentication. The UI itself is checked in Chromium in test/browser/admin-ui.test.ts.
 */
import { instrument } from "@socket.io/admin-ui";
import type { Server as SocketIoServer } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import type { AdminUiServer } from "../../src/compat/admin-ui.ts";
import {
  cleanup,
  connect,
  connectError,
  connectPair,
  startServer,
  waitFor,
  whenConnected,
  type ClientOpts,
  type ClientSocket,
  type TestServer,
} from "../support/harness.ts";
import type { Server, ServerSocket } from "../support/server.ts";

afterEach(cleanup);

// The contract, checked at type-check time: a roomcast Server is what instrument() reads.
export const asAdminUiServer = (io: Server): AdminUiServer => io;

/** bcrypt of "s3cret" (4 rounds: fast to check). */
const HASH = "$2a$04$T.dZcHlWsYapOWyChhzK4Oldoa51o.pLLzHdj49Jepfr2aYUfeHV2";

type Event = [string, ...unknown[]];

/** Every event an admin client receives, consumed in order by `next`. */
class Feed {
  readonly events: Event[] = [];
  private readonly taken = new Set<number>();
  private waiters: Array<{ name: string; pred: (args: unknown[]) => boolean; resolve: (args: unknown[]) => void }> = [];

  constructor(client: ClientSocket) {
    client.onAny((name: string, ...args: unknown[]) => {
      const index = this.events.push([name, ...args]) - 1;
      const waiter = this.waiters.find((w) => w.name === name && w.pred(args));
      if (waiter === undefined) return;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      this.taken.add(index);
      waiter.resolve(args);
    });
  }

  /** The arguments of the first event `name` (received or to come) matching `pred`, not taken before. */
  next(name: string, pred: (args: unknown[]) => boolean = () => true): Promise<unknown[]> {
    const index = this.events.findIndex((e, i) => !this.taken.has(i) && e[0] === name && pred(e.slice(1)));
    if (index >= 0) {
      this.taken.add(index);
      return Promise.resolve(this.events[index]?.slice(1) ?? []);
    }
    return new Promise((resolve) => this.waiters.push({ name, pred, resolve }));
  }

  /** Names of every event received so far. */
  names(): string[] {
    return this.events.map((e) => e[0]);
  }
}

/** An admin client on `/admin` and its feed. */
async function admin(fx: TestServer, opts: ClientOpts = {}): Promise<{ client: ClientSocket; feed: Feed }> {
  const client = connect(fx.url("/admin"), opts);
  const feed = new Feed(client);
  await whenConnected(client);
  return { client, feed };
}

/** A server whose sockets join and leave rooms on request, and answer `ping-me` with a direct emit. */
async function appServer(): Promise<TestServer> {
  const fx = await startServer({ pingInterval: 60_000, pingTimeout: 60_000 });
  const onConnection = (socket: ServerSocket): void => {
    socket.on("join", (room: string, ack: () => void) => void Promise.resolve(socket.join(room)).then(ack));
    socket.on("leave", (room: string, ack: () => void) => void Promise.resolve(socket.leave(room)).then(ack));
    socket.on("ping-me", () => socket.emit("pong-you", 42));
  };
  fx.io.on("connection", onConnection);
  fx.io.of("/chat").on("connection", onConnection);
  return fx;
}

function sessionClosed(socket: ServerSocket): Promise<unknown> {
  return socket.conn.readyState === "closed" ? Promise.resolve() : waitFor(socket.conn, "close");
}

const ALL_FEATURES = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"];

interface Serialized {
  id: string;
  clientId: string;
  transport: string;
  nsp: string;
  data: unknown;
  handshake: Record<string, unknown>;
  rooms: string[];
}

describe("[compat] @socket.io/admin-ui instrument(io, { auth: false, mode: \"development\" })", () => {
  it("lists every socket with rooms and transports, and reports connections, rooms, events and disconnections live", async () => {
    const fx = await appServer();
    const { io } = fx;
    instrument(io as unknown as SocketIoServer, { auth: false, mode: "development" });
    // admin-ui finds the server through its namespace.
    expect(io.of("/admin").server).toBe(io);

    const c1 = await connectPair(io, fx.url());
    await c1.client.emitWithAck("join", "red");
    const c2 = await connectPair(io.of("/chat"), fx.url("/chat"), { transports: ["polling"] });
    const { client: adminClient, feed } = await admin(fx);

    const [config] = (await feed.next("config")) as [{ supportedFeatures: string[] }];
    expect([...config.supportedFeatures].sort()).toEqual([...ALL_FEATURES].sort());
    const [all] = (await feed.next("all_sockets")) as [Serialized[]];
    const byId = new Map(all.map((s) => [s.id, s]));
    expect(all).toHaveLength(3);
    expect(byId.get(c1.server.id)).toMatchObject({
      nsp: "/",
      transport: "websocket",
      clientId: c1.server.client.id.slice(0, 12),
      data: {},
      handshake: { address: c1.server.handshake.address, url: c1.server.handshake.url, secure: false, xdomain: false, issued: c1.server.handshake.issued },
    });
    expect(byId.get(c1.server.id)?.rooms.sort()).toEqual([c1.server.id, "red"].sort());
    expect(byId.get(c2.server.id)).toMatchObject({ nsp: "/chat", transport: "polling", rooms: [c2.server.id] });
    expect(byId.get(adminClient.id as string)).toMatchObject({ nsp: "/admin", transport: "websocket" });

    // A new client, polling first: connected on polling, then updated once it upgrades.
    const c3 = await connectPair(io, fx.url(), { transports: ["polling", "websocket"] });
    const [connected] = (await feed.next("socket_connected", ([s]) => (s as Serialized).id === c3.server.id)) as [Serialized, string];
    expect(connected).toMatchObject({ nsp: "/", transport: "polling", rooms: [c3.server.id] });
    expect(await feed.next("socket_updated", ([u]) => (u as Serialized).id === c3.server.id && (u as Serialized).transport === "websocket")).toEqual([
      { id: c3.server.id, nsp: "/", transport: "websocket" },
    ]);

    await c3.client.emitWithAck("join", "blue");
    const [nsp, eventId, args, at] = await feed.next("event_received", ([, id]) => id === c3.server.id);
    expect([nsp, eventId, args]).toEqual(["/", c3.server.id, ["join", "blue"]]);
    expect(Number.isNaN(Date.parse(at as string))).toBe(false);
    expect((await feed.next("room_joined", ([, room]) => room === "blue")).slice(0, 3)).toEqual(["/", "blue", c3.server.id]);

    c3.client.emit("ping-me");
    expect((await feed.next("event_sent", ([, id]) => id === c3.server.id)).slice(0, 3)).toEqual(["/", c3.server.id, ["pong-you", 42]]);

    await c3.client.emitWithAck("leave", "blue");
    expect((await feed.next("room_left", ([, room]) => room === "blue")).slice(0, 3)).toEqual(["/", "blue", c3.server.id]);

    const c3Closed = sessionClosed(c3.server);
    c3.client.disconnect();
    expect((await feed.next("socket_disconnected", ([, id]) => id === c3.server.id)).slice(0, 3)).toEqual(["/", c3.server.id, "client namespace disconnect"]);
    await c3Closed;

    // The stats: clients by transport, sockets per namespace, aggregated engine events.
    const [stats] = (await feed.next("server_stats", ([s]) => (s as { clientsCount: number }).clientsCount === 3)) as [Record<string, unknown>];
    expect(stats).toMatchObject({
      clientsCount: 3,
      pollingClientsCount: 1,
      pid: process.pid,
      namespaces: [
        { name: "/", socketsCount: 1 },
        { name: "/chat", socketsCount: 1 },
        { name: "/admin", socketsCount: 1 },
      ],
    });
    expect(Array.isArray(stats["aggregatedEvents"])).toBe(true);
  });

  it("carries out the UI's actions: emit to a room, join, leave, disconnect", async () => {
    const fx = await appServer();
    const { io } = fx;
    instrument(io as unknown as SocketIoServer, { auth: false, mode: "development" });
    const c1 = await connectPair(io, fx.url());
    await c1.client.emitWithAck("join", "red");
    const c2 = await connectPair(io.of("/chat"), fx.url("/chat"), { transports: ["polling"] });
    const { client: adminClient, feed } = await admin(fx);
    await feed.next("all_sockets");

    const notice = waitFor(c1.client, "notice");
    adminClient.emit("emit", "/", "red", "notice", "hi");
    expect(await notice).toEqual(["hi"]);

    adminClient.emit("join", "/", "green", c1.server.id);
    expect((await feed.next("room_joined", ([, room]) => room === "green")).slice(0, 3)).toEqual(["/", "green", c1.server.id]);
    expect(c1.server.rooms.has("green")).toBe(true);
    adminClient.emit("leave", "/", "green");
    expect((await feed.next("room_left", ([, room]) => room === "green")).slice(0, 3)).toEqual(["/", "green", c1.server.id]);
    expect(c1.server.rooms.has("green")).toBe(false);

    const kicked = waitFor(c2.client, "disconnect");
    adminClient.emit("_disconnect", "/chat", false, c2.server.id);
    expect(await kicked).toEqual(["io server disconnect", undefined]);
    expect((await feed.next("socket_disconnected", ([, id]) => id === c2.server.id)).slice(0, 3)).toEqual(["/chat", c2.server.id, "server namespace disconnect"]);
  });

  // SKIPPED pending the dropin branch (socket.onAnyOutgoing for broadcasts): socket.io calls each
  // recipient's outgoing catch-all listeners for a broadcast, roomcast so far only for direct
  // emits. Un-skip once it lands: this test needs no other change.
  it("reports event_sent for each recipient of a broadcast", async () => {
    const fx = await appServer();
    const { io } = fx;
    instrument(io as unknown as SocketIoServer, { auth: false, mode: "development" });
    const c1 = await connectPair(io, fx.url());
    const c2 = await connectPair(io, fx.url(), { transports: ["polling"] });
    await c1.client.emitWithAck("join", "red");
    await c2.client.emitWithAck("join", "red");
    const { feed } = await admin(fx);
    await feed.next("all_sockets");
    io.to("red").emit("news", 1);
    for (const { server } of [c1, c2]) {
      expect((await feed.next("event_sent", ([, id]) => id === server.id)).slice(0, 3)).toEqual(["/", server.id, ["news", 1]]);
    }
  });
});

describe("[compat] @socket.io/admin-ui instrument(io, { mode: \"production\" })", () => {
  it("sends configuration and stats only: no socket list, no per-socket events", async () => {
    const fx = await appServer();
    const { io } = fx;
    instrument(io as unknown as SocketIoServer, { auth: false, mode: "production" });
    const { feed } = await admin(fx);
    const [config] = (await feed.next("config")) as [{ supportedFeatures: string[] }];
    expect([...config.supportedFeatures].sort()).toEqual(ALL_FEATURES.filter((f) => f !== "ALL_EVENTS").sort());

    const c1 = await connectPair(io, fx.url(), { transports: ["polling"] });
    await c1.client.emitWithAck("join", "red");
    const [stats] = (await feed.next("server_stats", ([s]) => (s as { clientsCount: number }).clientsCount === 2)) as [Record<string, unknown>];
    expect(stats).toMatchObject({ clientsCount: 2, pollingClientsCount: 1, namespaces: [{ name: "/", socketsCount: 1 }, { name: "/chat", socketsCount: 0 }, { name: "/admin", socketsCount: 1 }] });
    // The stats came after the client connected and joined: nothing per socket was sent.
    expect(feed.names().filter((n) => n !== "server_stats")).toEqual(["config"]);
  });
});

describe("[compat] @socket.io/admin-ui with basic authentication", () => {
  it("refuses wrong credentials, accepts right ones with a session id, and accepts that session id later", async () => {
    const fx = await appServer();
    instrument(fx.io as unknown as SocketIoServer, { auth: { type: "basic", username: "admin", password: HASH }, mode: "development" });

    const wrong = connect(fx.url("/admin"), { auth: { username: "admin", password: "nope" } });
    expect((await connectError(wrong)).message).toBe("invalid credentials");

    const { feed } = await admin(fx, { auth: { username: "admin", password: "s3cret" } });
    // `session` is sent by the middleware, before the CONNECT answer: the client delivers it after.
    const [sessionId] = await feed.next("session");
    expect(typeof sessionId).toBe("string");
    await feed.next("all_sockets");

    const again = await admin(fx, { auth: { sessionId } });
    await again.feed.next("config");
    expect(again.feed.names()).not.toContain("session");
  });
});
