/**
 * `io.engine.use(middleware)`: Connect-style middlewares on every Engine.IO request, the
 * handshake and the WebSocket upgrade included. The socket.io docs flows: express-session shared
 * with Socket.IO, helmet headers on the handshake response (checked against socket.io too).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import session from "express-session";
import helmet from "helmet";
import { Server as SocketIoServer } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { IncomingMessage } from "node:http";
import { Server } from "../support/server.ts";
import { cleanup, closeHttp, connect, listen, onCleanup, startServer, waitFor, whenConnected } from "../support/harness.ts";
import { request } from "../polling/helpers.ts";
import { rawUpgrade } from "../transport/helpers.ts";

afterEach(cleanup);

/** The response headers of a successful WebSocket handshake (the 101). */
function upgradeHeaders(port: number, path: string, headers: Record<string, string> = {}): Promise<http.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.once("upgrade", (res) => {
      resolve(res.headers);
      ws.close();
    });
    ws.once("error", reject);
  });
}

type SessionRequest = IncomingMessage & { session: session.Session & Partial<session.SessionData> & { count?: number } };

describe("io.engine.use: express-session (the socket.io docs example)", () => {
  it("shares the session between Express routes and Socket.IO, over polling and after the upgrade", async () => {
    const app = express();
    const httpServer = http.createServer(app);
    const sessionMiddleware = session({ secret: "changeit", resave: true, saveUninitialized: true });
    app.use(sessionMiddleware);
    app.post("/incr", (req, res) => {
      const s = req.session as SessionRequest["session"];
      s.count = (s.count ?? 0) + 1;
      res.status(200).end(String(s.count));
      io.to(req.session.id).emit("current count", s.count);
    });
    const io = new Server(httpServer);
    io.engine.use(sessionMiddleware);
    io.on("connection", (socket) => {
      const req = socket.request as SessionRequest;
      void socket.join(req.session.id);
      socket.emit("hello", req.session.count ?? 0);
    });
    const port = await listen(httpServer);
    onCleanup(async () => {
      await io.close();
      await closeHttp(httpServer);
    });

    const first = await request(port, "/incr", { method: "POST" });
    expect(first.body).toBe("1");
    const cookie = String(first.headers["set-cookie"]?.[0]).split(";")[0] ?? "";
    expect(cookie).toMatch(/^connect\.sid=/);

    // Default transports: the session is found on the polling handshake, then the socket moves to WebSocket.
    const client = connect(`http://127.0.0.1:${port}`, { transports: ["polling", "websocket"], extraHeaders: { cookie } });
    const hello = waitFor(client, "hello");
    await whenConnected(client);
    expect(await hello).toEqual([1]);
    await new Promise<void>((resolve) => {
      if (client.io.engine.transport.name === "websocket") resolve();
      else client.io.engine.once("upgrade", () => resolve());
    });
    const pushed = waitFor(client, "current count");
    expect((await request(port, "/incr", { method: "POST", headers: { cookie } })).body).toBe("2");
    expect(await pushed).toEqual([2]);

    // A WebSocket-only client: the upgrade request goes through the middleware too.
    const wsOnly = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"], extraHeaders: { cookie } });
    expect(await waitFor(wsOnly, "hello")).toEqual([2]);
  });

  it("sets the session cookie on the 101 of a WebSocket handshake", async () => {
    const { io, port } = await startServer();
    io.engine.use(session({ secret: "changeit", resave: false, saveUninitialized: true }));
    const headers = await upgradeHeaders(port, "/socket.io/?EIO=4&transport=websocket");
    expect(String(headers["set-cookie"])).toMatch(/^connect\.sid=/);
  });
});

describe("io.engine.use: helmet", () => {
  const implementations = [
    ["roomcast", (srv: http.Server) => new Server(srv)],
    ["socket.io", (srv: http.Server) => new SocketIoServer(srv)],
  ] as const;

  it.each(implementations)("%s: helmet's headers are on the polling handshake and on the 101", async (_name, make) => {
    const httpServer = http.createServer();
    const io = make(httpServer);
    io.engine.use(helmet());
    const port = await listen(httpServer);
    onCleanup(async () => {
      await io.close();
      await closeHttp(httpServer);
    });
    const polling = await request(port, "/socket.io/?EIO=4&transport=polling");
    expect(polling.status).toBe(200);
    expect(polling.headers["x-content-type-options"]).toBe("nosniff");
    expect(polling.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(polling.headers["cache-control"]).toBe("no-store");
    const upgrade = await upgradeHeaders(port, "/socket.io/?EIO=4&transport=websocket");
    expect(upgrade["x-content-type-options"]).toBe("nosniff");
    expect(upgrade["strict-transport-security"]).toContain("max-age=");
  });
});

describe("io.engine.use: the chain", () => {
  it("runs on every request of a session: handshake, polls, POSTs, the upgrade", async () => {
    const { io, url } = await startServer();
    const seen: string[] = [];
    io.engine.use((req, _res, next) => {
      const query = new URL(req.url ?? "/", "http://x").searchParams;
      seen.push(`${req.method ?? ""} ${query.get("transport") ?? ""} ${query.has("sid") ? "sid" : "handshake"}`);
      next();
    });
    const client = connect(url(), { transports: ["polling", "websocket"] });
    await whenConnected(client);
    await new Promise<void>((resolve) => {
      if (client.io.engine.transport.name === "websocket") resolve();
      else client.io.engine.once("upgrade", () => resolve());
    });
    expect(seen[0]).toBe("GET polling handshake");
    expect(seen).toContain("POST polling sid");
    expect(seen).toContain("GET websocket sid");
  });

  it("runs middlewares in order, async ones included, and stops at an error (400 MIDDLEWARE_FAILURE)", async () => {
    const { io, port } = await startServer();
    const order: number[] = [];
    io.engine.use((_req, _res, next) => {
      order.push(1);
      setImmediate(next);
    });
    io.engine.use(async (req, _res, next) => {
      order.push(2);
      if (req.headers["x-refuse"] === "yes") throw new Error("nope");
      next();
    });
    const errors: Array<{ code: number; context: Record<string, unknown> }> = [];
    io.engine.on("connection_error", (err) => errors.push(err));

    expect((await request(port, "/socket.io/?EIO=4&transport=polling")).status).toBe(200);
    expect(order).toEqual([1, 2]);
    const refused = await request(port, "/socket.io/?EIO=4&transport=polling", { headers: { "x-refuse": "yes" } });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toEqual({ code: 3, message: "Bad request" });
    expect(errors[0]?.context.name).toBe("MIDDLEWARE_FAILURE");
    const upgrade = await rawUpgrade(port, "/socket.io/?EIO=4&transport=websocket", { headers: { "x-refuse": "yes" } });
    expect(upgrade.status).toBe(400);
    expect(errors[1]?.context.name).toBe("MIDDLEWARE_FAILURE");
  });

  it("lets a middleware answer the request itself, an upgrade included (status, headers, body)", async () => {
    const { io, port } = await startServer();
    io.engine.use((req, res, next) => {
      if (req.headers.authorization === "ok") return next();
      res.statusCode = 401;
      res.setHeader("WWW-Authenticate", "Bearer");
      res.end("who are you?");
    });
    const polling = await request(port, "/socket.io/?EIO=4&transport=polling");
    expect([polling.status, polling.body, polling.headers["www-authenticate"]]).toEqual([401, "who are you?", "Bearer"]);
    const upgrade = await rawUpgrade(port, "/socket.io/?EIO=4&transport=websocket");
    expect([upgrade.status, upgrade.body, upgrade.headers["www-authenticate"]]).toEqual([401, "who are you?", "Bearer"]);
    const allowed = await upgradeHeaders(port, "/socket.io/?EIO=4&transport=websocket", { authorization: "ok" });
    expect(allowed.upgrade).toBe("websocket");
  });

  it("refuses a middleware that is not a function", async () => {
    const { io } = await startServer();
    expect(() => io.engine.use("nope" as never)).toThrow(TypeError);
  });
});

describe("io.engine.use with an Express app's http server", () => {
  it("leaves the app's own routes alone", async () => {
    const app = express();
    app.get("/hi", (_req, res) => res.send("hi"));
    const httpServer = http.createServer(app);
    const io = new Server(httpServer);
    io.engine.use(helmet());
    const port = await listen(httpServer);
    onCleanup(async () => {
      await io.close();
      await closeHttp(httpServer);
    });
    const res = await request(port, "/hi");
    expect(res.body).toBe("hi");
    expect((httpServer.address() as AddressInfo).port).toBe(port);
  });
});
