/**
 * Connection state recovery on Redis, its bounds and its hostile cases: a forged future offset
 * leaves the session alone, a replay that never reached the client is sent again, a long
 * replay is read in pages (a few at a time per namespace, stopped when the client is gone),
 * and logged broadcasts are counted as published.
 */
import { createClient } from "redis";
import { afterEach, describe, expect, it } from "vitest";
import type { LogRead, RecoveryCommands } from "../../src/cluster/recovery-commands.ts";
import { LogReader, READ_CONCURRENCY, READ_PAGE } from "../../src/recovery/redis-read.ts";
import { padOffset } from "../../src/recovery/redis-entries.ts";
import { Replay } from "../../src/recovery/replay.ts";
import { encode } from "../../src/cluster/msgpack.ts";
import { cleanup, onCleanup, waitFor } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import type { ServerSocket } from "../support/server.ts";
import { REDIS_URL, redisAvailable, uniqueKey, type RedisClient } from "../cluster/support.ts";
import { TcpProxy } from "./proxy.ts";
import { client, node } from "./redis-node.ts";
import { drop, namesFrom, recorded, resume } from "./support.ts";

const available = await redisAvailable();

afterEach(cleanup);

describe.skipIf(!available)("recovery on Redis: hostile and long resumes", () => {
  it("[SIO5:recovery-offset] refuses a future offset without ending the session it names", async () => {
    const key = uniqueKey("rec-bounds");
    const a = await node(key);
    const { client: c, socket: before, received } = await client(await TcpProxy.start(a.port), a);
    a.io.to("a").emit("seen");
    await received("seen");
    const pid = (c as unknown as { _pid: string })._pid;
    await drop(c, before);
    for (const offset of ["999999999999999-99999999", "999999999999999-00000000"]) {
      const { raw } = await RawClient.open(a.port);
      expect(await raw.connectNsp("/", { pid, offset })).not.toBe(before.id);
    }
    const after = await resume(c, a.io);
    expect(after.recovered).toBe(true);
    expect(after.id).toBe(before.id);
  });

  it("sends a replay again when the client comes back with the offset it had (the replay never reached it)", async () => {
    const key = uniqueKey("rec-bounds");
    const a = await node(key);
    const { client: c, socket: before, log, received } = await client(await TcpProxy.start(a.port), a);
    const witness = await recorded(a.url());
    a.io.to("a").emit("seen");
    await received("seen");
    const offset = log.find((e) => e[0] === "seen")?.at(-1);
    const pid = (c as unknown as { _pid: string })._pid;
    await drop(c, before);
    a.io.to("a").emit("m", 1);
    a.io.to("a").emit("m", 2);
    await witness.received("m");
    const { raw: lost } = await RawClient.open(a.port);
    const resumed = new Promise<ServerSocket>((resolve) => a.io.once("connection", resolve));
    expect(await lost.connectNsp("/", { pid, offset })).toBe(before.id);
    const gone = waitFor(await resumed, "disconnect");
    lost.terminate();
    await gone;
    const { raw: again } = await RawClient.open(a.port);
    expect(await again.connectNsp("/", { pid, offset })).toBe(before.id);
    expect(again.texts().filter((t) => t.startsWith('42["m"')).map((t) => t.slice(0, 9))).toEqual(['42["m",1,', '42["m",2,']);
  });

  it("replays a resume of several pages whole and in order, other rooms filtered out", async () => {
    const key = uniqueKey("rec-bounds");
    const a = await node(key);
    const { client: c, socket: before, log, received } = await client(await TcpProxy.start(a.port), a);
    const witness = await recorded(a.url());
    await drop(c, before);
    const mark = log.length;
    const count = 2 * READ_PAGE + 50;
    for (let i = 0; i < count; i++) {
      a.io.to("a").emit("m", i);
      a.io.to("elsewhere").emit("not-for-it", i);
    }
    a.io.to("a").emit("end");
    await witness.received("end");
    expect((await resume(c, a.io)).recovered).toBe(true);
    await received("end");
    const names = namesFrom(log, mark);
    expect(names.filter((n) => n !== "m")).toEqual(["end", "<connect>"]);
    expect(log.slice(mark, mark + count).map((e) => e[1])).toEqual([...Array(count).keys()]);
  });

  it("counts a logged broadcast as one message published to Redis", async () => {
    const key = uniqueKey("rec-bounds");
    const a = await node(key, { server: { metrics: true } });
    const metrics = a.io.metrics;
    if (metrics === null) throw new Error("metrics are on");
    const witness = await recorded(a.url());
    const before = metrics.clusterPublished;
    a.io.to("a").emit("m");
    a.io.emit("m2");
    await witness.received("m2");
    expect(metrics.clusterPublished - before).toBe(2);
  });
});

/** A log of `size` entries for room "a" (odd ids) and "b" (even ids), read by a counting fake of the commands. */
function fakeLog(size: number, onRead?: (after: string) => void, maxPackets = size) {
  const ids = Array.from({ length: size }, (_, i) => `1-${i + 1}`);
  let inFlight = 0;
  let most = 0;
  const counts: number[] = [];
  const commands = {
    async read(after: string, count: number, _channel: string, barrier: string): Promise<LogRead> {
      counts.push(count);
      inFlight++;
      most = Math.max(most, inFlight);
      onRead?.(after);
      // Answered on a later turn, with the barrier back just before, as Redis would.
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      const from = ids.findIndex((id) => id === after) + 1;
      const entries = ids.slice(from, from + count).map((id, i): [string, Buffer] => {
        const n = from + i + 1;
        const room = n % 2 === 1 ? "a" : "b";
        return [id, encode(["uid", { type: 2, nsp: "/", data: ["m", n, "x".repeat(24)] }, { rooms: [room], except: [] }])];
      });
      reader.onBarrier(Buffer.from(barrier));
      return { last: ids[ids.length - 1] ?? "", lost: "", entries };
    },
  };
  const reader = new LogReader(commands as unknown as RecoveryCommands, { ownChannel: "own", requestsTimeout: 5000, maxPackets });
  return { reader, counts, most: () => most };
}

function replayOf(rooms: string[]): Replay<string> {
  return new Replay<string>({ sid: "s", pid: "p", rooms, data: {} }, (x, y) => (x < y ? -1 : x > y ? 1 : 0), () => {});
}

describe("LogReader", () => {
  it("reads in pages, at most a few at a time per namespace, keeping only the session's packets", async () => {
    const size = 3 * READ_PAGE + 10;
    const { reader, counts, most } = fakeLog(size);
    const replays = Array.from({ length: 10 }, () => replayOf(["a"]));
    const outcomes = await Promise.all(replays.map((r) => reader.read(r, padOffset("0-0"), undefined, () => true)));
    expect(outcomes.every((o) => o === "ok")).toBe(true);
    expect(new Set(counts)).toEqual(new Set([READ_PAGE]));
    expect(counts.length).toBe(10 * 4);
    expect(most()).toBe(READ_CONCURRENCY);
    for (const r of replays) {
      const missed = r.finish();
      expect(missed.map((d) => d[1])).toEqual(Array.from({ length: size }, (_, i) => i + 1).filter((n) => n % 2 === 1));
    }
  });

  it("stops reading once the connection asking is gone", async () => {
    let wanted = true;
    let reads = 0;
    const { reader } = fakeLog(5 * READ_PAGE, () => {
      reads++;
      if (reads === 2) wanted = false;
    });
    expect(await reader.read(replayOf(["a"]), padOffset("0-0"), undefined, () => wanted)).toBe("failed");
    expect(reads).toBe(2);
  });

  it("gives up (the session left alone) when more than maxPackets entries follow the offset", async () => {
    const { reader } = fakeLog(3 * READ_PAGE, undefined, READ_PAGE);
    expect(await reader.read(replayOf(["a"]), padOffset("0-0"), undefined, () => true)).toBe("failed");
  });
});

describe.skipIf(!available)("recovery on Redis: an abandoned restore", () => {
  it("leaves the rooms it joined for the session when the restore is cancelled (the connection went away)", async () => {
    const key = uniqueKey("rec-bounds");
    const a = await node(key);
    const { client: c, socket: before, log, received } = await client(await TcpProxy.start(a.port), a);
    a.io.to("a").emit("seen");
    await received("seen");
    const offset = log.find((e) => e[0] === "seen")?.at(-1) as string;
    const pid = (c as unknown as { _pid: string })._pid;
    await drop(c, before);
    expect(a.adapter.rooms.has("a")).toBe(false);
    const pending = await a.recovery.restore(pid, offset);
    expect(pending).toBeDefined();
    expect(a.adapter.rooms.has("a")).toBe(true);
    pending?.cancel();
    expect(a.adapter.rooms.has("a")).toBe(false);
    expect(a.adapter.sids.has(before.id)).toBe(false);
    // The session is still there for a later try.
    expect((await resume(c, a.io)).recovered).toBe(true);
  });
});

describe.skipIf(!available)("recovery on Redis in per-room mode", () => {
  it("delivers logged packets for a room this server has just joined, before its subscription is active", async () => {
    const key = uniqueKey("rec-bounds");
    const url = new URL(REDIS_URL);
    const subProxy = await TcpProxy.start(Number(url.port || 6379));
    const sub = createClient({ socket: { host: "127.0.0.1", port: subProxy.port } });
    sub.on("error", () => {});
    await sub.connect();
    onCleanup(async () => {
      if (sub.isOpen) await sub.close();
    });
    const a = await node(key, { adapter: { subscriptionMode: "per-room" }, sub: sub as unknown as RedisClient });
    a.io.removeAllListeners("connection");
    a.io.on("connection", (socket: ServerSocket) => {
      void socket.join("fresh");
      socket.emit("direct");
      a.io.to("fresh").emit("to-fresh");
    });
    // The subscriber's SUBSCRIBEs for the socket's own room and "fresh" wait in the proxy.
    subProxy.hold();
    onCleanup(() => subProxy.release());
    const { received } = await recorded(a.url());
    await Promise.all([received("direct"), received("to-fresh")]);
    subProxy.release();
  });
});
