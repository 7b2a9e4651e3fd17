/**
 * The polling handshake and every HTTP refusal, over raw HTTP; the options that shape the
 * handshake (transports, allowUpgrades, allowRequest, cookie, path) and the headers events.
 */
import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { ConnectionError, EngineOptions, EngineSocket } from "../../src/transport/index.ts";
import { cleanup, connect, rawUpgrade, startServer, TestClient } from "../transport/helpers.ts";
import { PollingClient, request } from "./helpers.ts";

afterEach(cleanup);

describe("[EIO4:polling-handshake] polling handshake", () => {
  it("answers 200 with only the open packet, keys exactly sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const fx = await startServer({ pingInterval: 300, pingTimeout: 200 });
    const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
    const res = await request(fx.port, "/engine.io/?EIO=4&transport=polling");
    const [socket] = await connection;
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; charset=UTF-8");
    expect(res.body).toBe(`0{"sid":"${socket.id}","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`);
    expect(socket.transport.name).toBe("polling");
    expect(socket.request.url).toBe("/engine.io/?EIO=4&transport=polling");
    expect(fx.engine.clientsCount).toBe(1);
  });

  it("announces no upgrade when websocket is not among the transports or upgrades are off", async () => {
    for (const opts of [{ transports: ["polling"] }, { allowUpgrades: false }] satisfies Array<Partial<EngineOptions>>) {
      const fx = await startServer(opts);
      const client = new PollingClient(fx.port);
      await client.handshake();
      expect(client.open?.upgrades).toEqual([]);
    }
  });

  it("serves the configured path, with or without trailing slash", async () => {
    const fx = await startServer({ path: "/rt" });
    const bare = await request(fx.port, "/rt?EIO=4&transport=polling");
    const slash = await request(fx.port, "/rt/?EIO=4&transport=polling");
    expect(bare.body.startsWith('0{"sid":')).toBe(true);
    expect(slash.body.startsWith('0{"sid":')).toBe(true);
  });

  it("leaves /path/ to the user's handler when addTrailingSlash is false", async () => {
    const fx = await startServer({ path: "/rt", addTrailingSlash: false }, (req, res) => res.end(`user:${req.url ?? ""}`));
    expect((await request(fx.port, "/rt?EIO=4&transport=polling")).body.startsWith('0{"sid":')).toBe(true);
    expect((await request(fx.port, "/rt/?EIO=4&transport=polling")).body).toBe("user:/rt/?EIO=4&transport=polling");
  });
});

describe("[EIO4:polling-errors] refusals over HTTP", () => {
  const cases: Array<[string, string, string, number, string]> = [
    ["missing EIO", "GET", "transport=polling", 5, "Unsupported protocol version"],
    ["non-numeric EIO", "GET", "EIO=abc&transport=polling", 5, "Unsupported protocol version"],
    ["EIO=3", "GET", "EIO=3&transport=polling", 5, "Unsupported protocol version"],
    ["missing transport", "GET", "EIO=4", 0, "Transport unknown"],
    ["unknown transport", "GET", "EIO=4&transport=abc", 0, "Transport unknown"],
    ["websocket without Upgrade", "GET", "EIO=4&transport=websocket", 3, "Bad request"],
    ["POST without sid", "POST", "EIO=4&transport=polling", 2, "Bad handshake method"],
    ["PUT without sid", "PUT", "EIO=4&transport=polling", 2, "Bad handshake method"],
    ["OPTIONS without CORS", "OPTIONS", "EIO=4&transport=polling", 2, "Bad handshake method"],
    ["unknown sid (GET)", "GET", "EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", 1, "Session ID unknown"],
    ["unknown sid (POST)", "POST", "EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA", 1, "Session ID unknown"],
  ];

  it.each(cases)("answers %s with 400 and the exact JSON", async (_name, method, query, code, message) => {
    const fx = await startServer();
    const errors: ConnectionError[] = [];
    fx.engine.on("connection_error", (err) => errors.push(err));
    const res = await request(fx.port, `/engine.io/?${query}`, { method, body: method === "POST" || method === "PUT" ? "4x" : undefined });
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.body).toBe(JSON.stringify({ code, message }));
    expect(errors.map((e) => e.code)).toEqual([code]);
    expect(fx.engine.clientsCount).toBe(0);
  });

  it("answers a PUT with a valid sid with 400 code 3 and keeps the session", async () => {
    const fx = await startServer();
    const client = new PollingClient(fx.port);
    await client.handshake();
    const res = await request(fx.port, client.url(), { method: "PUT", body: "4x" });
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":3,"message":"Bad request"}');
    expect(fx.engine.clientsCount).toBe(1);
  });

  it("refuses polling requests carrying the sid of a websocket session with code 3", async () => {
    const fx = await startServer();
    const { socket } = await connect(fx);
    const res = await request(fx.port, `/engine.io/?EIO=4&transport=polling&sid=${socket.id}`);
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":3,"message":"Bad request"}');
    expect(socket.readyState).toBe("open");
  });

  it("refuses polling with code 0 when only websocket is enabled, and websocket when only polling is", async () => {
    const wsOnly = await startServer({ transports: ["websocket"] });
    const res = await request(wsOnly.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":0,"message":"Transport unknown"}');
    const pollingOnly = await startServer({ transports: ["polling"] });
    const up = await rawUpgrade(pollingOnly.port, "/engine.io/?EIO=4&transport=websocket");
    expect(up.status).toBe(400);
    expect(up.body).toBe('{"code":0,"message":"Transport unknown"}');
  });
});

describe("[EIO4:allow-request] allowRequest", () => {
  it("refuses a polling and a websocket handshake with 403 and code 4, reporting the reason", async () => {
    const fx = await startServer({ allowRequest: (_req, cb) => cb("not you", false) });
    const errors: ConnectionError[] = [];
    fx.engine.on("connection_error", (err) => errors.push(err));
    const polling = await request(fx.port, "/engine.io/?EIO=4&transport=polling");
    expect(polling.status).toBe(403);
    expect(polling.body).toBe('{"code":4,"message":"Forbidden"}');
    const ws = await rawUpgrade(fx.port, "/engine.io/?EIO=4&transport=websocket");
    expect(ws.status).toBe(403);
    expect(ws.body).toBe('{"code":4,"message":"Forbidden"}');
    expect(errors.map((e) => [e.code, e.context["message"]])).toEqual([
      [4, "not you"],
      [4, "not you"],
    ]);
    expect(fx.engine.clientsCount).toBe(0);
  });

  it("accepts asynchronously on both transports, and is not consulted for a session's later requests", async () => {
    const seen: string[] = [];
    const allowRequest: EngineOptions["allowRequest"] = (req, cb) => {
      seen.push(`${req.method ?? ""} ${String(req.headers["x-token"])}`);
      queueMicrotask(() => cb(null, req.headers["x-token"] === "ok"));
    };
    const fx = await startServer({ allowRequest });
    const client = new PollingClient(fx.port);
    await client.handshake({ headers: { "x-token": "ok" } });
    expect((await client.post("4hi")).status).toBe(200);
    const connection = once(fx.engine, "connection");
    const ws = new WebSocket(fx.wsUrl(), { headers: { "x-token": "ok" } });
    await Promise.all([once(ws, "open"), connection]);
    ws.terminate();
    expect(seen).toEqual(["GET ok", "GET ok"]);
    expect(fx.engine.clientsCount).toBeGreaterThanOrEqual(1);
  });

  it("treats a throwing allowRequest as a refusal", async () => {
    const fx = await startServer({
      allowRequest: () => {
        throw new Error("boom");
      },
    });
    const res = await request(fx.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.status).toBe(403);
    expect(res.body).toBe('{"code":4,"message":"Forbidden"}');
  });
});

describe("cookie", () => {
  it("is not set by default", async () => {
    const fx = await startServer();
    const res = await new PollingClient(fx.port).handshake();
    expect(res.headers["set-cookie"]).toBeUndefined();
  });

  it("sets io=<sid> on the polling handshake only, with the default attributes", async () => {
    const fx = await startServer({ cookie: true });
    const client = new PollingClient(fx.port);
    const res = await client.handshake();
    expect(res.headers["set-cookie"]).toEqual([`io=${client.sid}; Path=/; HttpOnly; SameSite=Lax`]);
    expect((await client.post("4x")).headers["set-cookie"]).toBeUndefined();
  });

  it("honours name, path, httpOnly, sameSite, secure, domain and maxAge", async () => {
    const fx = await startServer({
      cookie: { name: "lb", path: "/app", httpOnly: false, sameSite: "strict", secure: true, domain: "example.com", maxAge: 60 },
    });
    const client = new PollingClient(fx.port);
    const res = await client.handshake();
    expect(res.headers["set-cookie"]).toEqual([`lb=${client.sid}; Path=/app; Domain=example.com; Max-Age=60; Secure; SameSite=Strict`]);
  });

  it("sets the cookie on the WebSocket handshake response too", async () => {
    const fx = await startServer({ cookie: true });
    const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
    const ws = new WebSocket(fx.wsUrl());
    const [response] = (await once(ws, "upgrade")) as [IncomingMessage];
    const [socket] = await connection;
    expect(response.headers["set-cookie"]).toEqual([`io=${socket.id}; Path=/; HttpOnly; SameSite=Lax`]);
    ws.terminate();
  });

  it("refuses a cookie name that is not a token, and attributes that could break the header", async () => {
    await expect(startServer({ cookie: { name: "a b" } })).rejects.toThrow(TypeError);
    await expect(startServer({ cookie: { path: "/;evil" } })).rejects.toThrow(TypeError);
  });
});

describe("headers events", () => {
  it("emits initial_headers on handshakes and headers on every accepted response, polling and websocket", async () => {
    const fx = await startServer({ cookie: true });
    const initial: string[] = [];
    fx.engine.on("initial_headers", (headers, req) => {
      initial.push(`${req.method ?? ""} ${String(headers["Set-Cookie"]).slice(0, 3)}`);
      headers["X-Initial"] = "yes";
    });
    fx.engine.on("headers", (headers) => {
      headers["X-Every"] = "1";
      headers["X-Bad"] = "line\r\nbreak";
    });
    const client = new PollingClient(fx.port);
    const handshake = await client.handshake();
    expect(handshake.headers["x-initial"]).toBe("yes");
    expect(handshake.headers["x-every"]).toBe("1");
    expect(handshake.headers["x-bad"]).toBeUndefined();
    const post = await client.post("4x");
    expect(post.headers["x-every"]).toBe("1");
    expect(post.headers["x-initial"]).toBeUndefined();
    const ws = new TestClient(fx.wsUrl());
    const [response] = (await once(ws.ws, "upgrade")) as [IncomingMessage];
    expect(response.headers["x-initial"]).toBe("yes");
    expect(response.headers["x-every"]).toBe("1");
    expect(initial).toEqual(["GET io=", "GET io="]);
  });
});
