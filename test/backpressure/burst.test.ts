/**
 * [EIO4:buffer-bound] The cap bounds what waits for a transport that cannot write. A burst
 * queued in one tick while the transport can write is handed to it whole at the end of the tick
 * (over WebSocket it is then the kernel's to buffer, over polling it is the pending GET's
 * answer), so a client that reads is not disconnected for receiving more than the cap at once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connectPair, type Pair, startServer, waitFor } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";

afterEach(cleanup);

const KiB = 1024;
const MiB = 1024 * KiB;
const MAX_BUFFERED = 1 * MiB;
const PAYLOAD = "y".repeat(16 * KiB);
/** 2 MiB: twice the cap. */
const COUNT = (2 * MiB) / PAYLOAD.length;

/** Counts `chunk` events until `done`; rejects on a disconnect first. */
function receiveBurst(pair: Pair): Promise<number> {
  return new Promise((resolve, reject) => {
    let chunks = 0;
    pair.client.on("chunk", (i: number, data: string) => {
      if (i !== chunks || data !== PAYLOAD) reject(new Error(`chunk ${chunks} arrived as ${i}`));
      chunks++;
    });
    pair.client.once("done", () => resolve(chunks));
    pair.client.once("disconnect", (reason: string) => reject(new Error(`client disconnected: ${reason}`)));
  });
}

/** Emits the whole burst, then the marker, in one tick. */
function burst(server: ServerSocket): void {
  for (let i = 0; i < COUNT; i++) server.emit("chunk", i, PAYLOAD);
  server.emit("done");
}

describe("[EIO4:buffer-bound] a client that reads", () => {
  it("over WebSocket receives a burst of twice maxBufferedBytes sent in one tick, and stays connected", async () => {
    const fx = await startServer({ maxBufferedBytes: MAX_BUFFERED });
    const pair = await connectPair(fx.io, fx.url());
    let disconnected = false;
    pair.server.on("disconnect", () => {
      disconnected = true;
    });
    const received = receiveBurst(pair);
    expect(pair.server.conn.writable).toBe(true);
    burst(pair.server);
    expect(await received).toBe(COUNT);
    expect(disconnected).toBe(false);
    expect(pair.server.connected).toBe(true);
    // Still usable both ways after the burst.
    pair.client.emit("ping-me");
    await waitFor(pair.server, "ping-me");
  });

  it("over polling receives a burst of twice maxBufferedBytes sent while its GET is pending, and stays connected", async () => {
    const fx = await startServer({ maxBufferedBytes: MAX_BUFFERED, pingInterval: 60_000, pingTimeout: 60_000 });
    const pair = await connectPair(fx.io, fx.url(), { transports: ["polling"] });
    let disconnected = false;
    pair.server.on("disconnect", () => {
      disconnected = true;
    });
    const received = receiveBurst(pair);
    // The official client re-polls at once after each answer; the burst goes out when the server
    // holds that GET. (Between two GETs a polling session has nowhere to put it but its queue,
    // where the cap applies: see polling-stall.test.ts.)
    // The session says `drain` when a GET arrives to an empty queue (and when an answer is out).
    while (!pair.server.conn.writable) await waitFor(pair.server.conn, "drain");
    expect(pair.server.conn.writable).toBe(true);
    burst(pair.server);
    expect(await received).toBe(COUNT);
    expect(disconnected).toBe(false);
    expect(pair.server.connected).toBe(true);
  });
});
