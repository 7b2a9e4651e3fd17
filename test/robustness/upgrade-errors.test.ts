/**
 * Item 2 of issue #9: every raw socket, request and upgrade socket has an error path. An
 * upgrade request that is not ours (another path, `Upgrade: h2c`, a broken WebSocket handshake)
 * followed by a TCP reset must not crash the process (the class of CVE-2022-41940), and an
 * unanswered one is not kept open for ever (engine.io's destroyUpgrade / destroyUpgradeTimeout).
 */
import type { IncomingMessage } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { cleanup, onCleanup, startServer, waitFor } from "../support/harness.ts";
import { PollingClient } from "../polling/helpers.ts";
import { describeErrors, recordProcessErrors } from "./process-errors.ts";

afterEach(cleanup);
const crashes = recordProcessErrors();

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function upgradeHead(path: string, headers: Record<string, string>): string {
  const lines = [`GET ${path} HTTP/1.1`, "Host: 127.0.0.1"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

const WS = { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": KEY };
const H2C = { Connection: "Upgrade, HTTP2-Settings", Upgrade: "h2c", "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA" };

/** A raw TCP client that sends `head` and can reset the connection (RST, not FIN). */
function rawClient(port: number, head: string): net.Socket {
  const client = net.connect(port, "127.0.0.1");
  client.on("error", () => {});
  client.write(head);
  onCleanup(() => {
    client.destroy();
  });
  return client;
}

/** Resolves with the server-side socket of the next upgrade request (seen after the engine's listener). */
function nextUpgradeSocket(server: { once(ev: "upgrade", l: (req: IncomingMessage, socket: Duplex) => void): unknown }): Promise<Duplex> {
  return new Promise((resolve) => server.once("upgrade", (_req, socket) => resolve(socket)));
}

/** Resets the client's connection and waits until the server side closed it (or the process crashed). */
async function resetAndSettle(client: net.Socket, serverSocket: Duplex): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    if (serverSocket.destroyed) resolve();
    else serverSocket.once("close", () => resolve());
  });
  client.resetAndDestroy();
  // Without an error listener the crash happens instead of the close, which then never comes.
  await Promise.race([closed, crashes.next()]);
}

describe("Upgrade requests followed by a TCP reset", () => {
  const cases: Array<{ name: string; path: string; headers: Record<string, string> }> = [
    { name: "a WebSocket upgrade on another path", path: "/other", headers: WS },
    { name: "an `Upgrade: h2c` request on another path", path: "/", headers: H2C },
    { name: "an `Upgrade: h2c` request on the engine path", path: "/socket.io/?EIO=4&transport=websocket", headers: H2C },
    { name: "a WebSocket upgrade without Sec-WebSocket-Key", path: "/socket.io/?EIO=4&transport=websocket", headers: { ...WS, "Sec-WebSocket-Key": "" } },
    { name: "a WebSocket upgrade with version 99", path: "/socket.io/?EIO=4&transport=websocket", headers: { ...WS, "Sec-WebSocket-Version": "99" } },
    { name: "a WebSocket upgrade for an unknown sid", path: "/socket.io/?EIO=4&transport=websocket&sid=nope", headers: WS },
  ];
  for (const c of cases) {
    it(`${c.name}: no crash, and the server still serves`, async () => {
      const { httpServer, port, io } = await startServer();
      const upgraded = nextUpgradeSocket(httpServer);
      const client = rawClient(port, upgradeHead(c.path, c.headers));
      await resetAndSettle(client, await upgraded);
      expect(describeErrors(crashes.errors)).toEqual([]);
      // Still serving: a new WebSocket session opens.
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
      onCleanup(() => ws.terminate());
      const [open] = await waitFor(ws, "message");
      expect(String(open).startsWith("0{")).toBe(true);
      expect(io.engine.clientsCount).toBe(1);
    });
  }

  it("a WebSocket handshake reset while an asynchronous allowRequest decides: no crash, no session", async () => {
    let asked: (decide: (err: string | null, ok: boolean) => void) => void = () => {};
    const allowRequestCalled = new Promise<(err: string | null, ok: boolean) => void>((resolve) => {
      asked = resolve;
    });
    const { httpServer, port, io } = await startServer({ allowRequest: (_req, decide) => asked(decide) });
    const upgraded = nextUpgradeSocket(httpServer);
    const client = rawClient(port, upgradeHead("/socket.io/?EIO=4&transport=websocket", WS));
    const serverSocket = await upgraded;
    const decide = await allowRequestCalled;
    await resetAndSettle(client, serverSocket);
    decide(null, true); // accepted, but the socket is gone
    expect(describeErrors(crashes.errors)).toEqual([]);
    expect(io.engine.clientsCount).toBe(0);
  });

  it("a WebSocket handshake reset while an asynchronous io.engine.use middleware runs: no crash, no session", async () => {
    let resume: (() => void) | undefined;
    const { httpServer, port, io } = await startServer();
    const entered = new Promise<void>((resolve) => {
      io.engine.use((_req: IncomingMessage, _res: unknown, next: (err?: unknown) => void) => {
        resume = () => next();
        resolve();
      });
    });
    const upgraded = nextUpgradeSocket(httpServer);
    const client = rawClient(port, upgradeHead("/socket.io/?EIO=4&transport=websocket", WS));
    const serverSocket = await upgraded;
    await entered;
    await resetAndSettle(client, serverSocket);
    resume?.(); // the middleware is done, but the socket is gone
    expect(describeErrors(crashes.errors)).toEqual([]);
    expect(io.engine.clientsCount).toBe(0);
  });

  it("a WebSocket handshake reset while an asynchronous generateId runs: no crash, no session", async () => {
    const { httpServer, port, io } = await startServer();
    let giveId: (id: string) => void = () => {};
    const asked = new Promise<void>((resolve) => {
      io.engine.generateId = () =>
        new Promise<string>((settle) => {
          giveId = settle;
          resolve();
        });
    });
    const upgraded = nextUpgradeSocket(httpServer);
    const client = rawClient(port, upgradeHead("/socket.io/?EIO=4&transport=websocket", WS));
    const serverSocket = await upgraded;
    await asked;
    await resetAndSettle(client, serverSocket);
    giveId("late-id-after-reset");
    await new Promise((resolve) => setImmediate(resolve));
    expect(describeErrors(crashes.errors)).toEqual([]);
    expect(io.engine.clientsCount).toBe(0);
  });
});

describe("Upgrade requests nobody answers [EIO4:foreign-upgrade]", () => {
  it("are destroyed after destroyUpgradeTimeout", async () => {
    const { httpServer, port } = await startServer({ destroyUpgradeTimeout: 20 });
    const upgraded = nextUpgradeSocket(httpServer);
    const client = rawClient(port, upgradeHead("/elsewhere", WS));
    const clientClosed = waitFor(client, "close");
    const serverSocket = await upgraded;
    await waitFor(serverSocket as unknown as net.Socket, "close");
    await clientClosed;
    expect(describeErrors(crashes.errors)).toEqual([]);
  });

  it("leave alone those another `upgrade` listener answered (a second WebSocket server on another path)", async () => {
    const { httpServer, port } = await startServer({ destroyUpgradeTimeout: 20 });
    const other = new WebSocketServer({ noServer: true });
    other.on("connection", (ws) => ws.on("message", (data) => ws.send(`echo:${String(data)}`)));
    onCleanup(() => other.close());
    httpServer.on("upgrade", (req, socket, head) => {
      if (req.url === "/chat") other.handleUpgrade(req, socket, head, (ws) => other.emit("connection", ws, req));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
    onCleanup(() => ws.terminate());
    await waitFor(ws, "open");
    // A second, unanswered request made after the first: timers of the same duration fire in
    // order, so once this one is destroyed the first one's deadline has passed too.
    const upgraded = nextUpgradeSocket(httpServer);
    rawClient(port, upgradeHead("/nobody", WS));
    await waitFor((await upgraded) as unknown as net.Socket, "close");
    ws.send("still there");
    const [reply] = await waitFor(ws, "message");
    expect(String(reply)).toBe("echo:still there");
  });
});

describe("Polling requests that lose their connection", () => {
  it("a POST reset mid-body closes its session with a transport error, without crashing", async () => {
    const { io, port } = await startServer();
    const client = new PollingClient(port, "/socket.io/");
    await client.handshake();
    const session = io.engine.clients.get(client.sid);
    expect(session).toBeDefined();
    const closed = waitFor(session!, "close");
    const raw = rawClient(port, [
      `POST /socket.io/?EIO=4&transport=polling&sid=${client.sid} HTTP/1.1`,
      "Host: 127.0.0.1",
      "Content-Type: text/plain;charset=UTF-8",
      "Content-Length: 1000",
      "",
      '42["partial',
    ].join("\r\n"));
    await waitFor(io.engine, "headers"); // the POST reached the session
    raw.resetAndDestroy();
    const [reason, description] = await closed;
    expect(reason).toBe("transport error");
    expect((description as { code?: string }).code).toBe("ROOMCAST_ERR_REQUEST_ABORTED");
    expect(describeErrors(crashes.errors)).toEqual([]);
  });

  it("a pending GET reset closes its session with a transport error, without crashing", async () => {
    const { io, port } = await startServer();
    const client = new PollingClient(port, "/socket.io/");
    await client.handshake();
    const session = io.engine.clients.get(client.sid)!;
    const closed = waitFor(session, "close");
    const raw = rawClient(port, `GET /socket.io/?EIO=4&transport=polling&sid=${client.sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await waitFor(io.engine, "headers"); // the GET is held by the session
    raw.resetAndDestroy();
    const [reason, description] = await closed;
    expect(reason).toBe("transport error");
    expect((description as { code?: string }).code).toBe("ROOMCAST_ERR_REQUEST_ABORTED");
    expect(describeErrors(crashes.errors)).toEqual([]);
  });
});
