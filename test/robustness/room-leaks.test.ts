/**
 * Item 6 of issue #9: no room outlives its socket. socket.io 4.8 (checked side by side): rooms a
 * middleware joined before refusing are left, and `join` after the disconnect (even in a
 * `disconnect` listener) does nothing; `leave` after it has nothing to do.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connect, connectError, connectPair, startServer, waitFor } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import type { ServerSocket } from "../support/server.ts";

afterEach(cleanup);

function roomsOf(nsp: { adapter: { rooms: Map<string, Set<string>>; sids: Map<string, Set<string>> } }): { rooms: string[]; sids: number } {
  return { rooms: [...nsp.adapter.rooms.keys()], sids: nsp.adapter.sids.size };
}

describe("Rooms joined by a connection that is refused", () => {
  it("a middleware that joins then refuses leaves no room behind", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/guarded");
    nsp.use((socket, next) => {
      void socket.join(["r", "s"]);
      next(new Error("no"));
    });
    const err = await connectError(connect(url("/guarded")));
    expect(err.message).toBe("no");
    expect(roomsOf(nsp)).toEqual({ rooms: [], sids: 0 });
  });

  it("an asynchronous middleware that joins then refuses leaves no room behind", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/guarded");
    nsp.use((socket, next) => {
      void socket.join("r");
      setImmediate(() => next(new Error("later no")));
    });
    await connectError(connect(url("/guarded")));
    expect(roomsOf(nsp)).toEqual({ rooms: [], sids: 0 });
  });

  it("a connection that goes away while its middleware runs leaves no room behind", async () => {
    const { io, port } = await startServer();
    const nsp = io.of("/slow");
    let release: () => void = () => {};
    const inMiddleware = new Promise<void>((resolve) => {
      nsp.use((socket, next) => {
        void socket.join("r");
        release = () => next();
        resolve();
      });
    });
    const { raw } = await RawClient.open(port);
    raw.send("40/slow,");
    await inMiddleware;
    const [session] = [...io.engine.clients.values()];
    const sessionClosed = waitFor(session!, "close");
    raw.terminate();
    // The server noticed before the middleware answers.
    await sessionClosed;
    release();
    expect(nsp.sockets.size).toBe(0);
    expect(roomsOf(nsp)).toEqual({ rooms: [], sids: 0 });
  });

  it("an accepted connection keeps the rooms its middleware joined", async () => {
    const { io, url } = await startServer();
    io.use((socket, next) => {
      void socket.join("from-middleware");
      next();
    });
    const { server } = await connectPair(io, url());
    expect(server.rooms.has("from-middleware")).toBe(true);
  });
});

describe("join and leave after the disconnect", () => {
  it("join in a `disconnect` listener, or later, adds nothing; leave does nothing", async () => {
    const { io, url } = await startServer();
    const { client, server } = await connectPair(io, url());
    void server.join("a");
    const disconnected = new Promise<ServerSocket>((resolve) => {
      server.on("disconnect", () => {
        void server.join("joined-in-disconnect");
        resolve(server);
      });
    });
    client.disconnect();
    const socket = await disconnected;
    void socket.join(["joined-after", "a"]);
    void socket.leave("a");
    expect(roomsOf(io.of("/"))).toEqual({ rooms: [], sids: 0 });
    expect([...socket.rooms]).toEqual([]);
  });

  it("a room joined in a `disconnecting` listener is left with the others", async () => {
    const { io, url } = await startServer();
    const { client, server } = await connectPair(io, url());
    server.on("disconnecting", () => {
      void server.join("joined-in-disconnecting");
    });
    const disconnected = waitFor(server, "disconnect");
    client.disconnect();
    await disconnected;
    expect(roomsOf(io.of("/"))).toEqual({ rooms: [], sids: 0 });
  });

  it("join after a server-side disconnect adds nothing", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io, url());
    server.disconnect();
    void server.join("late");
    expect(roomsOf(io.of("/"))).toEqual({ rooms: [], sids: 0 });
  });
});
