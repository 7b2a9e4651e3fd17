import http from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EngineServer } from "../../src/transport/index.ts";
import type { ConnectionError } from "../../src/transport/index.ts";
import type { EngineSocket } from "../../src/transport/index.ts";
import { cleanup, connect, httpGet, rawUpgrade, startServer, TestClient } from "./helpers.ts";
import type { Fixture } from "./helpers.ts";

afterEach(cleanup);

function echo(fx: Fixture): void {
  fx.engine.on("connection", (socket: EngineSocket) => socket.on("message", (data) => socket.send(data)));
}

describe("EngineServer handshake", () => {
  it("[EIO4:handshake] sends the open packet with the exact JSON", async () => {
    const fx = await startServer();
    const { socket, open } = await connect(fx);
    expect(socket.id).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(open).toBe(
      `0{"sid":"${socket.id}","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
    );
    expect(socket.protocol).toBe(4);
    expect(socket.readyState).toBe("open");
    expect(socket.transport.name).toBe("websocket");
    expect(socket.remoteAddress).toBe("127.0.0.1");
    expect(socket.request.url).toBe("/engine.io/?EIO=4&transport=websocket");
    expect(fx.engine.clientsCount).toBe(1);
    expect(fx.engine.clients.get(socket.id)).toBe(socket);
  });

  it("[EIO4:handshake] announces the configured timings and maxPayload", async () => {
    const fx = await startServer({ pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 5000 });
    const { socket, open } = await connect(fx);
    expect(JSON.parse(open.slice(1))).toEqual({
      sid: socket.id,
      upgrades: [],
      pingInterval: 300,
      pingTimeout: 200,
      maxPayload: 5000,
    });
  });

  it("gives every session a different sid", async () => {
    const fx = await startServer();
    const a = await connect(fx);
    const b = await connect(fx);
    expect(a.socket.id).not.toBe(b.socket.id);
    expect(fx.engine.clientsCount).toBe(2);
  });

  it("accepts the path with and without trailing slash when addTrailingSlash is true", async () => {
    const fx = await startServer();
    const { open } = await connect(fx, `ws://127.0.0.1:${fx.port}/engine.io?EIO=4&transport=websocket`);
    expect(open.startsWith('0{"sid":')).toBe(true);
  });

  it("accepts only the configured path when addTrailingSlash is false", async () => {
    const fx = await startServer({ path: "/rt", addTrailingSlash: false }, (req, res) => res.end(`user:${req.url ?? ""}`));
    const { open } = await connect(fx, `ws://127.0.0.1:${fx.port}/rt?EIO=4&transport=websocket`);
    expect(open.startsWith('0{"sid":')).toBe(true);
    expect((await httpGet(fx.port, "/rt/?EIO=4")).body).toBe("user:/rt/?EIO=4");
    expect((await httpGet(fx.port, "/rt?EIO=4")).body).toBe('{"code":0,"message":"Transport unknown"}');
  });

  it("serves the path given to attach() instead of opts.path", async () => {
    const server = http.createServer((req, res) => res.end(`user:${req.url ?? ""}`));
    const engine = new EngineServer().attach(server, { path: "/socket.io/" });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    try {
      const connection = once(engine, "connection");
      const client = new TestClient(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
      const open = await client.nextText();
      await connection;
      expect(open.startsWith('0{"sid":')).toBe(true);
      expect((await httpGet(port, "/engine.io/")).body).toBe("user:/engine.io/");
    } finally {
      engine.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses to attach twice", async () => {
    const fx = await startServer();
    expect(() => fx.engine.attach(http.createServer())).toThrow(Error);
  });
});

describe("EngineServer refusals", () => {
  const cases: Array<[string, string, number, string]> = [
    ["missing EIO", "transport=websocket", 5, "Unsupported protocol version"],
    ["EIO=3", "EIO=3&transport=websocket", 5, "Unsupported protocol version"],
    ["EIO=abc", "EIO=abc&transport=websocket", 5, "Unsupported protocol version"],
    ["transport=polling", "EIO=4&transport=polling", 0, "Transport unknown"],
    ["unknown transport", "EIO=4&transport=carrier-pigeon", 0, "Transport unknown"],
    ["missing transport", "EIO=4", 0, "Transport unknown"],
    ["unknown sid", "EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA", 1, "Session ID unknown"],
  ];

  it.each(cases)("[EIO4:http-errors] answers %s with 400 and the exact JSON", async (_name, query, code, message) => {
    const fx = await startServer();
    const errors: ConnectionError[] = [];
    fx.engine.on("connection_error", (err) => errors.push(err));
    const res = await rawUpgrade(fx.port, `/engine.io/?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.body).toBe(JSON.stringify({ code, message }));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe(code);
    expect(errors[0]?.message).toBe(message);
    expect(errors[0]?.req.url).toBe(`/engine.io/?${query}`);
    expect(fx.engine.clientsCount).toBe(0);
  });

  it("[EIO4:upgrade] accepts, then closes, a WebSocket carrying the sid of a websocket session", async () => {
    const fx = await startServer();
    echo(fx);
    const { client, socket } = await connect(fx);
    const second = new TestClient(fx.wsUrl(`EIO=4&transport=websocket&sid=${socket.id}`));
    await once(second.ws, "open");
    await second.closed;
    expect(socket.readyState).toBe("open");
    client.send("4still here");
    expect(await client.nextText()).toBe("4still here");
  });

  it("refuses a non-GET handshake with code 2", async () => {
    const fx = await startServer();
    const res = await rawUpgrade(fx.port, "/engine.io/?EIO=4&transport=websocket", { method: "POST" });
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":2,"message":"Bad handshake method"}');
  });

  it("refuses a malformed WebSocket handshake with code 3 and the supported versions", async () => {
    const fx = await startServer();
    const errors: ConnectionError[] = [];
    fx.engine.on("connection_error", (err) => errors.push(err));
    const res = await rawUpgrade(fx.port, "/engine.io/?EIO=4&transport=websocket", {
      headers: { "Sec-WebSocket-Version": "12" },
    });
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":3,"message":"Bad request"}');
    expect(res.headers["sec-websocket-version"]).toBe("13, 8");
    expect(errors[0]?.context["name"]).toBe("WEBSOCKET_HANDSHAKE_ERROR");
  });

  it("leaves upgrade requests on other paths to other listeners", async () => {
    const fx = await startServer();
    fx.http.on("upgrade", (req: http.IncomingMessage, socket) => {
      if (req.url?.startsWith("/other") === true) {
        socket.end("HTTP/1.1 418 I'm a teapot\r\nConnection: close\r\nContent-Length: 6\r\n\r\nteapot");
      }
    });
    const res = await rawUpgrade(fx.port, "/other?EIO=4&transport=websocket");
    expect(res.status).toBe(418);
    expect(res.body).toBe("teapot");
  });
});

describe("EngineServer HTTP routing", () => {
  const userHandler: http.RequestListener = (req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`user:${req.url ?? ""}`);
  };

  it("answers polling requests with code 0 when polling is not among the transports", async () => {
    const fx = await startServer({ transports: ["websocket"] }, userHandler);
    const res = await httpGet(fx.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.body).toBe('{"code":0,"message":"Transport unknown"}');
  });

  it("answers a websocket handshake without Upgrade with code 3", async () => {
    const fx = await startServer({}, userHandler);
    const res = await httpGet(fx.port, "/engine.io/?EIO=4&transport=websocket");
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":3,"message":"Bad request"}');
  });

  it("passes requests on other paths to the user's own handler", async () => {
    const fx = await startServer({}, userHandler);
    const res = await httpGet(fx.port, "/hello?x=1");
    expect(res.status).toBe(200);
    expect(res.body).toBe("user:/hello?x=1");
    // Prefix lookalikes are not the engine's either.
    expect((await httpGet(fx.port, "/engine.io-admin")).body).toBe("user:/engine.io-admin");
  });

  it("gives the request listeners back on close()", async () => {
    const fx = await startServer({}, userHandler);
    fx.engine.close();
    const res = await httpGet(fx.port, "/engine.io/?EIO=4&transport=polling");
    expect(res.status).toBe(200);
    expect(res.body).toBe("user:/engine.io/?EIO=4&transport=polling");
    expect(fx.http.listenerCount("request")).toBe(1);
  });
});
