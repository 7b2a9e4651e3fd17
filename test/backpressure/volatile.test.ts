/**
 * [SIO5:volatile] Above the transport's high-water mark (`socket.conn.writable` false) a volatile
 * packet is dropped rather than queued; normal packets are queued and delivered in order once
 * the client reads again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, startServer } from "../support/harness.ts";
import { fill, stalledPair } from "./support.ts";

afterEach(cleanup);

const KiB = 1024;
const MiB = 1024 * KiB;
const PAYLOAD = "x".repeat(16 * KiB);
/** Far above what the kernel buffers can take, so the cap never fires here. */
const MAX_BUFFERED = 256 * MiB;
const ROUNDS = 5;

describe("[SIO5:volatile] volatile packets above the high-water mark", () => {
  it("are dropped while the WebSocket cannot write; normal ones arrive in order once the client reads", async () => {
    const fx = await startServer({ maxBufferedBytes: MAX_BUFFERED, pingInterval: 60_000, pingTimeout: 60_000 });
    const { client, server } = await stalledPair(fx);
    let disconnected = false;
    server.on("disconnect", () => {
      disconnected = true;
    });

    // Writable: a volatile packet is queued like any other.
    expect(server.conn.writable).toBe(true);
    server.volatile.emit("v-before", 0);

    // Fill until the server's socket is above its high-water mark (the kernel's buffers are full).
    const filled = await fill(() => server.emit("fill", PAYLOAD), PAYLOAD.length, {
      batch: 16,
      maxBatches: (64 * MiB) / (16 * PAYLOAD.length),
      stop: () => !server.conn.writable,
    });
    expect(server.conn.writable, `still writable after ${filled.emitted} bytes`).toBe(false);
    expect(disconnected).toBe(false);

    for (let i = 0; i < ROUNDS; i++) {
      expect(server.conn.writable).toBe(false);
      server.volatile.emit("v", i);
      server.emit("n", i);
    }
    // Reading again drains the backlog; the session says so once its own queue is out too.
    // Listened to before anything can drain (in the same tick as the emits above).
    const drained = new Promise<void>((resolve) => server.conn.once("drain", () => resolve()));
    client.resume();
    await drained;
    expect(server.conn.writable).toBe(true);
    server.volatile.emit("v-after", 1);
    server.emit("end");
    await client.until("end");
    client.check();

    const events = client.events;
    expect(events.filter((e) => e[0] === "fill")).toHaveLength(filled.emitted / PAYLOAD.length);
    const rest = events.filter((e) => e[0] !== "fill");
    expect(rest).toEqual([
      ["v-before", 0],
      ...Array.from({ length: ROUNDS }, (_, i) => ["n", i]),
      ["v-after", 1],
      ["end"],
    ]);
    // And in place: everything before the fill, the fill, then the normal ones.
    expect(events[0]).toEqual(["v-before", 0]);
    expect(events.findIndex((e) => e[0] === "n")).toBe(1 + filled.emitted / PAYLOAD.length);
    expect(disconnected).toBe(false);
  });
});
