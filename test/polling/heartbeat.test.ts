/**
 * [EIO4:heartbeat] The heartbeat over polling: the ping rides a GET, the pong a POST, and a
 * session without pong is gone exactly pingInterval + pingTimeout after the handshake. The
 * exactness tests drive the heartbeat with vitest's fake clock (setTimeout, clearTimeout and
 * performance, which the heartbeat queues read their deadlines from, are faked; the sockets stay
 * real), so they assert instants, not wall time.
 */
import { once } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EngineSocket } from "../../src/transport/index.ts";
import { cleanup, closeReason, startServer } from "../transport/helpers.ts";
import type { Fixture } from "../transport/helpers.ts";
import { pendingGet, PollingClient } from "./helpers.ts";

afterEach(async () => {
  vi.useRealTimers();
  await cleanup();
});

async function session(fx: Fixture): Promise<{ client: PollingClient; socket: EngineSocket }> {
  const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
  const client = new PollingClient(fx.port);
  await client.handshake();
  const [socket] = await connection;
  return { client, socket };
}

describe("heartbeat over polling", () => {
  it("sends the ping in a GET, and a POSTed pong keeps the session alive for more rounds", async () => {
    const fx = await startServer({ pingInterval: 20, pingTimeout: 5000 });
    const { client, socket } = await session(fx);
    for (let round = 0; round < 3; round++) {
      expect((await client.get()).body).toBe("2");
      const heartbeat = once(socket, "heartbeat");
      expect((await client.post("3")).status).toBe(200);
      await heartbeat;
    }
    expect(socket.readyState).toBe("open");
  });

  it("closes a session without pong exactly at pingInterval + pingTimeout, then refuses its requests", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const fx = await startServer({ pingInterval: 300, pingTimeout: 200 });
    const { client, socket } = await session(fx);
    const reasons: string[] = [];
    socket.on("close", (reason) => reasons.push(reason));
    const pings: unknown[] = [];
    socket.on("packetCreate", (p) => pings.push(p.type));

    vi.advanceTimersByTime(299);
    expect(pings).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(pings).toEqual(["ping"]);
    vi.advanceTimersByTime(199);
    expect(reasons).toEqual([]);
    expect(socket.readyState).toBe("open");
    vi.advanceTimersByTime(1);
    expect(reasons).toEqual(["ping timeout"]);
    expect(fx.engine.clientsCount).toBe(0);

    const res = await client.get();
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":1,"message":"Session ID unknown"}');
  });

  it("a pong restarts the clock: closed exactly pingInterval + pingTimeout after the last pong's ping", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const fx = await startServer({ pingInterval: 300, pingTimeout: 200 });
    const { client, socket } = await session(fx);
    const reasons: string[] = [];
    socket.on("close", (reason) => reasons.push(reason));
    vi.advanceTimersByTime(300);
    expect((await client.get()).body).toBe("2");
    vi.advanceTimersByTime(150);
    const heartbeat = once(socket, "heartbeat");
    await client.post("3");
    await heartbeat;
    vi.advanceTimersByTime(499);
    expect(reasons).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reasons).toEqual(["ping timeout"]);
  });

  it("answers a pending GET with the close packet when the ping times out while it is held", async () => {
    // The fake clock: with real 20 ms timers a loaded machine could let the ping time out before
    // the GET reached the server, and the test would wait for a pending GET that never comes.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const fx = await startServer({ pingInterval: 300, pingTimeout: 200 });
    const { client, socket } = await session(fx);
    const reason = closeReason(socket);
    vi.advanceTimersByTime(300);
    expect((await client.get()).body).toBe("2");
    const { response } = await pendingGet(fx.engine, client);
    vi.advanceTimersByTime(200);
    expect(await reason).toBe("ping timeout");
    expect((await response).body).toBe("1");
  });
});
