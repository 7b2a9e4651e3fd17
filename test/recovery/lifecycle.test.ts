/**
 * Connection state recovery in memory, around the resume itself: middlewares skipped or run,
 * expiry, the stores shrinking back, the count bound, bad input, a client that comes back
 * before the server noticed it left, dynamic namespaces.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Adapter, Server } from "../../src/index.ts";
import type { MemoryRecovery } from "../../src/recovery/memory-recovery.ts";
import { cleanup, connectError, connectPair, startServer, waitFor, whenConnected, type TestServer } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import type { Namespace, ServerSocket } from "../support/server.ts";
import { drop, recorded, resume } from "./support.ts";

afterEach(cleanup);

function memory(nsp: Namespace): MemoryRecovery {
  return nsp.adapter.recovery as MemoryRecovery;
}

async function joined(opts: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const srv = await startServer(opts);
  srv.io.on("connection", (socket: ServerSocket) => {
    if (!socket.recovered) void socket.join("a");
  });
  return srv;
}

describe("connection state recovery: middlewares", () => {
  it("[SIO5:recovery-resume] skips them for a resumed socket by default", async () => {
    const srv = await joined({ connectionStateRecovery: {} });
    let runs = 0;
    srv.io.use((_socket, next) => {
      runs++;
      next(runs === 1 ? undefined : new Error("only once"));
    });
    const { client, server: before } = await connectPair(srv.io, srv.url());
    await drop(client, before);
    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(true);
    expect(runs).toBe(1);
  });

  it("runs them with skipMiddlewares false: they see the resumed socket, and what is sent meanwhile arrives once", async () => {
    const srv = await joined({ connectionStateRecovery: { skipMiddlewares: false } });
    const seen: Array<{ recovered: boolean; rooms: string[] }> = [];
    let held: (release: () => void) => void = () => {};
    const reached = new Promise<() => void>((resolve) => (held = resolve));
    srv.io.use((socket, next) => {
      seen.push({ recovered: socket.recovered, rooms: [...socket.rooms].sort() });
      if (seen.length === 1) return next();
      // Held until the test lets it pass: broadcasts go out in between.
      srv.io.emit("held");
      held(() => next());
    });
    const { client, log } = await recorded(srv.url());
    const before = srv.io.sockets.sockets.get(client.id ?? "") as ServerSocket;
    await drop(client, before);
    srv.io.to("a").emit("away");
    const next = new Promise<ServerSocket>((resolve) => srv.io.once("connection", resolve));
    client.connect();
    const release = await reached;
    srv.io.to("a").emit("still-held");
    release();
    const after = await next;
    await whenConnected(client);
    expect(after.recovered).toBe(true);
    expect(seen).toEqual([
      { recovered: false, rooms: [] },
      { recovered: true, rooms: [before.id, "a"].sort() },
    ]);
    expect(log.map((e) => e[0])).toEqual(["<connect>", "away", "held", "still-held", "<connect>"]);
  });

  it("leaves the rooms of a resumed socket a middleware refuses, and resumes it on a later try", async () => {
    const srv = await joined({ connectionStateRecovery: { skipMiddlewares: false } });
    srv.io.use((socket, next) => {
      if (socket.handshake.auth.token === "no") return next(new Error("refused"));
      next();
    });
    const { client, server: before } = await connectPair(srv.io, srv.url());
    await drop(client, before);
    client.auth = { token: "no" };
    const refused = connectError(client);
    client.connect();
    expect((await refused).message).toBe("refused");
    expect(srv.io.sockets.adapter.sids.has(before.id)).toBe(false);
    expect(srv.io.sockets.adapter.rooms.has("a")).toBe(false);
    client.auth = { token: "yes" };
    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(true);
    expect(after.id).toBe(before.id);
  });
});

describe("connection state recovery: expiry and bounds", () => {
  it("[SIO5:recovery-expiry] connects anew once the session has expired", async () => {
    const srv = await joined({ connectionStateRecovery: { maxDisconnectionDuration: 100 } });
    const { client, log } = await recorded(srv.url());
    const before = srv.io.sockets.sockets.get(client.id ?? "") as ServerSocket;
    const oldPid = (client as unknown as { _pid: string })._pid;
    await drop(client, before);
    srv.io.to("a").emit("too-late");
    const [expired] = await waitFor(memory(srv.io.sockets), "expire");
    expect(expired).toBe(oldPid);
    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(false);
    expect(client.recovered).toBe(false);
    expect(after.id).not.toBe(before.id);
    expect((client as unknown as { _pid: string })._pid).not.toBe(oldPid);
    expect(log.map((e) => e[0])).toEqual(["<connect>", "<connect>"]);
  });

  it("shrinks back: sessions and packets leave once expired", async () => {
    const srv = await joined({ connectionStateRecovery: { maxDisconnectionDuration: 100 }, pingInterval: 200, pingTimeout: 400 });
    const recovery = memory(srv.io.sockets);
    const { client, server: socket } = await connectPair(srv.io, srv.url());
    for (let i = 0; i < 20; i++) srv.io.emit("m", i);
    await drop(client, socket);
    expect(recovery.sessionCount).toBe(1);
    expect(recovery.packetCount).toBe(20);
    // Retention = 100 + 2 × (200 + 400) ms: the log empties a little after the session expired.
    while (recovery.sessionCount > 0 || recovery.packetCount > 0) await waitFor(recovery, "sweep");
    expect(recovery.sessionCount).toBe(0);
    expect(recovery.packetCount).toBe(0);
  });

  it("does not resume a client whose missed packets the count bound pushed out", async () => {
    const srv = await joined({ connectionStateRecovery: { maxPackets: 5 } });
    const { client, server: before } = await connectPair(srv.io, srv.url());
    srv.io.to("a").emit("seen");
    await waitFor(client, "seen");
    await drop(client, before);
    for (let i = 0; i < 6; i++) srv.io.to("elsewhere").emit("m", i);
    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(false);
    expect(memory(srv.io.sockets).packetCount).toBe(5);
  });

  it("resumes a quiet client whose last packet aged out of the log (it was delivered)", async () => {
    // Retention = 1000 + 2 × (200 + 600) ms, a heartbeat the client keeps up with on a busy machine.
    const srv = await joined({ connectionStateRecovery: { maxDisconnectionDuration: 1000 }, pingInterval: 200, pingTimeout: 600 });
    const recovery = memory(srv.io.sockets);
    const { client, server: before } = await connectPair(srv.io, srv.url());
    srv.io.to("a").emit("old");
    await waitFor(client, "old");
    while (recovery.packetCount > 0) await waitFor(recovery, "sweep");
    await drop(client, before);
    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(true);
  });
});

describe("connection state recovery: bad input and edge cases", () => {
  it("treats a malformed or unknown pid or offset as a new connection, leaving the session resumable", async () => {
    const srv = await joined({ connectionStateRecovery: {} });
    const { client, server: real } = await connectPair(srv.io, srv.url());
    srv.io.to("a").emit("seen");
    const [offset] = (await waitFor(client, "seen")) as [string];
    const pid = (client as unknown as { _pid: string })._pid;
    await drop(client, real);
    const epoch = offset.split(".")[0] ?? "";
    const auths = [
      { pid: 5 },
      { pid: "unknown" },
      { pid: "x".repeat(10_000), offset },
      { pid, offset: "garbage" },
      { pid, offset: "zzzzzzzz.1" }, // another process's log
      { pid, offset: `${epoch}.999` }, // not logged yet
    ];
    for (const auth of auths) {
      const { raw } = await RawClient.open(srv.port);
      expect(await raw.connectNsp("/", auth)).not.toBe(real.id);
    }
    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(true);
    expect(after.id).toBe(real.id);
  });

  it("resumes a client that comes back before the server noticed it left; the old socket goes with transport close", async () => {
    const srv = await joined({ connectionStateRecovery: {} });
    const { raw: first } = await RawClient.open(srv.port);
    first.send("40");
    const answer = JSON.parse((await first.nextText("40")).slice(2)) as { sid: string; pid: string };
    const old = srv.io.sockets.sockets.get(answer.sid) as ServerSocket;
    const reason = waitFor(old, "disconnect");
    srv.io.to("a").emit("m", 1);
    const { raw: second } = await RawClient.open(srv.port);
    const resumed = await second.connectNsp("/", { pid: answer.pid });
    expect(resumed).toBe(answer.sid);
    expect((await reason)[0]).toBe("transport close");
    const now = srv.io.sockets.sockets.get(resumed) as ServerSocket;
    expect(now.recovered).toBe(true);
    expect(now.rooms.has("a")).toBe(true);
    // The packet the old connection may not have delivered is replayed, before the CONNECT answer.
    const texts = second.texts();
    expect(texts.findIndex((t) => t.startsWith('42["m",1,'))).toBeLessThan(texts.findIndex((t) => t.startsWith("40")));
  });

  it("refuses a bad option at construction", () => {
    expect(() => new Server({ connectionStateRecovery: { maxPackets: 0 } })).toThrow(/maxPackets/);
  });

  it("keeps recovery on adapters set later with io.adapter()", async () => {
    const srv = await joined({ connectionStateRecovery: {} });
    class Custom extends Adapter {}
    srv.io.adapter(Custom);
    expect(srv.io.sockets.adapter).toBeInstanceOf(Custom);
    const { client, server: before } = await connectPair(srv.io, srv.url());
    await drop(client, before);
    srv.io.to("a").emit("away");
    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(true);
  });

  it("keeps each dynamic child's sessions and packets apart", async () => {
    const srv = await startServer({ connectionStateRecovery: {} });
    const parent = srv.io.of(/^\/room-\d$/);
    parent.on("connection", (socket: ServerSocket) => {
      if (!socket.recovered) void socket.join("a");
    });
    const one = await recorded(srv.url("/room-1"));
    const two = await recorded(srv.url("/room-2"));
    const socketOne = srv.io.of("/room-1").sockets.get(one.client.id ?? "") as ServerSocket;
    await drop(one.client, socketOne);
    parent.to("a").emit("to-all-children");
    srv.io.of("/room-2").emit("to-two");
    await two.received("to-two");
    await resume(one.client, srv.io.of("/room-1"));
    expect(one.log.map((e) => e[0])).toEqual(["<connect>", "to-all-children", "<connect>"]);
    expect(two.log.map((e) => e[0])).toEqual(["<connect>", "to-all-children", "to-two"]);
  });
});
