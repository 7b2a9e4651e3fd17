/**
 * Item 8 of issue #9: a burst to a room with polling members must not stall the server.
 *
 * Measured before the fix (200 × 100 KB broadcasts in one tick to a room of 10 polling and 3
 * WebSocket clients, clients in another process): the polling transport answered each pending
 * GET with the whole backlog as one payload, built synchronously (encodePayload then one Buffer:
 * 30 ms per 20 MB in isolation, 230–330 ms per response under load), for every polling member in
 * the same tick: the first tick after the burst ended 1.9–2.4 s later, RSS peaked at +462 MB and
 * the WebSocket clients hit their ping timeout. With responses capped at 1 MiB: 0.3–0.45 s,
 * +114 MB. [EIO4:polling-batch]
 */
import { decodePayload, encodePayload } from "engine.io-parser";
import type { Packet as ParserPacket } from "engine.io-parser";
import { afterEach, describe, expect, it } from "vitest";
import { SharedMessage } from "../../src/transport/frame.ts";
import { POLL_BATCH_BYTES } from "../../src/transport/polling.ts";
import { encodePollingPayload } from "../../src/transport/polling-payload.ts";
import type { EnginePacket } from "../../src/transport/transport.ts";
import { cleanup, connect, startServer, waitFor, whenConnected, type ClientSocket } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { PollingClient, packets, pendingGet } from "../polling/helpers.ts";

afterEach(cleanup);

const KB = 1000;
const PAYLOAD = "x".repeat(100 * KB);
const COUNT = 40; // 4 MB: four responses' worth at least

/** Joins "/" (and the room, server side) over raw polling; returns the client once the CONNECT answer is read. */
async function rawPollingMember(port: number, io: Awaited<ReturnType<typeof startServer>>["io"]): Promise<{ client: PollingClient; socket: ServerSocket }> {
  const client = new PollingClient(port, "/socket.io/");
  await client.handshake();
  const connection = waitFor(io, "connection");
  await client.post("40");
  const [socket] = (await connection) as [ServerSocket];
  expect((await client.get()).body).toMatch(/^40\{"sid":/);
  return { client, socket };
}

/** Records the `big` indexes an official client receives until `done`; rejects on a disconnect. */
function receiveAll(client: ClientSocket): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const seen: number[] = [];
    client.on("big", (i: number, data: string) => {
      if (data !== PAYLOAD) reject(new Error(`message ${i} damaged`));
      seen.push(i);
    });
    client.once("done", () => resolve(seen));
    client.once("disconnect", (reason: string) => reject(new Error(`disconnected: ${reason}`)));
  });
}

describe("A burst to polling members [EIO4:polling-batch]", () => {
  it("goes out in responses of at most 1 MiB, in order, over several GETs; WebSocket members get everything and stay", async () => {
    const { io, port, url } = await startServer({ maxBufferedBytes: 16 * 1024 * 1024 });
    io.on("connection", (socket) => void socket.join("room"));
    const ws = await whenConnected(connect(url()));
    const official = await whenConnected(connect(url(), { transports: ["polling"] }));
    const wsGot = receiveAll(ws);
    const officialGot = receiveAll(official);
    const raw = await rawPollingMember(port, io);
    void raw.socket.join("room");

    const { response } = await pendingGet(io.engine, raw.client);
    for (let i = 0; i < COUNT; i++) io.to("room").emit("big", i, PAYLOAD);
    io.to("room").emit("done");

    // The raw member polls until it has the marker; every response is one batch.
    const indexes: number[] = [];
    const sizes: number[] = [];
    let res = await response;
    for (;;) {
      expect(res.status).toBe(200);
      sizes.push(res.raw.length);
      const events = packets(res.body).filter((p) => p.startsWith("42"));
      for (const e of events) {
        const [name, i] = JSON.parse(e.slice(2)) as [string, number];
        if (name === "big") indexes.push(i);
      }
      if (events.some((e) => e.startsWith('42["done"'))) break;
      res = await raw.client.get();
    }
    expect(indexes).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    // At most a batch, plus the one message that may straddle the limit.
    for (const size of sizes) expect(size).toBeLessThanOrEqual(POLL_BATCH_BYTES + 2 * PAYLOAD.length);

    const all = Array.from({ length: COUNT }, (_, i) => i);
    expect(await officialGot).toEqual(all);
    expect(await wsGot).toEqual(all);
    // The WebSocket member is still served afterwards.
    io.to("room").emit("after");
    await waitFor(ws, "after");
    expect(ws.connected && official.connected).toBe(true);
  });

  it("the last packets of a server-side close go out in batches too, then the close packet", async () => {
    const { io, port } = await startServer({ maxBufferedBytes: 16 * 1024 * 1024 });
    const raw = await rawPollingMember(port, io);
    const { response } = await pendingGet(io.engine, raw.client);
    for (let i = 0; i < 25; i++) raw.socket.emit("big", i, PAYLOAD);
    raw.socket.disconnect(true);
    const bodies: string[] = [];
    let res = await response;
    while (res.body !== "1") {
      expect(res.raw.length).toBeLessThanOrEqual(POLL_BATCH_BYTES + 2 * PAYLOAD.length);
      bodies.push(res.body);
      res = await raw.client.get();
    }
    const all = bodies.flatMap((b) => packets(b));
    expect(all.filter((p) => p.startsWith('42["big"')).length).toBe(25);
    expect(all.at(-1)).toBe("41");
    expect(bodies.length).toBeGreaterThanOrEqual(3);
  });
});

describe("encodePollingPayload", () => {
  it("writes exactly what engine.io-parser's encodePayload writes", () => {
    const cases: EnginePacket[][] = [
      [{ type: "open", data: '{"sid":"x"}' }],
      [{ type: "message", data: "héllo ✓ 🎉" }, { type: "ping" }, { type: "noop" }, { type: "close" }],
      [{ type: "message", data: Buffer.from([0, 1, 2, 255]) }, { type: "message", data: "" }, { type: "pong", data: "probe" }],
      [new SharedMessage('2["x","ü"]', { compress: true }), new SharedMessage(Buffer.from("bin"), { compress: false })],
    ];
    for (const list of cases) {
      let expected = "";
      encodePayload(list as ParserPacket[], (p) => (expected = p));
      expect(encodePollingPayload(list).toString("utf8")).toBe(expected);
      expect(decodePayload(encodePollingPayload(list).toString("utf8")).length).toBe(list.length);
    }
  });

  it("encodes a broadcast message once for all its polling recipients", () => {
    const shared = new SharedMessage("2[\"hi\"]", { compress: true });
    expect(shared.pollingPart()).toBe(shared.pollingPart());
  });
});
