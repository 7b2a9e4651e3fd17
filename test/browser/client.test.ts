/**
 * The official socket.io-client browser bundle, in headless Chromium, against roomcast:
 * default options (long-polling, then upgrade to WebSocket), and CORS between origins.
 *
 * Both need roomcast's long-polling transport; until a polling handshake answers 200, they are
 * skipped (see support/polling-probe.ts).
 */
import http from "node:http";
import { afterEach, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { Server } from "../../src/index.ts";
import { describeInChromium } from "./support/chromium.ts";
import { listenLocal, servePage, startPageServer, type Listening } from "./support/page-server.ts";
import { probePolling } from "./support/polling-probe.ts";

const pollingAvailable = await probePolling();
if (!pollingAvailable) {
  console.warn("[browser tests] roomcast has no long-polling yet: client.test.ts tests are skipped");
}

/** What the in-page script of the default-options test reports back. */
interface DefaultRun {
  openTransport: string;
  upgradedTo: string;
  transportAfterUpgrade: string;
  ack: unknown;
  subscribed: unknown;
  news: unknown[];
  echoIsArrayBuffer: boolean;
  echoBytes: number[];
}

/** What an in-page connection attempt reports back. */
interface Attempt {
  connected: boolean;
  error?: string;
  ack?: unknown;
}

// In-page code is passed as a string: it runs in the browser, where `io` is the bundle's global.
const DEFAULT_RUN = `(async () => {
  const socket = io(); // same origin, DEFAULT options: polling first, then upgrade
  let openTransport = "";
  socket.io.once("open", () => { openTransport = socket.io.engine.transport.name; });
  const upgraded = new Promise((resolve) => socket.io.engine.once("upgrade", (t) => resolve(t.name)));
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (err) => reject(new Error("connect_error: " + err.message)));
  });
  const ack = await socket.emitWithAck("hello", "from Chromium");
  const upgradedTo = await upgraded;
  const transportAfterUpgrade = socket.io.engine.transport.name;
  const news = new Promise((resolve) => socket.once("news", (...args) => resolve(args)));
  const subscribed = await socket.emitWithAck("subscribe", "page-room");
  const bytes = new Uint8Array([1, 2, 3, 250]);
  const echo = await socket.emitWithAck("binary", bytes.buffer);
  return {
    openTransport, upgradedTo, transportAfterUpgrade, ack, subscribed, news: await news,
    echoIsArrayBuffer: echo instanceof ArrayBuffer,
    echoBytes: Array.from(new Uint8Array(echo)),
  };
})()`;

function attemptScript(url: string): string {
  return `(async () => {
    const socket = io(${JSON.stringify(url)});
    return await new Promise((resolve) => {
      socket.once("connect", async () => {
        const ack = await socket.emitWithAck("hello", "cross-origin");
        socket.close();
        resolve({ connected: true, ack });
      });
      socket.once("connect_error", (err) => {
        socket.close();
        resolve({ connected: false, error: err.message });
      });
    });
  })()`;
}

describeInChromium("official client in Chromium", (chrome) => {
  const closers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function openPage(origin: string): Promise<Page> {
    const page = await chrome.newPage();
    await page.goto(`${origin}/`);
    return page;
  }

  it.skipIf(!pollingAvailable)(
    "connects with default options, upgrades to WebSocket, and does acks, room broadcasts and binary",
    async () => {
      const httpServer = http.createServer((req, res) => void servePage(req, res));
      const io = new Server(httpServer);
      const listening = await listenLocal(httpServer);
      closers.push(async () => {
        await io.close();
        await listening.close();
      });
      const received: unknown[] = [];
      io.on("connection", (socket) => {
        socket.on("hello", (name: unknown, ack: (reply: unknown) => void) => ack(`hello ${String(name)}`));
        socket.on("subscribe", (room: string, ack: (reply: unknown) => void) => {
          void socket.join(room);
          ack(room);
          io.to(room).emit("news", "breaking", { n: 1 });
        });
        socket.on("binary", (data: unknown, ack: (reply: unknown) => void) => {
          received.push(data);
          ack(Buffer.isBuffer(data) ? Buffer.from(data).reverse() : null);
        });
      });

      const page = await openPage(listening.origin);
      const run = await page.evaluate<DefaultRun>(DEFAULT_RUN);

      expect(run.openTransport).toBe("polling");
      expect(run.upgradedTo).toBe("websocket");
      expect(run.transportAfterUpgrade).toBe("websocket");
      expect(run.ack).toBe("hello from Chromium");
      expect(run.subscribed).toBe("page-room");
      expect(run.news).toEqual(["breaking", { n: 1 }]);
      expect(received).toHaveLength(1);
      expect(Buffer.isBuffer(received[0])).toBe(true);
      expect([...(received[0] as Buffer)]).toEqual([1, 2, 3, 250]);
      expect(run.echoIsArrayBuffer).toBe(true);
      expect(run.echoBytes).toEqual([250, 3, 2, 1]);
    },
  );

  async function corsSetup(): Promise<{ allowed: Listening; foreign: Listening; roomcast: Listening; connections: string[] }> {
    const allowed = await startPageServer();
    const foreign = await startPageServer();
    const httpServer = http.createServer();
    const io = new Server(httpServer, { cors: { origin: allowed.origin } });
    const roomcast = await listenLocal(httpServer);
    closers.push(allowed.close, foreign.close, async () => {
      await io.close();
      await roomcast.close();
    });
    const connections: string[] = [];
    io.on("connection", (socket) => {
      connections.push(String(socket.handshake.headers.origin));
      socket.on("hello", (name: unknown, ack: (reply: unknown) => void) => ack(`hello ${String(name)}`));
    });
    return { allowed, foreign, roomcast, connections };
  }

  it.skipIf(!pollingAvailable)("connects from another origin when cors allows that origin", async () => {
    const { allowed, roomcast, connections } = await corsSetup();
    const page = await openPage(allowed.origin);
    const attempt = await page.evaluate<Attempt>(attemptScript(roomcast.origin));
    expect(attempt).toEqual({ connected: true, ack: "hello cross-origin" });
    expect(connections).toEqual([allowed.origin]);
  });

  it.skipIf(!pollingAvailable)("cannot connect from an origin cors does not allow", async () => {
    const { foreign, roomcast, connections } = await corsSetup();
    const page = await openPage(foreign.origin);
    const attempt = await page.evaluate<Attempt>(attemptScript(roomcast.origin));
    expect(attempt.connected).toBe(false);
    expect(attempt.error).toBe("xhr poll error");
    // The browser withheld the handshake response, so no Socket.IO CONNECT was ever sent.
    expect(connections).toEqual([]);
  });
});
