/**
 * Connection state recovery in memory, with the official client over WebSocket only,
 * long-polling only and the default transports: a brief disconnect (`socket.io.engine.close()`)
 * and back, what is kept and what is not, namespaces, binary, a client that had received
 * nothing yet.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connectPair, startServer, type TestServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { CLIENT_KINDS, drop, namesFrom, offsetOf, recorded, resume } from "./support.ts";

afterEach(cleanup);

/** A server with recovery on whose new sockets join "a" and get `data.user` (resumed ones keep theirs). */
async function server(): Promise<TestServer> {
  const srv = await startServer({ connectionStateRecovery: {} });
  srv.io.on("connection", (socket: ServerSocket) => {
    if (socket.recovered) return;
    void socket.join("a");
    (socket.data as Record<string, unknown>).user = "alice";
  });
  return srv;
}

describe.each(CLIENT_KINDS)("connection state recovery in memory, %s client", (_kind, opts) => {
  it("[SIO5:recovery-resume] gives back id, rooms and data, then the missed packets once and in order", async () => {
    const srv = await server();
    const first = new Promise<ServerSocket>((resolve) => srv.io.once("connection", resolve));
    const { client, log, received } = await recorded(srv.url(), opts);
    const before = await first;
    expect(client.recovered).toBe(false);
    expect(before.recovered).toBe(false);

    srv.io.to("a").emit("live", 0);
    await received("live");
    // [SIO5:recovery-offset] a logged broadcast carries its offset last.
    expect(typeof offsetOf(log.find((e) => e[0] === "live"))).toBe("string");

    expect(await drop(client, before)).toBe("transport close");
    const mark = log.length;
    srv.io.to("a").emit("m", 1);
    srv.io.to("b").emit("other-room");
    srv.io.emit("m", 2);
    srv.io.except("a").emit("excluded");
    srv.io.to("a").emit("m", 3);

    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(true);
    expect(client.recovered).toBe(true);
    expect(after.id).toBe(before.id);
    expect(client.id).toBe(before.id);
    expect([...after.rooms].sort()).toEqual([before.id, "a"].sort());
    expect(after.data).toEqual({ user: "alice" });
    // socket.io-client emits what arrived before the CONNECT answer just before `connect`.
    expect(namesFrom(log, mark)).toEqual(["m", "m", "m", "<connect>"]);
    const missed = log.slice(mark, mark + 3);
    expect(missed.map((e) => e[1])).toEqual([1, 2, 3]);
    const offsets = missed.map(offsetOf);
    expect(new Set(offsets).size).toBe(3);

    srv.io.to("a").emit("after-resume");
    await received("after-resume");
    expect(namesFrom(log, mark)).toEqual(["m", "m", "m", "<connect>", "after-resume"]);
  });

  it("[SIO5:recovery-resume] resumes a client that had received nothing yet", async () => {
    const srv = await server();
    const { client, log } = await recorded(srv.url(), opts);
    const before = srv.io.sockets.sockets.get(client.id ?? "") as ServerSocket;
    await drop(client, before);
    srv.io.to("a").emit("while-away", 1);
    const after = await resume(client, srv.io);
    expect(after.recovered).toBe(true);
    expect(after.id).toBe(before.id);
    expect(log.map((e) => e[0])).toEqual(["<connect>", "while-away", "<connect>"]);
    expect(log[2]).toEqual(["<connect>", true]);
  });
});

describe("connection state recovery in memory: what is kept", () => {
  it("[SIO5:recovery-offset] replays broadcasts and plain emits (even one made while away), not volatile ones nor those with an ack", async () => {
    const srv = await server();
    const { client, server: before } = await connectPair(srv.io, srv.url());
    const log: unknown[][] = [];
    client.onAny((...args: unknown[]) => log.push(args));
    await drop(client, before);
    srv.io.to("a").emit("broadcast");
    // The old socket object is disconnected; socket.io logs its emits all the same.
    before.emit("direct");
    srv.io.to(before.id).emit("to-id");
    srv.io.volatile.emit("volatile");
    srv.io.to("a").timeout(50).emit("with-ack", () => {});
    srv.io.local.emit("local");
    await resume(client, srv.io);
    expect(log.map((e) => e[0])).toEqual(["broadcast", "direct", "to-id", "local"]);
  });

  it("[SIO5:recovery-offset] gives offsets to broadcasts and plain emits only", async () => {
    const srv = await server();
    const { client, server: socket } = await connectPair(srv.io, srv.url());
    const log: unknown[][] = [];
    client.onAny((...args: unknown[]) => log.push(args));
    const done = new Promise<void>((resolve) => client.on("end", () => resolve()));
    client.on("asks", (ack: () => void) => ack());
    socket.emit("direct", "text");
    srv.io.volatile.emit("volatile", 1);
    await socket.timeout(1000).emitWithAck("asks");
    srv.io.emit("end");
    await done;
    expect(log.map((e) => e.length)).toEqual([3, 2, 2, 2]);
    expect(log[0]?.slice(0, 2)).toEqual(["direct", "text"]);
  });

  it("does not replay a socket's own broadcast to it (except its room), but replays another's", async () => {
    const srv = await server();
    const { server: a } = await connectPair(srv.io, srv.url());
    const { client: bClient, server: b } = await connectPair(srv.io, srv.url());
    const log: unknown[][] = [];
    bClient.onAny((...args: unknown[]) => log.push(args));
    await drop(bClient, b);
    a.to("a").emit("from-a");
    b.to("a").emit("from-b-self");
    b.broadcast.emit("from-b-broadcast");
    await resume(bClient, srv.io);
    expect(log.map((e) => e[0])).toEqual(["from-a"]);
  });

  it("keeps each namespace's packets to its own socket", async () => {
    const srv = await server();
    srv.io.of("/chat").on("connection", (socket: ServerSocket) => {
      if (!socket.recovered) void socket.join("c");
    });
    const main = await recorded(srv.url());
    const chat = await recorded(srv.url("/chat"));
    const mainSocket = srv.io.sockets.sockets.get(main.client.id ?? "") as ServerSocket;
    const chatSocket = srv.io.of("/chat").sockets.get(chat.client.id ?? "") as ServerSocket;
    await drop(main.client, mainSocket);
    await drop(chat.client, chatSocket);
    srv.io.emit("main-only");
    srv.io.of("/chat").to("c").emit("chat-only");
    await resume(main.client, srv.io);
    await resume(chat.client, srv.io.of("/chat"));
    expect(main.log.map((e) => e[0])).toEqual(["<connect>", "main-only", "<connect>"]);
    expect(chat.log.map((e) => e[0])).toEqual(["<connect>", "chat-only", "<connect>"]);
  });

  it("replays binary packets intact", async () => {
    const srv = await server();
    const { client, log } = await recorded(srv.url());
    const before = srv.io.sockets.sockets.get(client.id ?? "") as ServerSocket;
    await drop(client, before);
    srv.io.to("a").emit("bin", Buffer.from([1, 2, 3]), { nested: Buffer.from([4]) });
    await resume(client, srv.io);
    const bin = log.find((e) => e[0] === "bin");
    expect(Buffer.from(bin?.[1] as ArrayBuffer)).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.from((bin?.[2] as { nested: ArrayBuffer }).nested)).toEqual(Buffer.from([4]));
    expect(typeof offsetOf(bin)).toBe("string");
  });

  it("[SIO5:recovery-pid] answers CONNECT with the private session id, and without it when recovery is off", async () => {
    const on = await server();
    const off = await startServer();
    const a = await connectPair(on.io, on.url());
    const b = await connectPair(off.io, off.url());
    const pidOf = (c: typeof a.client): unknown => (c as unknown as { _pid?: unknown })._pid;
    expect(pidOf(a.client)).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(pidOf(b.client)).toBeUndefined();
  });
});
