/**
 * `writeDelay` around a session's life: held packets are delivered before the close frame of
 * `socket.disconnect()` and of `io.close()` (which also stops the window's timer), go out with
 * the next poll response over long-polling, and are replayed once by connection state recovery
 * when the connection drops while they are held.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { EngineSocket } from "../../src/transport/index.ts";
import { pendingGet, PollingClient } from "../polling/helpers.ts";
import { CLIENT_KINDS, drop, recorded, resume } from "../recovery/support.ts";
import { cleanup, connectPair, startServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { cleanup as cleanupEngine, startServer as startEngine } from "../transport/helpers.ts";
import { LONG_WINDOW_MS, QUIET_HEARTBEAT, rawPair, turn, writes } from "./support.ts";

afterEach(async () => {
  await cleanup();
  await cleanupEngine();
});

/** Emits `e` 1..n, one per turn: with a window open they are all held. */
async function emitHeld(server: ServerSocket, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    server.emit("e", i);
    await turn();
  }
}

describe("writeDelay and the close", () => {
  it("[EIO4:close] socket.disconnect(true) writes the held packets, then the DISCONNECT, then the close frame", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    const { client, server } = await rawPair(fx);
    const log = writes(server);
    // The CONNECT answer opened a window: these are held.
    await emitHeld(server, 3);
    expect(log).toEqual([]);
    server.disconnect(true);
    await client.untilCloseFrame();
    expect(client.log.slice(2)).toEqual(['42["e",1]', '42["e",2]', '42["e",3]', "41", "<close>"]);
  });

  it("[SIO5:disconnect] socket.disconnect() delivers the held events before the DISCONNECT", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    const { client, server } = await connectPair(fx.io, fx.url());
    const got: unknown[] = [];
    client.on("e", (i: number) => got.push(i));
    const reason = new Promise<string>((resolve) => client.once("disconnect", resolve));
    await emitHeld(server, 3);
    server.disconnect();
    expect(await reason).toBe("io server disconnect");
    expect(got).toEqual([1, 2, 3]);
  });

  it("io.close() writes the held packets before the close frame and leaves no window timer running", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    const { client, server } = await rawPair(fx);
    const coalescer = fx.io.engine.writeCoalescer;
    await emitHeld(server, 3);
    expect(coalescer?.windowOpen).toBe(true);
    expect(coalescer?.heldCount).toBe(1);
    const closed = fx.close();
    await client.untilCloseFrame();
    // A raw client does not answer the close frame: it lets go, so the HTTP server can close.
    client.destroy();
    await closed;
    expect(client.log.slice(2)).toEqual(['42["e",1]', '42["e",2]', '42["e",3]', "<close>"]);
    expect(coalescer?.windowOpen).toBe(false);
    expect(coalescer?.heldCount).toBe(0);
  });
});

describe("writeDelay over long-polling", () => {
  it("[EIO4:polling-payload] packets held while a GET is pending go out together in it when the window ends, once", async () => {
    const fx = await startEngine({ writeDelay: LONG_WINDOW_MS, ...QUIET_HEARTBEAT });
    const connection = new Promise<EngineSocket>((resolve) => fx.engine.once("connection", resolve));
    const client = new PollingClient(fx.port);
    await client.handshake();
    const socket = await connection;
    const log: number[] = [];
    socket.on("flush", (packets) => log.push(packets.length));

    // Quiet: the first message goes out at once, in the pending GET.
    const first = await pendingGet(fx.engine, client);
    socket.send("m0");
    expect((await first.response).body).toBe("4m0");
    // It opened a window: the next ones wait for its end although a GET is pending.
    const second = await pendingGet(fx.engine, client);
    for (let i = 1; i <= 3; i++) {
      socket.send(`m${i}`);
      await turn();
    }
    expect(log).toEqual([1]);
    expect((await second.response).body).toBe("4m1\x1e4m2\x1e4m3");
    const third = await pendingGet(fx.engine, client);
    socket.send("m4");
    expect((await third.response).body).toBe("4m4");
    expect(log).toEqual([1, 3, 1]);
  });
});

describe("writeDelay and connection state recovery", () => {
  it.each(CLIENT_KINDS)("[SIO5:recovery-offset] %s: packets held when the connection drops are replayed once, in order", async (kind, opts) => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, connectionStateRecovery: {}, ...QUIET_HEARTBEAT });
    fx.io.on("connection", (socket: ServerSocket) => {
      if (!socket.recovered) void socket.join("a");
    });
    const { client, log, received } = await recorded(fx.url(), opts);
    const before = fx.io.sockets.sockets.get(client.id ?? "") as ServerSocket;
    const coalescer = fx.io.engine.writeCoalescer;
    await coalescer?.idle();
    fx.io.to("a").emit("m", 0);
    await received("m");
    // m0 opened a window: m1 and m2 are held.
    fx.io.to("a").emit("m", 1);
    await turn();
    fx.io.to("a").emit("m", 2);
    await turn();
    if (kind === "websocket-only") expect(coalescer?.heldCount).toBe(1);
    await drop(client, before);
    const after = await resume(client, fx.io);
    expect(after.recovered).toBe(true);
    fx.io.to("a").emit("m", 3);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (log.some((e) => e[0] === "m" && e[1] === 3)) resolve();
        else client.once("m", check);
      };
      check();
    });
    expect(log.filter((e) => e[0] === "m").map((e) => e[1])).toEqual([0, 1, 2, 3]);
    expect(log.filter((e) => e[0] === "<connect>")).toEqual([["<connect>", false], ["<connect>", true]]);
  });
});
