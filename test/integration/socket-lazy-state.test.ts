/**
 * A server-side Socket builds what most sockets never use on first use (issue 4, memory per
 * connection): the handshake record, `data`, acks, middlewares, catch-all lists, emit flags,
 * and the client's "CONNECT in progress" set. These tests pin that nothing observable changed:
 * the values are those of the connection instant, and each piece works once created.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Socket } from "../../src/index.ts";
import { cleanup, startServer } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";

afterEach(async () => {
  vi.useRealTimers();
  await cleanup();
});

/** Resolves with the next socket to connect to the main namespace of `io`. */
function nextSocket(io: { once(ev: "connection", fn: (socket: Socket) => void): unknown }): Promise<Socket> {
  return new Promise((resolve) => io.once("connection", resolve));
}

describe("socket.handshake, built on first read", () => {
  it("has the values of the connection instant, whenever it is first read", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const connectedAt = Date.UTC(2031, 4, 6, 7, 8, 9, 10);
    vi.setSystemTime(connectedAt);
    const { io, port } = await startServer();
    const connection = nextSocket(io);
    const { raw } = await RawClient.open(port, { query: { room: "blue", n: "2" } });
    await raw.connectNsp("/", { token: "t" });
    const socket = await connection;

    // A minute passes before anyone looks at the handshake.
    vi.setSystemTime(connectedAt + 60_000);
    const hs = socket.handshake;
    expect(hs.issued).toBe(connectedAt);
    expect(hs.time).toBe(new Date(connectedAt).toString());
    expect(hs.auth).toEqual({ token: "t" });
    expect(hs.headers).toBe(socket.request.headers);
    expect(hs.url).toBe(socket.request.url);
    expect(hs.query).toEqual({ EIO: "4", transport: "websocket", room: "blue", n: "2" });
    expect(hs.address).toBe(socket.conn.remoteAddress);
    expect(["127.0.0.1", "::ffff:127.0.0.1"]).toContain(hs.address);
    expect(hs.xdomain).toBe(false);
    expect(hs.secure).toBe(false);
    // Built once: the same object on every read, so changes to it stick.
    expect(socket.handshake).toBe(hs);
  });

  it("gives a socket whose client sent no CONNECT payload an `auth` object of its own, seen by middlewares too", async () => {
    const { io, port } = await startServer();
    const inMiddleware: unknown[] = [];
    io.use((socket, next) => {
      inMiddleware.push(socket.handshake.auth);
      next();
    });
    const sockets: Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const connection = nextSocket(io);
      const { raw } = await RawClient.open(port);
      await raw.connectNsp("/"); // a bare `40`
      sockets.push(await connection);
    }
    const [a, b] = sockets as [Socket, Socket];
    expect(a.handshake.auth).toEqual({});
    expect(a.handshake.auth).toBe(inMiddleware[0]);
    // Its own object: writable, and a change to one socket's is not another's.
    a.handshake.auth.token = "set later";
    expect(a.handshake.auth).toEqual({ token: "set later" });
    expect(b.handshake.auth).toEqual({});
    expect(b.handshake.auth).toBe(inMiddleware[1]);
  });

  it("still has the client's address when first read after the connection is gone", async () => {
    const { io, port } = await startServer();
    const connection = nextSocket(io);
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    const socket = await connection;
    const address = new Promise<string>((resolve) => socket.on("disconnect", () => resolve(socket.handshake.address)));
    raw.terminate();
    expect(["127.0.0.1", "::ffff:127.0.0.1"]).toContain(await address);
  });
});

describe("socket.request and socket.data", () => {
  it("request is the HTTP request that opened the connection", async () => {
    const { io, port } = await startServer();
    const connection = nextSocket(io);
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    const socket = await connection;
    expect(socket.request).toBe(socket.conn.request);
    expect(socket.request.headers.host).toBe(`127.0.0.1:${port}`);
  });

  it("data is {} until set, keeps what is put in it, and can be replaced", async () => {
    const { io, port } = await startServer();
    const connection = nextSocket(io);
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    const socket = await connection;
    expect(socket.data).toEqual({});
    socket.data["user"] = "ada";
    expect(socket.data).toEqual({ user: "ada" });
    socket.data = { user: "grace" };
    const [remote] = await io.fetchSockets();
    expect(remote?.data).toEqual({ user: "grace" });
  });
});

describe("per-socket state created on first use", () => {
  it("[SIO5:ack-timeout] a flag applies to one emit only", async () => {
    const { io, port } = await startServer();
    const connection = nextSocket(io);
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    const socket = await connection;

    const first = new Promise<unknown[]>((resolve) => socket.timeout(5_000).emit("first", (...args: unknown[]) => resolve(args)));
    raw.send(`43${/^42(\d+)/.exec(await raw.nextText('42'))?.[1] ?? ""}["one"]`);
    expect(await first).toEqual([null, "one"]);

    // No timeout flag any more: the ack gets the answer alone, without an error first.
    const second = new Promise<unknown[]>((resolve) => socket.emit("second", (...args: unknown[]) => resolve(args)));
    raw.send(`43${/^42(\d+)/.exec(await raw.nextText('42'))?.[1] ?? ""}["two"]`);
    expect(await second).toEqual(["two"]);
  });

  it("catch-all lists are empty before the first listener, and work once one is added", async () => {
    const { io, port } = await startServer();
    const connection = nextSocket(io);
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    const socket = await connection;
    expect(socket.listenersAny()).toEqual([]);
    expect(socket.listenersAnyOutgoing()).toEqual([]);
    socket.offAny().offAnyOutgoing();

    const seen: unknown[][] = [];
    const listener = (event: string, ...args: unknown[]): void => {
      seen.push([event, ...args]);
    };
    socket.onAny(listener);
    expect(socket.listenersAny()).toEqual([listener]);
    const marker = new Promise<void>((resolve) => socket.on("marker", () => resolve()));
    raw.send('42["ping",1]');
    raw.send('42["marker"]');
    await marker;
    expect(seen).toEqual([["ping", 1], ["marker"]]);
  });

  it("[SIO5:unexpected-packet] a second CONNECT while a middleware still runs closes the connection", async () => {
    const { io, port } = await startServer();
    let runs = 0;
    let release: (() => void) | undefined;
    io.use((socket, next) => {
      runs++;
      void socket.join("joined-in-middleware");
      release = () => next();
    });
    const { raw } = await RawClient.open(port);
    raw.send("40");
    raw.send("40");
    await raw.closed;
    expect(runs).toBe(1);
    release?.();
    // The first CONNECT was abandoned with its connection: no socket, no answer, no room left.
    expect(io.of("/").sockets.size).toBe(0);
    expect(raw.texts().filter((t) => t.startsWith("40"))).toEqual([]);
    expect([...io.of("/").adapter.rooms.keys()]).toEqual([]);
  });
});
