/**
 * D. Rooms and broadcasting (issue section 6): adapter state, except, broadcast acks,
 * fetchSockets and remote sockets, allSockets, socketsJoin/Leave, disconnectSockets,
 * serverSideEmit, local.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanup,
  connectPair,
  connectRecorded,
  connected,
  names,
  serverSocket,
  startServer,
  waitFor,
  type Ack,
  type ClientSocket,
} from "../support/harness.ts";

afterEach(cleanup);

async function three(url: string) {
  const a = await connectRecorded(url);
  const b = await connectRecorded(url);
  const c = await connectRecorded(url);
  return [a, b, c] as const;
}

describe("Rooms: adapter state", () => {
  it("adapter.rooms counts members per room and adapter.sids lists each socket's rooms", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b, c] = await three(url());
    const sa = serverSocket(nsp, a.client.id);
    const sb = serverSocket(nsp, b.client.id);
    await sa.join(["red", "blue"]);
    await sb.join("red");
    expect(nsp.adapter.rooms.get("red")?.size).toBe(2);
    expect(nsp.adapter.rooms.get("blue")?.size).toBe(1);
    expect(nsp.adapter.rooms.get("green")?.size).toBeUndefined();
    expect(nsp.adapter.rooms.get(sa.id)?.size).toBe(1);
    expect([...(nsp.adapter.sids.get(sa.id) ?? [])].sort()).toEqual([sa.id, "blue", "red"].sort());
    expect([...(nsp.adapter.sids.get(c.client.id as string) ?? [])]).toEqual([c.client.id]);
    await sb.leave("red");
    expect(nsp.adapter.rooms.get("red")?.size).toBe(1);
    const gone = waitFor(sa, "disconnect");
    a.client.disconnect();
    await gone;
    expect(nsp.adapter.rooms.has("red")).toBe(false);
    expect(nsp.adapter.rooms.has("blue")).toBe(false);
    expect(nsp.adapter.sids.has(sa.id)).toBe(false);
  });
});

describe("Rooms: broadcast targeting", () => {
  it("[SIO5:broadcast-except] io.except(room) reaches everyone outside the room", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b, c] = await three(url());
    await serverSocket(nsp, a.client.id).join("quiet");
    io.except("quiet").emit("loud", 1);
    for (const x of [a, b, c]) serverSocket(nsp, x.client.id).emit("marker");
    expect(await a.rec.until("marker")).toEqual([]);
    expect(await b.rec.until("marker")).toEqual([["loud", 1]]);
    expect(await c.rec.until("marker")).toEqual([["loud", 1]]);
  });

  it("[SIO5:broadcast-except] io.to(a).except(b) reaches members of a that are not in b", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b, c] = await three(url());
    await serverSocket(nsp, a.client.id).join(["A"]);
    await serverSocket(nsp, b.client.id).join(["A", "B"]);
    await serverSocket(nsp, c.client.id).join(["B"]);
    io.to("A").except("B").emit("only-a");
    io.to(["A", "B"]).except(["A"]).emit("only-b");
    for (const x of [a, b, c]) serverSocket(nsp, x.client.id).emit("marker");
    expect(names(await a.rec.until("marker"))).toEqual(["only-a"]);
    expect(names(await b.rec.until("marker"))).toEqual([]);
    expect(names(await c.rec.until("marker"))).toEqual(["only-b"]);
  });

  it("[SIO5:broadcast] excepting a socket id excludes that socket", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b] = await three(url());
    io.except(a.client.id as string).emit("not-a");
    for (const x of [a, b]) serverSocket(nsp, x.client.id).emit("marker");
    expect(names(await a.rec.until("marker"))).toEqual([]);
    expect(names(await b.rec.until("marker"))).toEqual(["not-a"]);
  });

  it("io.local.emit reaches the clients of this server", async () => {
    const { io, url } = await startServer();
    const [a, b] = await three(url());
    io.local.emit("local", "x");
    expect(await waitFor(a.client, "local")).toEqual(["x"]);
    expect(await waitFor(b.client, "local")).toEqual(["x"]);
  });

  it("a namespace broadcast stays in its namespace", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/ns");
    const inNs = await connectRecorded(url("/ns"));
    const inMain = await connectRecorded(url("/"));
    nsp.emit("ns-only");
    serverSocket(nsp, inNs.client.id).emit("marker");
    serverSocket(io.of("/"), inMain.client.id).emit("marker");
    expect(names(await inNs.rec.until("marker"))).toEqual(["ns-only"]);
    expect(names(await inMain.rec.until("marker"))).toEqual([]);
  });
});

describe("Rooms: broadcast acknowledgements", () => {
  function answer(client: ClientSocket, value: unknown): void {
    client.on("ask", (cb: Ack) => cb(value));
  }

  it("[SIO5:broadcast-ack] io.timeout(ms).emit(ev, cb) collects every client's ack: (null, responses)", async () => {
    const { io, url } = await startServer();
    const [a, b, c] = await three(url());
    answer(a.client, "a");
    answer(b.client, "b");
    answer(c.client, "c");
    const [err, responses] = await new Promise<unknown[]>((resolve) =>
      io.timeout(5000).emit("ask", (...args: unknown[]) => resolve(args)),
    );
    expect(err).toBeNull();
    expect([...(responses as string[])].sort()).toEqual(["a", "b", "c"]);
  });

  it("[SIO5:broadcast-ack] a client that does not answer: cb gets an Error and the partial responses", async () => {
    const { io, url } = await startServer();
    const [a, b, c] = await three(url());
    answer(a.client, "a");
    answer(b.client, "b");
    const silentGotIt = waitFor(c.client, "ask");
    const [err, responses] = await new Promise<unknown[]>((resolve) =>
      io.timeout(100).emit("ask", (...args: unknown[]) => resolve(args)),
    );
    expect(err).toBeInstanceOf(Error);
    expect([...(responses as string[])].sort()).toEqual(["a", "b"]);
    await silentGotIt;
  });

  it("[SIO5:broadcast-ack] io.to(room).timeout(ms).emit only waits for the room", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b, c] = await three(url());
    answer(a.client, "a");
    answer(b.client, "b");
    // c is outside the room and would never answer
    await serverSocket(nsp, a.client.id).join("r");
    await serverSocket(nsp, b.client.id).join("r");
    const [err, responses] = await new Promise<unknown[]>((resolve) =>
      io.to("r").timeout(5000).emit("ask", (...args: unknown[]) => resolve(args)),
    );
    expect(err).toBeNull();
    expect([...(responses as string[])].sort()).toEqual(["a", "b"]);
    serverSocket(nsp, c.client.id).emit("marker");
    expect(names(await c.rec.until("marker"))).toEqual([]);
  });

  it("[SIO5:broadcast-ack] an empty target calls back at once with (null, [])", async () => {
    const { io } = await startServer();
    const args = await new Promise<unknown[]>((resolve) =>
      io.to("nobody-here").timeout(5000).emit("ask", (...a: unknown[]) => resolve(a)),
    );
    expect(args).toEqual([null, []]);
  });

  it("[SIO5:broadcast-ack] io.timeout(ms).emitWithAck resolves with the array of responses", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b, c] = await three(url());
    answer(a.client, "a");
    answer(b.client, "b");
    // c never answers, but is excluded from the broadcast
    await serverSocket(nsp, c.client.id).join("mute");
    const responses = await io.except("mute").timeout(5000).emitWithAck("ask");
    expect(Array.isArray(responses)).toBe(true);
    expect([...(responses as string[])].sort()).toEqual(["a", "b"]);
  });

  it("[SIO5:broadcast-ack] io.timeout(ms).emitWithAck rejects when a client does not answer", async () => {
    const { io, url } = await startServer();
    const [a] = await three(url());
    answer(a.client, "a");
    await expect(io.timeout(100).emitWithAck("ask")).rejects.toBeInstanceOf(Error);
  });
});

describe("Rooms: fetchSockets and remote sockets", () => {
  it("fetchSockets() returns id, handshake, rooms and data for every socket", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.data = { n: socket.handshake.auth["n"] };
      socket.join("all");
    });
    const a = await connected(url(), { auth: { n: 1 } });
    const b = await connected(url(), { auth: { n: 2 } });
    const sockets = await io.fetchSockets();
    const byId = new Map(sockets.map((s) => [s.id, s]));
    expect([...byId.keys()].sort()).toEqual([a.id, b.id].sort());
    const ra = byId.get(a.id as string);
    expect(ra?.handshake.auth).toEqual({ n: 1 });
    expect(typeof ra?.handshake.headers).toBe("object");
    expect([...(ra?.rooms ?? [])].sort()).toEqual([a.id, "all"].sort());
    expect(ra?.data).toEqual({ n: 1 });
    expect(byId.get(b.id as string)?.data).toEqual({ n: 2 });
  });

  it("a remote socket's emit reaches its client; join and leave change its rooms; disconnect disconnects it", async () => {
    const { io, url } = await startServer();
    const { client, server } = await connectPair(io.of("/"), url());
    const [remote] = await io.fetchSockets();
    expect(remote?.id).toBe(client.id);
    if (!remote) throw new Error("no remote socket");

    const got = waitFor(client, "remote");
    remote.emit("remote", { ok: true });
    expect(await got).toEqual([{ ok: true }]);

    remote.join("joined-remotely");
    expect(server.rooms.has("joined-remotely")).toBe(true);
    remote.leave("joined-remotely");
    expect(server.rooms.has("joined-remotely")).toBe(false);

    const clientReason = waitFor(client, "disconnect");
    const serverReason = waitFor(server, "disconnect");
    remote.disconnect();
    expect((await clientReason)[0]).toBe("io server disconnect");
    expect((await serverReason)[0]).toBe("server namespace disconnect");
  });

  it("io.in(room).fetchSockets() returns only the room's members", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b, c] = await three(url());
    await serverSocket(nsp, a.client.id).join("vip");
    await serverSocket(nsp, c.client.id).join("vip");
    const vip = await io.in("vip").fetchSockets();
    expect(vip.map((s) => s.id).sort()).toEqual([a.client.id, c.client.id].sort());
    const notVip = await io.except("vip").fetchSockets();
    expect(notVip.map((s) => s.id)).toEqual([b.client.id]);
  });

  it("allSockets() resolves with the Set of socket ids (optionally per room)", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b] = await three(url()).then((x) => [x[0], x[1]] as const);
    await serverSocket(nsp, a.client.id).join("r");
    const all = await io.allSockets();
    expect(all).toBeInstanceOf(Set);
    expect(all.size).toBe(3);
    expect(all.has(a.client.id as string)).toBe(true);
    expect(all.has(b.client.id as string)).toBe(true);
    expect([...(await io.in("r").allSockets())]).toEqual([a.client.id]);
  });
});

describe("Rooms: bulk operations", () => {
  it("socketsJoin / socketsLeave, for everyone and for a room", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b, c] = await three(url());
    const [sa, sb, sc] = [a, b, c].map((x) => serverSocket(nsp, x.client.id));
    io.socketsJoin("everyone");
    expect(nsp.adapter.rooms.get("everyone")?.size).toBe(3);
    await sa?.join("club");
    io.in("club").socketsJoin(["club-x", "club-y"]);
    expect(sa?.rooms.has("club-x") && sa.rooms.has("club-y")).toBe(true);
    expect(sb?.rooms.has("club-x")).toBe(false);
    io.in("club").socketsLeave("everyone");
    expect(sa?.rooms.has("everyone")).toBe(false);
    expect(sb?.rooms.has("everyone")).toBe(true);
    io.socketsLeave(["everyone", "club-x"]);
    expect(nsp.adapter.rooms.has("everyone")).toBe(false);
    expect(nsp.adapter.rooms.has("club-x")).toBe(false);
    expect(sc?.rooms.size).toBe(1);
  });

  it("io.in(room).disconnectSockets() disconnects only the room; others stay connected", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const [a, b] = await three(url());
    await serverSocket(nsp, a.client.id).join("kick");
    const kicked = waitFor(a.client, "disconnect");
    io.in("kick").disconnectSockets();
    expect((await kicked)[0]).toBe("io server disconnect");
    serverSocket(nsp, b.client.id).emit("marker");
    expect(names(await b.rec.until("marker"))).toEqual([]);
    expect(b.client.connected).toBe(true);
    expect(nsp.sockets.size).toBe(2);
  });

  it("disconnectSockets(true) closes every client's connection", async () => {
    const { io, url } = await startServer();
    const [a, b, c] = await three(url());
    const gone = Promise.all([a, b, c].map((x) => waitFor(x.client, "disconnect")));
    io.disconnectSockets(true);
    const reasons = (await gone).map((r) => r[0]);
    for (const r of reasons) expect(["io server disconnect", "transport close"]).toContain(r);
    expect(io.of("/").sockets.size).toBe(0);
  });
});

describe("Rooms: server-side emit (single node)", () => {
  it("serverSideEmit with no peers does not throw", async () => {
    const { io } = await startServer();
    expect(() => io.serverSideEmit("hello", 1)).not.toThrow();
  });

  // socket.io's in-memory adapter never settles this Promise (it only warns); roomcast
  // resolves [] with no peers. The 5 s bound is a failure bound, not a synchronisation.
  it("serverSideEmitWithAck with no peers resolves []", { timeout: 5000 }, async () => {
    const { io } = await startServer();
    await expect(io.serverSideEmitWithAck("hello", 1)).resolves.toEqual([]);
  });
});
