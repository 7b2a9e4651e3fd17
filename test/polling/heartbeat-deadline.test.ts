/**
 * [EIO4:heartbeat] The pong deadline holds even when the timeout timer is late. Node runs I/O that
 * is ready before a timer that is due, so on a busy server a poll arriving just after the deadline
 * used to be served (the ping delivered, the dead session kept) while the timer waited its turn.
 *
 * "Deadline passed, timer not run yet" is set up, not raced for: setTimeout is faked (the heartbeat
 * timers only run when the test advances them) and performance.now is the test's own clock, moved
 * with the timers (see {@link advance}) or alone (the deadline passes, the timer does not run).
 */
import { once } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EngineSocket } from "../../src/transport/index.ts";
import { cleanup, closeReason, connect, startServer } from "../transport/helpers.ts";
import type { Fixture } from "../transport/helpers.ts";
import { PollingClient } from "./helpers.ts";

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;

/** The clock performance.now reads during a test. */
let clock = 0;

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await cleanup();
});

/** Moves the clock and the timers together, as real time does: the heartbeat timers due by then run. */
function advance(ms: number): void {
  clock += ms;
  vi.advanceTimersByTime(ms);
}

/** Fakes the session timers and the clock, then starts a server with the suite's heartbeat settings. */
async function serverWithManualClock(): Promise<Fixture> {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  clock = 10_000;
  vi.spyOn(performance, "now").mockImplementation(() => clock);
  return startServer({ pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT });
}

async function pollingSession(fx: Fixture): Promise<{ client: PollingClient; socket: EngineSocket }> {
  const connection = once(fx.engine, "connection") as Promise<[EngineSocket]>;
  const client = new PollingClient(fx.port);
  await client.handshake();
  const [socket] = await connection;
  return { client, socket };
}

/** Resolves with "heartbeat" if the session took a pong, or with its close reason. */
function pongOrClose(socket: EngineSocket): Promise<string> {
  return Promise.race([closeReason(socket), once(socket, "heartbeat").then(() => "heartbeat")]);
}

describe("pong deadline, when the timeout timer has not run yet", () => {
  it("refuses a poll that arrives at the deadline: 400, and the session closes with ping timeout", async () => {
    const fx = await serverWithManualClock();
    const { client, socket } = await pollingSession(fx);
    const reason = closeReason(socket);
    advance(PING_INTERVAL); // the ping is queued; its pong is due PING_TIMEOUT later
    clock += PING_TIMEOUT;

    const res = await client.get();
    expect(res.status).toBe(400);
    expect(res.body).toBe('{"code":1,"message":"Session ID unknown"}');
    expect(await reason).toBe("ping timeout");
    expect(fx.engine.clientsCount).toBe(0);
  });

  it("refuses a late POSTed pong the same way", async () => {
    const fx = await serverWithManualClock();
    const { client, socket } = await pollingSession(fx);
    const outcome = pongOrClose(socket);
    advance(PING_INTERVAL);
    clock += PING_TIMEOUT + 1;

    expect((await client.post("3")).status).toBe(400);
    expect(await outcome).toBe("ping timeout");
  });

  it("still serves a poll one millisecond before the deadline, and its pong keeps the session", async () => {
    const fx = await serverWithManualClock();
    const { client, socket } = await pollingSession(fx);
    advance(PING_INTERVAL);
    clock += PING_TIMEOUT - 1;

    expect(await client.get()).toMatchObject({ status: 200, body: "2" });
    const outcome = pongOrClose(socket);
    expect((await client.post("3")).status).toBe(200);
    expect(await outcome).toBe("heartbeat");
    expect(socket.readyState).toBe("open");
  });

  it("closes a WebSocket session whose pong arrives after the deadline instead of reviving it", async () => {
    const fx = await serverWithManualClock();
    const { client, socket } = await connect(fx);
    advance(PING_INTERVAL);
    expect(await client.nextText()).toBe("2");
    clock += PING_TIMEOUT;

    const outcome = pongOrClose(socket);
    client.send("3");
    expect(await outcome).toBe("ping timeout");
    await client.closed;
  });
});
