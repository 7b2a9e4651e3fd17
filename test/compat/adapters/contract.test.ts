/**
 * [compat] socket.io's adapter contract (src/compat/socket-io-adapter.ts): the types checked
 * against roomcast's classes and against the packages themselves (at type-check time), and on one
 * server, socket.io-adapter's own in-memory `Adapter` as the `adapter` option: what its
 * `broadcast` and `broadcastWithAck` do to the namespace, sockets and connections behaves as with
 * roomcast's adapter (ack ids shared with direct emits, outgoing hooks, metrics, compress).
 */
import { createAdapter as createClusterAdapter } from "@socket.io/cluster-adapter";
import { createAdapter as createPostgresAdapter } from "@socket.io/postgres-adapter";
import { createAdapter as createRedisAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createAdapter as createStreamsAdapter } from "@socket.io/redis-streams-adapter";
import type { Pool } from "pg";
import { Adapter as SioAdapter } from "socket.io-adapter";
import { afterEach, describe, expect, it } from "vitest";
import type {
  SocketIoAdapter,
  SocketIoAdapterConstructor,
  SocketIoAdapterNamespace,
  SocketIoAdapterSocket,
} from "../../../src/compat/socket-io-adapter.ts";
import { Adapter, Server, type Namespace, type ServerOptions, type Socket } from "../../../src/index.ts";
import type { EnginePacket } from "../../../src/transport/transport.ts";
import { cleanup, connectPair, startServer, waitFor } from "../../support/harness.ts";

afterEach(cleanup);

// The contract, checked at type-check time: roomcast's classes are what socket.io's adapters use,
// socket.io-adapter's class is what roomcast calls, and every package's factory is an `adapter` option.
export const contract = {
  namespace: (nsp: Namespace): SocketIoAdapterNamespace => nsp,
  socket: (socket: Socket): SocketIoAdapterSocket => socket,
  theirs: (adapter: SioAdapter): SocketIoAdapter => adapter,
  ours: (adapter: Adapter): SocketIoAdapter => adapter,
  classes: (): SocketIoAdapterConstructor[] => [SioAdapter],
  options: (pub: unknown, sub: unknown, pool: Pool): Array<Partial<ServerOptions>> => [
    { adapter: createRedisAdapter(pub, sub) },
    { adapter: createShardedAdapter(pub, sub) },
    { adapter: createStreamsAdapter(pub) },
    { adapter: createPostgresAdapter(pool) },
    { adapter: createClusterAdapter() },
    { adapter: SioAdapter },
  ],
};

describe("socket.io-adapter's Adapter as the adapter option", () => {
  it("a broadcast with acks takes its id from the namespace's counter: pending direct acks keep theirs", async () => {
    const { io, url } = await startServer({ adapter: SioAdapter });
    const { client, server } = await connectPair(io, url());
    let answerOne: ((v: string) => void) | undefined;
    client.on("one", (ack: (v: string) => void) => (answerOne = ack));
    client.on("two", (ack: (v: string) => void) => {
      ack("two");
      answerOne?.("one");
    });
    // "one" (a direct emit) is still waiting for its answer when the broadcast registers its ack.
    const one = server.timeout(2000).emitWithAck("one");
    await waitFor(client, "one");
    const two = io.timeout(2000).emitWithAck("two");
    expect(await Promise.all([one, two])).toEqual(["one", ["two"]]);
    expect(io.of("/")._ids).toBe(2);
  });

  it("a broadcast with acks and no timeout completes with every answer", async () => {
    const { io, url } = await startServer({ adapter: SioAdapter });
    const a = await connectPair(io, url());
    const b = await connectPair(io, url());
    for (const [name, { client }] of [["a", a], ["b", b]] as const) client.on("q", (ack: (v: string) => void) => ack(name));
    expect([...(await io.emitWithAck("q"))].sort()).toEqual(["a", "b"]);
  });

  it("its broadcasts reach onAnyOutgoing, packetCreate (with compress) and the metrics", async () => {
    const { io, url } = await startServer({ adapter: SioAdapter, metrics: true });
    const a = await connectPair(io, url());
    const b = await connectPair(io, url());
    await b.server.join("room");
    const outgoing: unknown[][] = [];
    b.server.onAnyOutgoing((...args: unknown[]) => outgoing.push(args));
    const created: EnginePacket[] = [];
    b.server.conn.on("packetCreate", (packet) => created.push(packet));
    const sent = io.metrics?.snapshot().eventsSent ?? 0;
    const got = Promise.all([waitFor(a.client, "all"), waitFor(b.client, "all"), waitFor(b.client, "room")]);
    io.emit("all", 1);
    io.to("room").compress(false).emit("room", 2);
    await got;
    expect(outgoing).toEqual([["all", 1], ["room", 2]]);
    expect(created).toEqual([
      { type: "message", data: '2["all",1]', options: { compress: true } },
      { type: "message", data: '2["room",2]', options: { compress: false } },
    ]);
    expect((io.metrics?.snapshot().eventsSent ?? 0) - sent).toBe(3);
  });

  it("its room events and socket.rooms are the adapter's own", async () => {
    const { io, url } = await startServer({ adapter: SioAdapter });
    const { server } = await connectPair(io, url());
    const joined = waitFor(io.of("/").adapter, "join-room");
    await server.join("room");
    expect(await joined).toEqual(["room", server.id]);
    expect(io.of("/").adapter).toBeInstanceOf(SioAdapter);
    expect([...server.rooms].sort()).toEqual([server.id, "room"].sort());
  });
});

describe("the adapter option", () => {
  it("takes an arrow-function factory, which cannot be called with new", async () => {
    const { io, url } = await startServer({ adapter: (nsp: unknown) => new SioAdapter(nsp) });
    const { client } = await connectPair(io, url());
    const got = waitFor(client, "hi");
    io.emit("hi");
    await got;
    expect(io.of("/").adapter).toBeInstanceOf(SioAdapter);
  });

  it("refuses at construction something that is not an adapter, naming what it lacks", () => {
    const notAnAdapter = (() => ({ init() {} })) as unknown as SocketIoAdapterConstructor;
    expect(() => new Server({ adapter: notAnAdapter })).toThrow(/adapter built for namespace "\/" has no close\(\) method/);
  });

  it("is what server.opts holds, frozen, as socket.io's adapters read it", () => {
    const io = new Server({ adapter: SioAdapter, connectTimeout: 1000 });
    expect(io.opts).toMatchObject({ adapter: SioAdapter, connectTimeout: 1000 });
    expect(io.opts.connectionStateRecovery).toBeUndefined();
    expect(Object.isFrozen(io.opts)).toBe(true);
    void io.close();
  });
});

describe("socket.io's adapters with connection state recovery", () => {
  it("are refused at construction with an error naming the requirement (recovery needs roomcast's adapter)", () => {
    expect(() => new Server({ adapter: SioAdapter, connectionStateRecovery: {} })).toThrow(
      /connectionStateRecovery needs an adapter extending roomcast's Adapter/,
    );
    // roomcast's own adapter takes it.
    const io = new Server({ connectionStateRecovery: {} });
    expect(io.of("/").adapter).toBeInstanceOf(Adapter);
    void io.close();
  });
});
