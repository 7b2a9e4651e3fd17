/**
 * A WebSocket session listens for its socket's `drain` only from the first time the socket's
 * buffer fills (no bound listener per connection at the handshake). This checks that nothing is
 * lost by it: a socket filled by the session's own writes, with nobody asking `writable`, still
 * tells the session when it drains (the engine socket's `drain` event, and what was queued
 * meanwhile goes out).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, startServer } from "../support/harness.ts";
import { fill, stalledPair } from "./support.ts";

afterEach(cleanup);

const MiB = 1024 * 1024;
const PAYLOAD = "x".repeat(16 * 1024);

describe("the WebSocket transport's drain listener", () => {
  it("is added when the socket's buffer first fills, and the drain that follows reaches the session", async () => {
    const fx = await startServer({ maxBufferedBytes: 64 * MiB, pingInterval: 60_000, pingTimeout: 60_000 });
    const { client, server, serverRaw } = await stalledPair(fx);
    // Connected and answered: no drain listener yet.
    expect(serverRaw.listenerCount("drain")).toBe(0);

    // Filled by the session's own writes; the stop condition reads the raw socket, not
    // `conn.writable` (which would add the listener itself).
    const filled = await fill(() => server.emit("fill", PAYLOAD), PAYLOAD.length, {
      batch: 16,
      maxBatches: (32 * MiB) / (16 * PAYLOAD.length),
      stop: () => serverRaw.writableNeedDrain,
    });
    expect(serverRaw.writableNeedDrain, `socket not full after ${filled.emitted} bytes`).toBe(true);
    expect(serverRaw.listenerCount("drain")).toBe(1);

    const drained = new Promise<void>((resolve) => server.conn.once("drain", () => resolve()));
    client.resume();
    await drained;
    server.emit("end");
    await client.until("end");
    client.check();
    expect(client.events.filter((e) => e[0] === "fill")).toHaveLength(filled.emitted / PAYLOAD.length);
  });
});
