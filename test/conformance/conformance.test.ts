/**
 * The two conformance servers of spec/conformance, started in-process on port 0 and checked for
 * a handful of the behaviours the public Engine.IO v4 and Socket.IO v5 test suites check, over
 * raw HTTP and raw WebSocket.
 */
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { startEngineIoConformanceServer } from "../../spec/conformance/engine.io-server.ts";
import { startSocketIoConformanceServer } from "../../spec/conformance/socket.io-server.ts";
import { conformancePort } from "../../spec/conformance/listen.ts";
import type { EngineSocket } from "../../src/transport/index.ts";
import { cleanup, onCleanup } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import { pendingGet, PollingClient, request } from "../polling/helpers.ts";
import { cleanup as cleanupTestClients, TestClient } from "../transport/helpers.ts";

afterEach(async () => {
  await cleanup();
  await cleanupTestClients();
});

async function engineServer() {
  const server = await startEngineIoConformanceServer(0);
  onCleanup(server.close);
  return server;
}

async function socketIoServer() {
  const server = await startSocketIoConformanceServer(0);
  onCleanup(server.close);
  return server;
}

describe("conformance: PORT", () => {
  it("listens on 3000 unless PORT says otherwise", () => {
    expect(conformancePort({})).toBe(3000);
    expect(conformancePort({ PORT: "4567" })).toBe(4567);
    expect(() => conformancePort({ PORT: "http" })).toThrow(Error);
  });
});

describe("conformance: Engine.IO server", () => {
  it("[EIO4:polling-handshake] opens a polling session with exactly the expected open packet", async () => {
    const { port } = await engineServer();
    const res = await request(port, "/engine.io/?EIO=4&transport=polling");
    expect(res.status).toBe(200);
    const open = JSON.parse(res.body.slice(1)) as Record<string, unknown>;
    expect(res.body[0]).toBe("0");
    expect(Object.keys(open)).toEqual(["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
    expect(open).toMatchObject({ upgrades: ["websocket"], pingInterval: 300, pingTimeout: 200, maxPayload: 1000000 });
  });

  it("[EIO4:handshake] opens a websocket session with no upgrade", async () => {
    const { port } = await engineServer();
    const { open } = await RawClient.open(port, { path: "/engine.io/" });
    expect(open.upgrades).toEqual([]);
    expect(open.pingInterval).toBe(300);
  });

  it("[EIO4:polling-errors] refuses a bad EIO, a bad transport and a bad method with 400", async () => {
    const { port } = await engineServer();
    for (const [path, method] of [
      ["/engine.io/?transport=polling", "GET"],
      ["/engine.io/?EIO=abc&transport=polling", "GET"],
      ["/engine.io/?EIO=4", "GET"],
      ["/engine.io/?EIO=4&transport=abc", "GET"],
      ["/engine.io/?EIO=4&transport=polling", "POST"],
      ["/engine.io/?EIO=4&transport=polling", "PUT"],
      ["/engine.io/?EIO=4&transport=polling&sid=abc", "GET"],
    ] as const) {
      expect((await request(port, path, { method })).status).toBe(400);
    }
  });

  it("[EIO4:polling-payload] echoes text, binary and multiple packets over polling", async () => {
    const { port } = await engineServer();
    const client = new PollingClient(port);
    await client.handshake();
    expect((await client.post("4hello")).status).toBe(200);
    expect((await client.get()).body).toBe("4hello");
    await client.post("bAQIDBA==");
    expect((await client.get()).body).toBe("bAQIDBA==");
    await client.post("4hello\x1ebAQIDBA==\x1e4world");
    expect((await client.get()).body).toBe("4hello\x1ebAQIDBA==\x1e4world");
  });

  it("[EIO4:websocket-framing] echoes text and binary over websocket", async () => {
    const { port } = await engineServer();
    const { raw } = await RawClient.open(port, { path: "/engine.io/" });
    raw.send("4hello");
    expect(await raw.nextText("4")).toBe("4hello");
    raw.send(Buffer.from([1, 2, 3, 4]));
    expect(await raw.next((f) => Buffer.isBuffer(f))).toEqual(Buffer.from([1, 2, 3, 4]));
  });

  it("[EIO4:heartbeat] pings over polling, and a session without pong is gone (400) after pingInterval + pingTimeout", async () => {
    const { port, engine } = await engineServer();
    const connection = once(engine, "connection") as Promise<[EngineSocket]>;
    const client = new PollingClient(port);
    await client.handshake();
    const [socket] = await connection;
    const closed = new Promise((resolve) => socket.once("close", resolve));
    expect((await client.get()).body).toBe("2");
    expect(await closed).toBe("ping timeout");
    expect((await client.get()).status).toBe(400);
  });

  it("[EIO4:heartbeat] pings over websocket and closes it without pong", async () => {
    const { port } = await engineServer();
    const { raw } = await RawClient.open(port, { path: "/engine.io/", autoPong: false });
    expect(await raw.nextText("2")).toBe("2");
    await raw.closed;
  });

  it("[EIO4:close] a client close over polling: the pending GET gets 6, the next 400", async () => {
    const { port, engine } = await engineServer();
    const client = new PollingClient(port);
    await client.handshake();
    const { response } = await pendingGet(engine, client);
    await client.post("1");
    expect((await response).body).toBe("6");
    expect((await client.get()).status).toBe(400);
  });

  it("[EIO4:upgrade] upgrades polling to websocket; later polling requests 400; a second websocket is closed", async () => {
    const { port } = await engineServer();
    const client = new PollingClient(port);
    await client.handshake();
    const url = `ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket&sid=${client.sid}`;
    const ws = new TestClient(url);
    await once(ws.ws, "open");
    ws.send("2probe");
    expect(await ws.nextText()).toBe("3probe");
    ws.send("5");
    ws.send("4hello");
    expect(await ws.nextText()).toBe("4hello");
    expect((await client.get()).status).toBe(400);
    const second = new TestClient(url);
    await second.closed;
  });
});

describe("conformance: Socket.IO server", () => {
  it("[SIO5:connect] connects to / and emits auth with the handshake's auth", async () => {
    const { port } = await socketIoServer();
    const { raw } = await RawClient.open(port);
    raw.send('40{"token":"123"}');
    expect(await raw.nextText("40")).toMatch(/^40\{"sid":"[^"]+"\}$/);
    expect(await raw.nextText("42")).toBe('42["auth",{"token":"123"}]');
  });

  it("[SIO5:namespace] connects to /custom, which emits auth too", async () => {
    const { port } = await socketIoServer();
    const { raw } = await RawClient.open(port);
    raw.send("40/custom,");
    expect(await raw.nextText("40/custom,")).toMatch(/^40\/custom,\{"sid":"[^"]+"\}$/);
    expect(await raw.nextText("42/custom,")).toBe('42/custom,["auth",{}]');
  });

  it("[SIO5:invalid-namespace] refuses any other namespace", async () => {
    const { port } = await socketIoServer();
    const { raw } = await RawClient.open(port);
    raw.send("40/random,");
    expect(await raw.nextText("44")).toBe('44/random,{"message":"Invalid namespace"}');
  });

  it("[SIO5:event-payload] answers message with message-back, binary included", async () => {
    const { port } = await socketIoServer();
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    raw.send('42["message",1,"2",{"3":[true]}]');
    expect(await raw.nextText('42["message-back"')).toBe('42["message-back",1,"2",{"3":[true]}]');
    raw.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    raw.send(Buffer.from([1, 2, 3]));
    raw.send(Buffer.from([4, 5, 6]));
    expect(await raw.nextText("452-")).toBe('452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    expect(await raw.next((f) => Buffer.isBuffer(f))).toEqual(Buffer.from([1, 2, 3]));
    expect(await raw.next((f) => Buffer.isBuffer(f))).toEqual(Buffer.from([4, 5, 6]));
  });

  it("[SIO5:ack] calls the ack of message-with-ack with the same arguments", async () => {
    const { port } = await socketIoServer();
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    raw.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    expect(await raw.nextText("43")).toBe('43456[1,"2",{"3":[false]}]');
    raw.send('451-457["message-with-ack",{"_placeholder":true,"num":0}]');
    raw.send(Buffer.from([7, 8]));
    expect(await raw.nextText("46")).toBe('461-457[{"_placeholder":true,"num":0}]');
    expect(await raw.next((f) => Buffer.isBuffer(f))).toEqual(Buffer.from([7, 8]));
  });

  it("[EIO4:polling-handshake] speaks polling on /socket.io/ with the suite's timings", async () => {
    const { port } = await socketIoServer();
    const client = new PollingClient(port, "/socket.io/");
    const handshake = await client.handshake({ headers: { Origin: "http://suite.example" } });
    // Engine options given to the Socket.IO Server reach its engine: CORS for the browser runner.
    expect(handshake.headers["access-control-allow-origin"]).toBe("*");
    expect(client.open).toMatchObject({ upgrades: ["websocket"], pingInterval: 300, pingTimeout: 200, maxPayload: 1000000 });
    await client.post("40");
    expect((await client.get()).body).toMatch(/^40\{"sid":"[^"]+"\}\x1e42\["auth",\{\}\]$/);
  });

  it("[SIO5:connect-timeout] closes a connection that never joins a namespace after connectTimeout", async () => {
    const { port } = await socketIoServer();
    const { raw } = await RawClient.open(port);
    await raw.closed;
    expect(raw.texts().filter((t) => t.startsWith("4"))).toEqual([]);
  });
});
