/**
 * B. Server and namespaces (issue section 4): construction forms, close(), multiplexing,
 * dynamic namespaces, middlewares, connect errors, new_namespace, connect timeout.
 */
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanup,
  closeHttp,
  connect,
  connectError,
  connectPair,
  connected,
  listen,
  manager,
  onCleanup,
  startServer,
  waitFor,
  whenConnected,
} from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import { Server, type Namespace } from "../support/server.ts";

afterEach(cleanup);

/** A port that was free a moment ago (for the `new Server(port)` form, which cannot take 0 and report it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function track(io: Server): void {
  onCleanup(async () => {
    await io.close();
  });
}

describe("Server: construction and close", () => {
  it("new Server(httpServer, opts) serves on the attached HTTP server and honours opts (path)", async () => {
    const { io, url } = await startServer({ path: "/custom-path" });
    const { client, server } = await connectPair(io.of("/"), url(), { path: "/custom-path" });
    expect(client.connected).toBe(true);
    expect(server.handshake.url.startsWith("/custom-path/")).toBe(true);
    expect(io.of("/").sockets.size).toBe(1);
  });

  it("new Server(port) listens on that port by itself", async () => {
    const port = await freePort();
    const io = new Server(port);
    track(io);
    io.on("connection", (socket) => {
      socket.emit("welcome", "port-form");
    });
    const client = connect(`http://127.0.0.1:${port}`);
    const [msg] = await waitFor(client, "welcome");
    expect(msg).toBe("port-form");
  });

  it("new Server() then io.listen(port)", async () => {
    const port = await freePort();
    const io = new Server();
    track(io);
    io.listen(port);
    io.on("connection", (socket) => {
      socket.emit("welcome", "listen-form");
    });
    const client = connect(`http://127.0.0.1:${port}`);
    const [msg] = await waitFor(client, "welcome");
    expect(msg).toBe("listen-form");
  });

  it("new Server() then io.attach(httpServer, opts)", async () => {
    const httpServer = http.createServer();
    const io = new Server();
    io.attach(httpServer, { path: "/attached" });
    const port = await listen(httpServer);
    onCleanup(async () => {
      await io.close();
      await closeHttp(httpServer);
    });
    io.on("connection", (socket) => {
      socket.emit("welcome", socket.nsp.name);
    });
    const client = connect(`http://127.0.0.1:${port}`, { path: "/attached" });
    const [msg] = await waitFor(client, "welcome");
    expect(msg).toBe("/");
  });

  it("close() returns a Promise, disconnects sockets with 'server shutting down', and the client sees a disconnect", async () => {
    const { io, url, httpServer } = await startServer();
    const { client, server } = await connectPair(io.of("/"), url());
    const serverReason = waitFor(server, "disconnect");
    const clientReason = waitFor(client, "disconnect");
    const p = io.close();
    expect(p).toBeInstanceOf(Promise);
    await p;
    expect((await serverReason)[0]).toBe("server shutting down");
    expect(["transport close", "io server disconnect"]).toContain((await clientReason)[0]);
    expect(server.connected).toBe(false);
    expect(client.connected).toBe(false);
    expect(httpServer.listening).toBe(false);
  });
});

describe("Server: multiplexing", () => {
  it("[SIO5:multiplexing] two namespaces over one Manager share one Engine.IO connection", async () => {
    const { io, url, httpServer } = await startServer();
    io.of("/a");
    io.of("/b");
    let upgrades = 0;
    httpServer.on("upgrade", () => {
      upgrades++;
    });
    const m = manager(url());
    const sa = m.socket("/a");
    const sb = m.socket("/b");
    const serverA = new Promise<Parameters<Parameters<Namespace["on"]>[1]>[0]>((resolve) =>
      io.of("/a").once("connection", resolve),
    );
    await Promise.all([whenConnected(sa), whenConnected(sb)]);
    expect(sa.connected && sb.connected).toBe(true);
    expect(upgrades).toBe(1);
    expect(sa.io.engine).toBe(sb.io.engine);
    expect(sa.id).not.toBe(sb.id);
    const a = io.of("/a").sockets.get(sa.id as string);
    const b = io.of("/b").sockets.get(sb.id as string);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a?.conn).toBe(b?.conn);
    expect(await serverA).toBe(a);
    sa.disconnect();
    sb.disconnect();
  });
});

describe("Server: dynamic namespaces", () => {
  it("[SIO5:dynamic-namespace] io.of(RegExp) accepts matching names, each its own child namespace", async () => {
    const { io, url } = await startServer();
    const seen: string[] = [];
    const parent = io.of(/^\/dyn-[a-z]+$/);
    parent.on("connection", (socket) => {
      seen.push(socket.nsp.name);
    });
    await connected(url("/dyn-abc"));
    await connected(url("/dyn-xyz"));
    expect(seen).toEqual(["/dyn-abc", "/dyn-xyz"]);
    expect(io.of("/dyn-abc").sockets.size).toBe(1);
    expect(io.of("/dyn-xyz").sockets.size).toBe(1);
    const err = await connectError(connect(url("/dyn-123")));
    expect(err.message).toBe("Invalid namespace");
  });

  it("[SIO5:dynamic-namespace] io.of((name, auth, next) => ...) decides with the name and the CONNECT auth", async () => {
    const { io, url } = await startServer();
    const asked: Array<[string, unknown]> = [];
    io.of((name: string, auth: Record<string, unknown>, next: (err: Error | null, success: boolean) => void) => {
      asked.push([name, auth]);
      next(null, name.startsWith("/fn-") && auth["token"] === "ok");
    }).on("connection", (socket) => {
      socket.emit("in", socket.nsp.name);
    });
    const good = connect(url("/fn-1"), { auth: { token: "ok" } });
    expect((await waitFor(good, "in"))[0]).toBe("/fn-1");
    const badAuth = await connectError(connect(url("/fn-2"), { auth: { token: "nope" } }));
    expect(badAuth.message).toBe("Invalid namespace");
    const badName = await connectError(connect(url("/other"), { auth: { token: "ok" } }));
    expect(badName.message).toBe("Invalid namespace");
    expect(asked).toEqual([
      ["/fn-1", { token: "ok" }],
      ["/fn-2", { token: "nope" }],
      ["/other", { token: "ok" }],
    ]);
  });

  it("[SIO5:dynamic-namespace] children inherit the parent's middlewares and connection handlers; parent.emit reaches every child", async () => {
    const { io, url } = await startServer();
    const ran: string[] = [];
    const parent = io.of(/^\/room-\d+$/);
    parent.use((socket, next) => {
      ran.push(`mw1:${socket.nsp.name}`);
      next();
    });
    parent.use((socket, next) => {
      ran.push(`mw2:${socket.nsp.name}`);
      next();
    });
    parent.on("connection", (socket) => {
      ran.push(`conn:${socket.nsp.name}`);
    });
    const c1 = await connected(url("/room-1"));
    const c2 = await connected(url("/room-2"));
    expect(ran).toEqual(["mw1:/room-1", "mw2:/room-1", "conn:/room-1", "mw1:/room-2", "mw2:/room-2", "conn:/room-2"]);
    const got1 = waitFor(c1, "to-all");
    const got2 = waitFor(c2, "to-all");
    parent.emit("to-all", 7);
    expect(await got1).toEqual([7]);
    expect(await got2).toEqual([7]);
  });

  it("[SIO5:dynamic-namespace] a dynamic child's middleware error is a connect_error for that namespace only", async () => {
    const { io, url } = await startServer();
    io.of(/^\/locked-\d+$/).use((_socket, next) => next(new Error("locked")));
    const err = await connectError(connect(url("/locked-1")));
    expect(err.message).toBe("locked");
    const main = await connected(url("/"));
    expect(main.connected).toBe(true);
  });

  it("[SIO5:dynamic-namespace] cleanupEmptyChildNamespaces: true removes an emptied child (new_namespace fires again on the next connection)", async () => {
    const { io, url } = await startServer({ cleanupEmptyChildNamespaces: true });
    const created: string[] = [];
    io.on("new_namespace", (nsp: Namespace) => created.push(nsp.name));
    const parent = io.of(/^\/tmp-\d+$/);
    const { client, server } = await connectPair(parent, url("/tmp-1"));
    expect(created).toEqual(["/tmp-1"]);
    const gone = waitFor(server, "disconnect");
    client.disconnect();
    await gone;
    await connected(url("/tmp-1"));
    expect(created).toEqual(["/tmp-1", "/tmp-1"]);
  });

  it("[SIO5:dynamic-namespace] without cleanupEmptyChildNamespaces an emptied child is kept (new_namespace fires once)", async () => {
    const { io, url } = await startServer();
    const created: string[] = [];
    io.on("new_namespace", (nsp: Namespace) => created.push(nsp.name));
    const parent = io.of(/^\/tmp-\d+$/);
    const { client, server } = await connectPair(parent, url("/tmp-1"));
    const gone = waitFor(server, "disconnect");
    client.disconnect();
    await gone;
    await connected(url("/tmp-1"));
    expect(created).toEqual(["/tmp-1"]);
  });
});

describe("Server: namespace registry, middlewares, connect errors", () => {
  it("io.of(name) returns the same Namespace on every call", async () => {
    const { io } = await startServer();
    const a = io.of("/same");
    expect(io.of("/same")).toBe(a);
    expect(a.name).toBe("/same");
  });

  it("[SIO5:connect-error] an unknown namespace gives the client connect_error 'Invalid namespace'", async () => {
    const { url } = await startServer();
    const client = connect(url("/nope"));
    const err = await connectError(client);
    expect(err.message).toBe("Invalid namespace");
    expect(client.connected).toBe(false);
  });

  it("[SIO5:connect-error] io.use next(err) with err.data gives the client connect_error with that message and data", async () => {
    const { io, url } = await startServer();
    const connections: string[] = [];
    io.on("connection", (socket) => connections.push(socket.id));
    io.use((_socket, next) => {
      const err = new Error("not authorized") as Error & { data?: unknown };
      err.data = { content: "x" };
      next(err);
    });
    const err = await connectError(connect(url()));
    expect(err.message).toBe("not authorized");
    expect(err.data).toEqual({ content: "x" });
    expect(connections).toEqual([]);
    expect(io.of("/").sockets.size).toBe(0);
  });

  it("[SIO5:middleware] nsp.use middlewares run in order (sync and async), each seeing socket.handshake.auth", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/mw");
    const ran: Array<[string, unknown]> = [];
    nsp.use((socket, next) => {
      ran.push(["first", socket.handshake.auth]);
      next();
    });
    nsp.use((socket, next) => {
      ran.push(["second", socket.handshake.auth]);
      void Promise.resolve().then(() => next());
    });
    nsp.use((socket, next) => {
      ran.push(["third", socket.handshake.auth]);
      socket.data = { fromMiddleware: true };
      next();
    });
    const { server } = await connectPair(nsp, url("/mw"), { auth: { token: "t" } });
    expect(ran).toEqual([
      ["first", { token: "t" }],
      ["second", { token: "t" }],
      ["third", { token: "t" }],
    ]);
    expect(server.data).toEqual({ fromMiddleware: true });
  });

  it("[SIO5:middleware] a middleware error stops the chain: later middlewares and connection handlers do not run", async () => {
    const { io, url } = await startServer();
    const ran: string[] = [];
    const nsp = io.of("/mw");
    nsp.use((_s, next) => {
      ran.push("1");
      next(new Error("stop"));
    });
    nsp.use((_s, next) => {
      ran.push("2");
      next();
    });
    nsp.on("connection", () => ran.push("connection"));
    const err = await connectError(connect(url("/mw")));
    expect(err.message).toBe("stop");
    expect(ran).toEqual(["1"]);
  });

  it("new_namespace fires for io.of(name) and for dynamic children", async () => {
    const { io, url } = await startServer();
    const created: string[] = [];
    io.on("new_namespace", (nsp: Namespace) => created.push(nsp.name));
    io.of("/static");
    io.of("/static");
    io.of(/^\/child-\d+$/);
    expect(created).toEqual(["/static"]);
    await connected(url("/child-9"));
    expect(created).toEqual(["/static", "/child-9"]);
  });

  it("[SIO5:connect-timeout] connectTimeout closes an Engine.IO connection that never joins a namespace", async () => {
    const { port } = await startServer({ connectTimeout: 200 });
    const { raw, open } = await RawClient.open(port);
    expect(typeof open.sid).toBe("string");
    const closed = await raw.closed;
    expect(typeof closed.code).toBe("number");
    expect(raw.texts().filter((f) => f.startsWith("4"))).toEqual([]);
  });

  it("[EIO4:handshake] the raw handshake is an OPEN packet with sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const { port } = await startServer({ pingInterval: 1234, pingTimeout: 567, maxHttpBufferSize: 4321 });
    const { raw, open } = await RawClient.open(port);
    expect(open).toEqual({
      sid: expect.any(String),
      upgrades: [],
      pingInterval: 1234,
      pingTimeout: 567,
      maxPayload: 4321,
    });
    const sid = await raw.connectNsp("/");
    expect(typeof sid).toBe("string");
    expect(sid).not.toBe(open.sid);
  });
});
