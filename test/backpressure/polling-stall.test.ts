/**
 * [EIO4:buffer-bound] Over HTTP long-polling the session holds everything for a client that
 * stops issuing GETs (there is no kernel buffer to hand it to): maxBufferedBytes bounds that.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TransportFailure } from "../../src/index.ts";
import { PollingClient } from "../polling/helpers.ts";
import { cleanup, connectRecorded, startServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { fill } from "./support.ts";

afterEach(cleanup);

const KiB = 1024;
const MAX_BUFFERED = 256 * KiB;
const PAYLOAD = "x".repeat(16 * KiB);
const BATCH = 4;

describe("[EIO4:buffer-bound] a polling client that stops issuing GETs", () => {
  it("is disconnected with ROOMCAST_ERR_BUFFER_FULL once maxBufferedBytes is queued, and other clients keep receiving", async () => {
    // A long heartbeat: the ping (queued like any packet) must not close the session first.
    const fx = await startServer({ maxBufferedBytes: MAX_BUFFERED, pingInterval: 60_000, pingTimeout: 60_000 });
    const good = await connectRecorded(fx.url(), { transports: ["polling"] });

    const stalled = new PollingClient(fx.port, "/socket.io/");
    const serverSide = new Promise<ServerSocket>((resolve) => fx.io.once("connection", resolve));
    await stalled.handshake();
    expect((await stalled.post("40")).body).toBe("ok");
    // [SIO5:connect] the CONNECT answer; after this GET the client issues no other.
    expect((await stalled.get()).body).toMatch(/^40\{"sid":"[^"]+"\}$/);
    const server = await serverSide;
    expect(server.conn.writable).toBe(false);

    let disconnect: [string, unknown] | undefined;
    server.on("disconnect", (reason, description) => {
      disconnect = [reason, description];
    });
    const result = await fill(() => server.emit("fill", PAYLOAD), PAYLOAD.length, {
      batch: BATCH,
      maxBatches: 1024,
      stop: () => disconnect !== undefined,
    });

    expect(disconnect, `no disconnect after ${result.emitted} bytes`).toBeDefined();
    const [reason, description] = disconnect ?? [];
    expect(reason).toBe("transport error");
    expect(description).toBeInstanceOf(TransportFailure);
    expect((description as TransportFailure).code).toBe("ROOMCAST_ERR_BUFFER_FULL");
    expect((description as TransportFailure).message).toContain("polling transport");
    // Nothing else buffers for polling, so the bound is tight: the session closed in the turn
    // its queue passed the cap (each message weighs its payload plus the packet's framing).
    expect(result.emitted).toBeGreaterThan(MAX_BUFFERED - BATCH * PAYLOAD.length);
    expect(result.emitted).toBeLessThanOrEqual(MAX_BUFFERED + BATCH * PAYLOAD.length);

    // The session is gone: a late GET is told so.
    const late = await stalled.get();
    expect(late.status).toBe(400);
    expect(JSON.parse(late.body)).toEqual({ code: 1, message: "Session ID unknown" });

    fx.io.emit("after", "broadcast");
    await good.rec.until("after");
    expect(good.client.connected).toBe(true);
    expect(good.rec.events).toEqual([["after", "broadcast"]]);
  });
});
