/**
 * [EIO4:buffer-bound] A WebSocket client that stops reading is disconnected once its session
 * holds more than maxBufferedBytes, instead of growing the server's memory without end (the
 * flaw of socket.io's unbounded write buffer, socketio/engine.io#420).
 */
import { afterEach, describe, expect, it } from "vitest";
import { TransportFailure } from "../../src/index.ts";
import { cleanup, connectPair, record, startServer } from "../support/harness.ts";
import { fill, stalledPair } from "./support.ts";

afterEach(cleanup);

const KiB = 1024;
const MiB = 1024 * KiB;
const MAX_BUFFERED = 256 * KiB;
const PAYLOAD = "x".repeat(16 * KiB);
/** 16 messages of 16 KiB per turn: 256 KiB, one maxBufferedBytes' worth. */
const BATCH = 16;
/**
 * What may be emitted before the disconnect: the cap, plus what the kernel's buffers on both
 * ends take (on loopback a few MiB; net.ipv4.tcp_wmem/tcp_rmem bound them). Generous, because it
 * bounds memory, not time; an unbounded buffer runs into the loop's own limit of twice this.
 */
const EMITTED_BOUND = 64 * MiB;
const MAX_BATCHES = (2 * EMITTED_BOUND) / (BATCH * PAYLOAD.length);

describe("[EIO4:buffer-bound] a WebSocket client that stops reading", () => {
  it("is disconnected with ROOMCAST_ERR_BUFFER_FULL, its server-side memory bounded, and other clients keep receiving", async () => {
    const fx = await startServer({ maxBufferedBytes: MAX_BUFFERED, pingInterval: 60_000, pingTimeout: 60_000 });
    const good = await connectPair(fx.io, fx.url());
    const goodRec = record(good.client);
    const stalled = await stalledPair(fx);

    let disconnect: [string, unknown] | undefined;
    stalled.server.on("disconnect", (reason, description) => {
      disconnect = [reason, description];
    });
    // What the server's own socket still holds in user space when the session gives up.
    let heldAtDisconnect = -1;
    stalled.server.on("disconnecting", () => {
      heldAtDisconnect = stalled.serverRaw.writableLength;
    });

    const result = await fill(() => stalled.server.emit("fill", PAYLOAD), PAYLOAD.length, {
      batch: BATCH,
      maxBatches: MAX_BATCHES,
      stop: () => disconnect !== undefined,
      // The reading client gets a small message per turn all along.
      afterBatch: (batch) => good.server.emit("tick", batch),
    });

    expect(disconnect, `no disconnect after ${result.emitted} bytes`).toBeDefined();
    const [reason, description] = disconnect ?? [];
    expect(reason).toBe("transport error");
    expect(description).toBeInstanceOf(TransportFailure);
    expect((description as TransportFailure).code).toBe("ROOMCAST_ERR_BUFFER_FULL");
    expect((description as TransportFailure).message).toContain(`maxBufferedBytes (${MAX_BUFFERED})`);
    // It took more than the cap to get there (the kernel took its share first)...
    expect(result.emitted).toBeGreaterThan(MAX_BUFFERED);
    // ...but a bounded amount: the server stopped queueing for a client that does not read.
    expect(result.emitted).toBeLessThan(EMITTED_BOUND);
    // User-space memory left on the server's socket: at most one flush (a turn's batch, handed
    // over while the socket was still writable) plus the stream's high-water mark.
    expect(heldAtDisconnect).toBeGreaterThanOrEqual(0);
    expect(heldAtDisconnect).toBeLessThanOrEqual(BATCH * (PAYLOAD.length + 32) + stalled.serverRaw.writableHighWaterMark);
    expect(stalled.server.connected).toBe(false);
    expect(fx.io.sockets.sockets.has(stalled.server.id)).toBe(false);

    // The well-behaved client lost nothing and still receives broadcasts.
    fx.io.emit("after", "broadcast");
    expect(await goodRec.until("after")).toEqual(Array.from({ length: result.batches }, (_, i) => ["tick", i]));
    expect(good.client.connected).toBe(true);
    expect(good.server.connected).toBe(true);
  });

  it("lets go of the TCP connection at once rather than waiting for a client that does not read", async () => {
    const fx = await startServer({ maxBufferedBytes: MAX_BUFFERED, pingInterval: 60_000, pingTimeout: 60_000 });
    const stalled = await stalledPair(fx);
    let disconnected = false;
    stalled.server.on("disconnect", () => {
      disconnected = true;
    });
    const rawClosed = new Promise<void>((resolve) => stalled.serverRaw.once("close", () => resolve()));
    await fill(() => stalled.server.emit("fill", PAYLOAD), PAYLOAD.length, {
      batch: BATCH,
      maxBatches: MAX_BATCHES,
      stop: () => disconnected,
    });
    expect(disconnected).toBe(true);
    // A close frame queued behind megabytes the client will never read would keep the socket
    // (and what it holds) until ws' 30 s close timeout: the server destroys it instead. The
    // client is still connected and still not reading, so only the server can close this.
    await rawClosed;
    expect(stalled.serverRaw.destroyed).toBe(true);
  });
});
