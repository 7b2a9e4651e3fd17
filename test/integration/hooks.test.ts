/**
 * Outgoing hooks: `conn.on("packetCreate")` for direct emits, acks and broadcasts, with
 * `packet.options.compress`; `socket.onAnyOutgoing` for broadcasts too (`io.emit`,
 * `io.to(id).emit`); and nothing asked per recipient while nobody listens.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EnginePacket } from "../../src/transport/transport.ts";
import { cleanup, connectPair, startServer, waitFor } from "../support/harness.ts";

afterEach(cleanup);

describe("packetCreate", () => {
  it("fires for a direct emit and an ack, with options.compress", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => socket.on("ask", (ack: (v: string) => void) => ack("answer")));
    const { client, server } = await connectPair(io, url());
    const created: EnginePacket[] = [];
    server.conn.on("packetCreate", (packet) => created.push(packet));

    server.compress(false).emit("direct", 1);
    await waitFor(client, "direct");
    expect(created).toEqual([{ type: "message", data: '2["direct",1]', options: { compress: false } }]);

    await client.emitWithAck("ask");
    expect(created[1]).toEqual({ type: "message", data: '30["answer"]', options: { compress: true } });
  });

  it("fires for broadcasts when the recipient's connection listens, once per recipient", async () => {
    const { io, url } = await startServer();
    const a = await connectPair(io, url());
    const b = await connectPair(io, url());
    const seenA: EnginePacket[] = [];
    a.server.conn.on("packetCreate", (packet) => seenA.push(packet));
    const got = Promise.all([waitFor(a.client, "all"), waitFor(b.client, "all"), waitFor(b.client, "onlyB")]);
    io.emit("all", "x");
    io.to(b.server.id).emit("onlyB");
    await got;
    expect(seenA).toEqual([{ type: "message", data: '2["all","x"]', options: { compress: true } }]);
  });
});

describe("onAnyOutgoing", () => {
  it("is called for io.emit, io.to(id).emit, socket.to(room) and direct emits", async () => {
    const { io, url } = await startServer();
    const a = await connectPair(io, url());
    const b = await connectPair(io, url());
    await b.server.join("room");
    const outgoing: unknown[][] = [];
    b.server.onAnyOutgoing((...args: unknown[]) => outgoing.push(args));
    const done = waitFor(b.client, "direct");
    io.emit("everyone", 1);
    io.to(b.server.id).emit("byId", 2);
    a.server.to("room").emit("fromA", 3);
    b.server.emit("direct", 4);
    await done;
    expect(outgoing).toEqual([["everyone", 1], ["byId", 2], ["fromA", 3], ["direct", 4]]);
  });

  it("asks no recipient anything while nobody observes; counts observers by namespace", async () => {
    const { io, url } = await startServer();
    const a = await connectPair(io, url());
    const b = await connectPair(io, url());
    const nsp = io.of("/");
    const spyA = vi.spyOn(a.server, "notifyOutgoingListeners");
    const spyB = vi.spyOn(b.server, "notifyOutgoingListeners");

    io.emit("quiet");
    expect(nsp.observesOutgoing()).toBe(false);
    expect(spyA).not.toHaveBeenCalled();

    const listener = (): void => {};
    a.server.onAnyOutgoing(listener);
    expect(nsp.observesOutgoing()).toBe(true);
    io.emit("loud");
    expect(spyA).toHaveBeenCalledTimes(1);
    expect(spyB).toHaveBeenCalledTimes(1);

    a.server.offAnyOutgoing(listener);
    expect(nsp.observesOutgoing()).toBe(false);
    a.server.onAnyOutgoing(listener);
    const gone = waitFor(a.server, "disconnect");
    a.client.disconnect();
    await gone;
    expect(nsp.observesOutgoing()).toBe(false); // a disconnected socket stops counting

    const conn = b.server.conn;
    conn.once("packetCreate", () => {});
    expect(nsp.observesOutgoing()).toBe(true); // any connection listening to packetCreate
    const closed = waitFor(conn, "close");
    b.client.disconnect();
    await closed;
    expect(nsp.observesOutgoing()).toBe(false);
  });

  it("counts a listener added in a middleware once the socket connects", async () => {
    const { io, url } = await startServer();
    const seen: unknown[][] = [];
    io.use((socket, next) => {
      socket.onAnyOutgoing((...args: unknown[]) => seen.push(args));
      expect(io.of("/").observesOutgoing()).toBe(false); // not connected yet
      next();
    });
    const { client } = await connectPair(io, url());
    const got = waitFor(client, "b");
    io.emit("b", true);
    await got;
    expect(seen).toEqual([["b", true]]);
  });
});
