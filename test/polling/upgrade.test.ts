/**
 * The polling → WebSocket upgrade over raw HTTP + raw ws, then with the official clients: the
 * probe, the noop that completes the poll cycle, `5`, what happens to polling afterwards, a
 * second WebSocket, upgradeTimeout, and no event lost or duplicated across the switch.
 */
import { once } from "node:events";
import { io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineSocket, Transport } from "../../src/transport/index.ts";
import { cleanup as cleanupSio, onCleanup, startServer as startSio, whenConnected } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { cleanup, rawUpgrade, startServer, TestClient } from "../transport/helpers.ts";
import type { Fixture } from "../transport/helpers.ts";
import { pendingGet, PollingClient } from "./helpers.ts";

afterEach(async () => {
  await cleanupSio();
  await cleanup();
});

async function pollingSession(fx: Fixture): Promise<{ client: PollingClient; socket: EngineSocket }> {
  const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
  const client = new PollingClient(fx.port);
  await client.handshake();
  const [socket] = await connection;
  return { client, socket };
}

/** Opens the upgrade WebSocket for a polling session and waits until it is open. */
async function upgradeSocket(fx: Fixture, sid: string): Promise<TestClient> {
  const ws = new TestClient(fx.wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
  await once(ws.ws, "open");
  return ws;
}

describe("[EIO4:upgrade] upgrade sequence", () => {
  it("probe → 3probe, the pending GET gets a noop, 5 moves the session, buffered packets follow on the WebSocket", async () => {
    const fx = await startServer();
    const { client, socket } = await pollingSession(fx);
    const events: string[] = [];
    socket.on("upgrading", (t: Transport) => events.push(`upgrading ${t.name}`));
    socket.on("upgrade", (t: Transport) => events.push(`upgrade ${t.name}`));
    const { response: poll } = await pendingGet(fx.engine, client);
    const ws = await upgradeSocket(fx, client.sid);
    expect(socket.upgrading).toBe(true);
    ws.send("2probe");
    expect(await ws.nextText()).toBe("3probe");
    expect((await poll).body).toBe("6");
    // A GET during the probe is never held: it is answered at once.
    expect((await client.get()).body).toBe("6");
    // Queued while neither transport may write: goes out on the WebSocket after `5`.
    socket.send("one");
    socket.send(Buffer.from([7]));
    const upgraded = once(socket, "upgrade");
    ws.send("5");
    await upgraded;
    expect(await ws.next()).toEqual({ data: "4one", isBinary: false });
    expect(await ws.next()).toEqual({ data: Buffer.from([7]), isBinary: true });
    expect(socket.transport.name).toBe("websocket");
    expect(socket.upgrading).toBe(false);
    expect(events).toEqual(["upgrading websocket", "upgrade websocket"]);
    // The session now lives on the WebSocket.
    const message = new Promise((resolve) => socket.once("message", resolve));
    ws.send("4over ws");
    expect(await message).toBe("over ws");
  });

  it("refuses polling requests for the sid after the upgrade with 400", async () => {
    const fx = await startServer();
    const { client, socket } = await pollingSession(fx);
    const ws = await upgradeSocket(fx, client.sid);
    ws.send("2probe");
    await ws.nextText();
    const upgraded = once(socket, "upgrade");
    ws.send("5");
    await upgraded;
    const get = await client.get();
    expect(get.status).toBe(400);
    expect(get.body).toBe('{"code":3,"message":"Bad request"}');
    expect((await client.post("4x")).status).toBe(400);
    expect(socket.readyState).toBe("open");
  });

  it("accepts, then closes, a second WebSocket for an upgraded sid; the session is unharmed", async () => {
    const fx = await startServer();
    const { client, socket } = await pollingSession(fx);
    socket.on("message", (m) => socket.send(m));
    const ws = await upgradeSocket(fx, client.sid);
    ws.send("2probe");
    await ws.nextText();
    const upgraded = once(socket, "upgrade");
    ws.send("5");
    await upgraded;
    const second = await upgradeSocket(fx, client.sid);
    await second.closed;
    ws.send("4still");
    expect(await ws.nextText()).toBe("4still");
  });

  it("accepts, then closes, a second WebSocket while an upgrade is in progress", async () => {
    const fx = await startServer();
    const { client, socket } = await pollingSession(fx);
    const first = await upgradeSocket(fx, client.sid);
    const second = await upgradeSocket(fx, client.sid);
    await second.closed;
    first.send("2probe");
    expect(await first.nextText()).toBe("3probe");
    const upgraded = once(socket, "upgrade");
    first.send("5");
    await upgraded;
  });

  it("refuses the upgrade WebSocket with 400 code 3 when allowUpgrades is false", async () => {
    const fx = await startServer({ allowUpgrades: false });
    const { client, socket } = await pollingSession(fx);
    const res = await rawUpgrade(fx.port, `/engine.io/?EIO=4&transport=websocket&sid=${client.sid}`);
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":3,"message":"Bad request"}');
    expect(socket.readyState).toBe("open");
  });
});

describe("[EIO4:upgrade] failed upgrades", () => {
  it("closes the WebSocket after upgradeTimeout without 5; the session carries on over polling", async () => {
    const fx = await startServer({ upgradeTimeout: 30 });
    const { client, socket } = await pollingSession(fx);
    socket.on("message", (m) => socket.send(m));
    const ws = await upgradeSocket(fx, client.sid);
    ws.send("2probe");
    expect(await ws.nextText()).toBe("3probe");
    await ws.closed;
    expect(socket.upgrading).toBe(false);
    expect(socket.transport.name).toBe("polling");
    await client.post("4after");
    expect((await client.get()).body).toBe("4after");
  });

  it.each([
    ["a message before 5", ["2probe", "4sneaky"]],
    ["5 before any probe", ["5"]],
    ["a second probe", ["2probe", "2probe"]],
  ])("cancels the upgrade on %s; the message is not delivered and the session carries on", async (_name, frames) => {
    const fx = await startServer();
    const { client, socket } = await pollingSession(fx);
    const messages: Array<string | Buffer> = [];
    socket.on("message", (m) => messages.push(m));
    const ws = await upgradeSocket(fx, client.sid);
    for (const frame of frames) ws.send(frame);
    await ws.closed;
    const after = new Promise((resolve) => socket.once("message", resolve));
    await client.post("4after");
    await after;
    expect(messages).toEqual(["after"]);
    expect(socket.transport.name).toBe("polling");
  });

  it("closes the upgrade WebSocket when the session closes during the probe", async () => {
    const fx = await startServer();
    const { client, socket } = await pollingSession(fx);
    const ws = await upgradeSocket(fx, client.sid);
    ws.send("2probe");
    await ws.nextText();
    socket.close();
    await ws.closed;
    expect(fx.engine.clientsCount).toBe(0);
  });
});

// With writeDelay the packets sent around the probe are held for up to a window, while the
// client's poll waits for them (they go out in it when the window ends).
describe.each([0, 100])("[EIO4:upgrade] nothing lost or duplicated across the upgrade (writeDelay %i)", (writeDelay) => {
  it("raw: numbered messages both ways before, during and after the probe arrive once, in order", async () => {
    const fx = await startServer({ writeDelay });
    const N = 10;
    const serverGot: string[] = [];
    let sent = 0;
    const sendBatch = (socket: EngineSocket): void => {
      for (let i = 0; i < N; i++) socket.send(`s${sent++}`);
    };
    const allFromClient = new Promise<void>((resolve) => {
      fx.engine.on("connection", (socket: EngineSocket) => {
        sendBatch(socket);
        socket.on("upgrading", () => sendBatch(socket));
        socket.on("upgrade", () => sendBatch(socket));
        socket.on("message", (m) => {
          serverGot.push(String(m));
          if (serverGot.length === 3 * N) resolve();
        });
      });
    });
    const client = new PollingClient(fx.port);
    await client.handshake();
    const clientGot: string[] = [];
    const take = (payload: string): void => {
      for (const p of payload.split("\x1e")) if (p.startsWith("4")) clientGot.push(p.slice(1));
    };
    const batch = (from: number): string => Array.from({ length: N }, (_, i) => `4c${from + i}`).join("\x1e");
    await client.post(batch(0));
    take((await client.get()).body);
    const ws = await upgradeSocket(fx, client.sid);
    const { response: poll } = await pendingGet(fx.engine, client);
    ws.send("2probe");
    expect(await ws.nextText()).toBe("3probe");
    // The poll completes with the batch sent on `upgrading` (or a noop if it raced).
    take((await poll).body);
    await client.post(batch(N));
    // Re-poll until released: during the probe no GET is held.
    take((await client.get()).body);
    ws.send("5");
    for (let i = 0; i < N; i++) ws.send(`4c${2 * N + i}`);
    while (clientGot.length < 3 * N) {
      const frame = await ws.nextText();
      if (frame.startsWith("4")) clientGot.push(frame.slice(1));
    }
    await allFromClient;
    expect(clientGot).toEqual(Array.from({ length: 3 * N }, (_, i) => `s${i}`));
    expect(serverGot).toEqual(Array.from({ length: 3 * N }, (_, i) => `c${i}`));
  });

  it("socket.io-client with default options: numbered events both ways across the upgrade, exactly once each", async () => {
    const { io, url } = await startSio({ writeDelay });
    const N = 50;
    const serverGot: number[] = [];
    const serverDone = new Promise<void>((resolve) => {
      io.on("connection", (socket: ServerSocket) => {
        let n = 0;
        const burst = (): void => {
          for (let i = 0; i < N; i++) socket.emit("s", n++);
        };
        burst();
        socket.conn.on("upgrading", burst);
        socket.conn.on("upgrade", burst);
        socket.on("c", (i: number) => {
          serverGot.push(i);
          if (serverGot.length === 3 * N) resolve();
        });
      });
    });
    const client = ioc(url(), { forceNew: true, reconnection: false });
    onCleanup(() => {
      client.disconnect();
    });
    const clientGot: number[] = [];
    const clientDone = new Promise<void>((resolve) => {
      client.on("s", (i: number) => {
        clientGot.push(i);
        if (clientGot.length === 3 * N) resolve();
      });
    });
    let c = 0;
    const burst = (): void => {
      for (let i = 0; i < N; i++) client.emit("c", c++);
    };
    const engine = client.io.engine;
    const transports: string[] = [engine.transport.name];
    engine.on("upgrading", () => burst());
    engine.on("upgrade", (t: { name: string }) => {
      transports.push(t.name);
      burst();
    });
    client.on("connect", burst);
    await whenConnected(client);
    await Promise.all([serverDone, clientDone]);
    expect(transports).toEqual(["polling", "websocket"]);
    expect(serverGot).toEqual(Array.from({ length: 3 * N }, (_, i) => i));
    expect(clientGot).toEqual(Array.from({ length: 3 * N }, (_, i) => i));
  });
});
