/**
 * `writeDelay` and [EIO4:buffer-bound]: held packets count toward maxBufferedBytes. Past it a
 * session that can write stops holding (it writes at the end of that tick); one that cannot is
 * cut as without writeDelay. And [SIO5:volatile] packets are still dropped while the connection
 * is backed up.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TransportFailure } from "../../src/index.ts";
import { fill, stalledPair } from "../backpressure/support.ts";
import { cleanup, connectPair, startServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { LONG_WINDOW_MS, QUIET_HEARTBEAT, turn, writes } from "./support.ts";

afterEach(cleanup);

const KiB = 1024;
const MiB = 1024 * KiB;
const PAYLOAD = "x".repeat(16 * KiB);

/**
 * Emits a burst far larger than the kernel's buffers on both ends take on loopback (a few MiB,
 * bounded by net.ipv4.tcp_wmem/tcp_rmem), in one tick, to a quiet session: it is written at
 * once and leaves the server's socket above its high-water mark.
 */
async function backUp(server: ServerSocket): Promise<number> {
  const count = (32 * MiB) / PAYLOAD.length;
  for (let i = 0; i < count; i++) server.emit("fill", PAYLOAD);
  await turn();
  return count;
}

describe("writeDelay and [EIO4:buffer-bound]", () => {
  it("a session holding more than maxBufferedBytes writes it at the end of that tick instead of waiting for the window", async () => {
    const MAX_BUFFERED = 64 * KiB;
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, maxBufferedBytes: MAX_BUFFERED, ...QUIET_HEARTBEAT });
    const { client, server } = await connectPair(fx.io, fx.url());
    const log = writes(server);
    let disconnected = false;
    server.on("disconnect", () => {
      disconnected = true;
    });
    const got: number[] = [];
    client.on("c", (i: number, data: string) => {
      if (data === PAYLOAD) got.push(i);
    });
    // The CONNECT answer opened a window: each chunk is held, and the held bytes grow by
    // 16 KiB a turn. The fourth chunk takes them past 64 KiB.
    const seen: number[][] = [];
    for (let i = 0; i < 4; i++) {
      server.emit("c", i, PAYLOAD);
      await turn();
      seen.push([...log]);
    }
    expect(seen).toEqual([[], [], [], [4]]);
    const done = new Promise<void>((resolve) => client.once("end", () => resolve()));
    server.emit("end");
    await done;
    expect(got).toEqual([0, 1, 2, 3]);
    expect(disconnected).toBe(false);
    expect(server.connected).toBe(true);
  });

  it("a WebSocket client that stops reading is cut with ROOMCAST_ERR_BUFFER_FULL, held packets counted, memory bounded", async () => {
    const MAX_BUFFERED = 256 * KiB;
    /** Half the bound per turn: a batch is held for a turn before the next one takes it past. */
    const BATCH = 8;
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, maxBufferedBytes: MAX_BUFFERED, ...QUIET_HEARTBEAT });
    const stalled = await stalledPair(fx);
    let disconnect: [string, unknown] | undefined;
    stalled.server.on("disconnect", (reason, description) => {
      disconnect = [reason, description];
    });
    let heldAtDisconnect = -1;
    stalled.server.on("disconnecting", () => {
      heldAtDisconnect = stalled.serverRaw.writableLength;
    });
    // Held from the first batch on (the CONNECT answer opened the window); every time the held
    // bytes pass the bound they are written, until the kernel's buffers are full and the
    // session, unable to write, passes the bound again.
    const result = await fill(() => stalled.server.emit("fill", PAYLOAD), PAYLOAD.length, {
      batch: BATCH,
      maxBatches: (128 * MiB) / (BATCH * PAYLOAD.length),
      stop: () => disconnect !== undefined,
    });
    expect(disconnect, `no disconnect after ${result.emitted} bytes`).toBeDefined();
    const [reason, description] = disconnect ?? [];
    expect(reason).toBe("transport error");
    expect(description).toBeInstanceOf(TransportFailure);
    expect((description as TransportFailure).code).toBe("ROOMCAST_ERR_BUFFER_FULL");
    expect(result.emitted).toBeLessThan(64 * MiB);
    // Left on the server's socket: at most one write of what was held (the bound plus one
    // turn's batch) and the stream's high-water mark.
    expect(heldAtDisconnect).toBeGreaterThanOrEqual(0);
    expect(heldAtDisconnect).toBeLessThanOrEqual(MAX_BUFFERED + BATCH * (PAYLOAD.length + 32) + stalled.serverRaw.writableHighWaterMark);
    expect(stalled.server.connected).toBe(false);
  });
});

describe("writeDelay and [SIO5:volatile]", () => {
  it("drops volatile packets while the WebSocket cannot write; the others arrive in order once the client reads", async () => {
    const fx = await startServer({ writeDelay: LONG_WINDOW_MS, maxBufferedBytes: 256 * MiB, ...QUIET_HEARTBEAT });
    const { client, server } = await stalledPair(fx);
    await fx.io.engine.writeCoalescer?.idle();
    const filled = await backUp(server);
    expect(server.conn.writable).toBe(false);
    for (let i = 0; i < 3; i++) {
      server.volatile.emit("v", i);
      server.emit("n", i);
      await turn();
    }
    const drained = new Promise<void>((resolve) => server.conn.once("drain", () => resolve()));
    client.resume();
    await drained;
    expect(server.conn.writable).toBe(true);
    server.volatile.emit("v-after");
    server.emit("end");
    await client.until("end");
    client.check();
    expect(client.events.filter((e) => e[0] === "fill")).toHaveLength(filled);
    expect(client.events.filter((e) => e[0] !== "fill")).toEqual([["n", 0], ["n", 1], ["n", 2], ["v-after"], ["end"]]);
  });
});
