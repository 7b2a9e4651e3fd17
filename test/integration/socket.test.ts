/**
 * C. The server-side Socket (issue section 5): identity, handshake, rooms, emits and acks,
 * flags, middlewares, catch-all listeners, disconnection, reserved names, binary.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  ackOf,
  cleanup,
  connectPair,
  connectRecorded,
  connected,
  manager,
  names,
  record,
  serverSocket,
  startServer,
  waitFor,
  whenConnected,
  type Ack,
} from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";

afterEach(cleanup);

describe("Socket: identity and handshake", () => {
  it("id is the client's id, unique per socket, and not the Engine.IO sid", async () => {
    const { io, url } = await startServer();
    const a = await connectPair(io.of("/"), url());
    const b = await connectPair(io.of("/"), url());
    expect(a.server.id).toBe(a.client.id);
    expect(typeof a.server.id).toBe("string");
    expect(a.server.id.length).toBeGreaterThan(0);
    expect(a.server.id).not.toBe(b.server.id);
    expect(a.server.id).not.toBe(a.client.io.engine.id);
  });

  it("handshake has headers, time, address, xdomain, secure, issued, url, query and auth", async () => {
    const { io, url, port } = await startServer();
    const { server } = await connectPair(io.of("/"), url(), {
      query: { a: "1" },
      auth: { token: "t" },
      extraHeaders: { "x-roomcast-test": "yes" },
    });
    const hs = server.handshake;
    expect(hs.headers["host"]).toBe(`127.0.0.1:${port}`);
    expect(hs.headers["x-roomcast-test"]).toBe("yes");
    expect(typeof hs.time).toBe("string");
    expect(Number.isNaN(Date.parse(hs.time))).toBe(false);
    expect(typeof hs.issued).toBe("number");
    expect(Math.abs(Date.parse(hs.time) - hs.issued)).toBeLessThan(1000);
    expect(["127.0.0.1", "::ffff:127.0.0.1"]).toContain(hs.address);
    expect(hs.xdomain).toBe(false);
    expect(hs.secure).toBe(false);
    expect(hs.url.startsWith("/socket.io/?")).toBe(true);
    expect(hs.url).toContain("EIO=4");
    expect(hs.url).toContain("transport=websocket");
    expect(hs.url).toContain("a=1");
    expect(hs.query["a"]).toBe("1");
    expect(hs.query["EIO"]).toBe("4");
    expect(hs.query["transport"]).toBe("websocket");
    expect(hs.auth).toEqual({ token: "t" });
  });

  it("handshake.xdomain is true when an Origin header is sent", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io.of("/"), url(), { extraHeaders: { origin: "http://elsewhere.example" } });
    expect(server.handshake.xdomain).toBe(true);
    expect(server.handshake.headers["origin"]).toBe("http://elsewhere.example");
  });

  it("handshake.auth is {} when the client sends none", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io.of("/"), url());
    expect(server.handshake.auth).toEqual({});
  });

  it("rooms is a Set holding the socket's own id; connected, nsp and conn are set", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/things");
    const { server, client } = await connectPair(nsp, url("/things"));
    expect(server.rooms).toBeInstanceOf(Set);
    expect([...server.rooms]).toEqual([server.id]);
    expect(server.connected).toBe(true);
    expect(server.nsp).toBe(nsp);
    expect(server.conn).toBeTruthy();
    const gone = waitFor(server, "disconnect");
    client.disconnect();
    await gone;
    expect(server.connected).toBe(false);
  });

  it("conn exposes the underlying transport name (websocket)", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io.of("/"), url());
    expect(server.conn.transport.name).toBe("websocket");
  });

  it("data set on the socket is what fetchSockets() returns", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.data = { user: "ann", n: 1 };
    });
    const { server } = await connectPair(io.of("/"), url());
    const [remote] = await io.fetchSockets();
    expect(remote?.id).toBe(server.id);
    expect(remote?.data).toEqual({ user: "ann", n: 1 });
  });
});

describe("Socket: rooms", () => {
  it("join(room), join([rooms]) and leave(room) update socket.rooms and the adapter", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io.of("/"), url());
    await server.join("r1");
    await server.join(["r2", "r3"]);
    expect([...server.rooms].sort()).toEqual([server.id, "r1", "r2", "r3"].sort());
    await server.leave("r2");
    expect([...server.rooms].sort()).toEqual([server.id, "r1", "r3"].sort());
    expect(io.of("/").adapter.rooms.get("r1")?.has(server.id)).toBe(true);
    expect(io.of("/").adapter.rooms.has("r2")).toBe(false);
    await server.join("r1");
    expect(io.of("/").adapter.rooms.get("r1")?.size).toBe(1);
  });

  it("[SIO5:broadcast] socket.broadcast.emit reaches everyone but the sender", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const a = await connectRecorded(url());
    const b = await connectRecorded(url());
    const c = await connectRecorded(url());
    serverSocket(nsp, a.client.id).broadcast.emit("news", "from-a");
    for (const x of [a, b, c]) serverSocket(nsp, x.client.id).emit("marker");
    expect(await a.rec.until("marker")).toEqual([]);
    expect(await b.rec.until("marker")).toEqual([["news", "from-a"]]);
    expect(await c.rec.until("marker")).toEqual([["news", "from-a"]]);
  });

  it("[SIO5:broadcast] socket.to / in / except / to().except() exclude the sender and the excepted rooms", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const sender = await connectRecorded(url());
    const inR = await connectRecorded(url());
    const inRandX = await connectRecorded(url());
    const other = await connectRecorded(url());
    const s = serverSocket(nsp, sender.client.id);
    await s.join(["r", "x"]);
    await serverSocket(nsp, inR.client.id).join("r");
    await serverSocket(nsp, inRandX.client.id).join(["r", "x"]);

    s.to("r").emit("to");
    s.in("r").emit("in");
    s.to("r").except("x").emit("to-except");
    s.except("x").emit("except");
    const all = [sender, inR, inRandX, other];
    for (const x of all) serverSocket(nsp, x.client.id).emit("marker");
    const got = await Promise.all(all.map((x) => x.rec.until("marker")));
    expect(names(got[0] ?? [])).toEqual([]);
    expect(names(got[1] ?? [])).toEqual(["to", "in", "to-except", "except"]);
    expect(names(got[2] ?? [])).toEqual(["to", "in"]);
    expect(names(got[3] ?? [])).toEqual(["except"]);
  });
});

describe("Socket: emit and acknowledgements", () => {
  it("[SIO5:ack] server emit with an ack callback gets the client's answer", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    client.on("question", (n: number, cb: Ack) => cb(n + 1, "ok"));
    const answer = await new Promise<unknown[]>((resolve) =>
      server.emit("question", 41, (...args: unknown[]) => resolve(args)),
    );
    expect(answer).toEqual([42, "ok"]);
  });

  it("[SIO5:ack] client emit with an ack: the server handler calls it", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.on("sum", (a: number, b: number, cb: Ack) => cb(a + b));
    });
    const client = await connected(url());
    const answer = await new Promise<unknown[]>((resolve) =>
      client.emit("sum", 2, 3, (...args: unknown[]) => resolve(args)),
    );
    expect(answer).toEqual([5]);
  });

  it("[SIO5:ack] emitWithAck works in both directions", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.on("upper", (s: string, cb: Ack) => cb(s.toUpperCase()));
    });
    const { server, client } = await connectPair(io.of("/"), url());
    client.on("lower", (s: string, cb: Ack) => cb(s.toLowerCase()));
    expect(await client.emitWithAck("upper", "abc")).toBe("ABC");
    expect(await server.emitWithAck("lower", "XYZ")).toBe("xyz");
  });

  it("[SIO5:ack-timeout] timeout(ms).emit(ev, cb): cb gets an Error when the client never acks", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const received = waitFor(client, "ignored");
    const err = await new Promise<unknown>((resolve) =>
      server.timeout(50).emit("ignored", "payload", (e: unknown) => resolve(e)),
    );
    expect(err).toBeInstanceOf(Error);
    expect(await received).toHaveLength(2); // the payload and the (unused) ack function
  });

  it("[SIO5:ack-timeout] timeout(ms).emit(ev, cb): cb gets (null, value) when the client acks in time", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    client.on("fast", (cb: Ack) => cb("done"));
    const args = await new Promise<unknown[]>((resolve) =>
      server.timeout(5000).emit("fast", (...a: unknown[]) => resolve(a)),
    );
    expect(args).toEqual([null, "done"]);
  });

  it("[SIO5:ack-timeout] timeout(ms).emitWithAck rejects when the client never acks", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io.of("/"), url());
    await expect(server.timeout(50).emitWithAck("ignored")).rejects.toBeInstanceOf(Error);
  });

  it("send() and write() emit the 'message' event", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const rec = record(client);
    server.send("one", 1);
    server.write("two", 2);
    server.emit("marker");
    expect(await rec.until("marker")).toEqual([
      ["message", "one", 1],
      ["message", "two", 2],
    ]);
  });

  it("client send() arrives as 'message' on the server", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const got = waitFor(server, "message");
    client.send("hi", { x: 1 });
    expect(await got).toEqual(["hi", { x: 1 }]);
  });

  it("volatile.emit and compress(false).emit are delivered to a connected client", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const rec = record(client);
    server.volatile.emit("v", 1);
    server.compress(false).emit("c", 2);
    server.emit("marker");
    expect(await rec.until("marker")).toEqual([
      ["v", 1],
      ["c", 2],
    ]);
  });
});

describe("Socket: middlewares and catch-all listeners", () => {
  it("[SIO5:socket-middleware] socket.use sees [event, ...args], can pass, rewrite, or block with an Error (socket 'error' event)", async () => {
    const { io, url } = await startServer();
    const seen: unknown[][] = [];
    const handled: unknown[][] = [];
    const errors: string[] = [];
    io.on("connection", (socket) => {
      socket.use((packet, next) => {
        seen.push([...packet]);
        if (packet[0] === "forbidden") return next(new Error("blocked"));
        if (packet[0] === "rewrite") packet[1] = "rewritten";
        next();
      });
      socket.on("error", (err: Error) => errors.push(err.message));
      for (const ev of ["allowed", "forbidden", "rewrite"]) {
        socket.on(ev, (...args: unknown[]) => {
          handled.push([ev, ...args.filter((a) => typeof a !== "function")]);
          ackOf(args)?.("acked");
        });
      }
    });
    const client = await connected(url());
    const server = serverSocket(io.of("/"), client.id);
    const blocked = waitFor(server, "error");
    client.emit("forbidden", 1);
    expect(((await blocked)[0] as Error).message).toBe("blocked");
    expect(await client.emitWithAck("allowed", 2)).toBe("acked");
    expect(await client.emitWithAck("rewrite", "original")).toBe("acked");
    expect(handled).toEqual([
      ["allowed", 2],
      ["rewrite", "rewritten"],
    ]);
    expect(errors).toEqual(["blocked"]);
    expect(seen.map((p) => p[0])).toEqual(["forbidden", "allowed", "rewrite"]);
    expect(seen[0]?.[1]).toBe(1);
  });

  it("onAny / prependAny / listenersAny / offAny for incoming events", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.on("sync", (cb: Ack) => cb());
    });
    const { server, client } = await connectPair(io.of("/"), url());
    const log: string[] = [];
    const l1 = (ev: string, ...args: unknown[]): void => {
      log.push(`l1:${ev}:${args.filter((a) => typeof a !== "function").join(",")}`);
    };
    const l0 = (ev: string): void => {
      log.push(`l0:${ev}`);
    };
    server.onAny(l1);
    server.prependAny(l0);
    expect(server.listenersAny()).toEqual([l0, l1]);
    client.emit("hello", 1, "a");
    await client.emitWithAck("sync");
    expect(log).toEqual(["l0:hello", "l1:hello:1,a", "l0:sync", "l1:sync:"]);

    log.length = 0;
    server.offAny(l0);
    expect(server.listenersAny()).toEqual([l1]);
    await client.emitWithAck("sync");
    expect(log).toEqual(["l1:sync:"]);

    log.length = 0;
    server.offAny();
    expect(server.listenersAny()).toEqual([]);
    await client.emitWithAck("sync");
    expect(log).toEqual([]);
  });

  it("onAnyOutgoing / prependAnyOutgoing / listenersAnyOutgoing / offAnyOutgoing for outgoing events", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const log: unknown[][] = [];
    const o1 = (ev: string, ...args: unknown[]): void => {
      log.push(["o1", ev, ...args]);
    };
    const o0 = (ev: string): void => {
      log.push(["o0", ev]);
    };
    server.onAnyOutgoing(o1);
    server.prependAnyOutgoing(o0);
    expect(server.listenersAnyOutgoing()).toEqual([o0, o1]);
    const got = waitFor(client, "out");
    server.emit("out", 1, { b: 2 });
    expect(log).toEqual([
      ["o0", "out"],
      ["o1", "out", 1, { b: 2 }],
    ]);
    expect(await got).toEqual([1, { b: 2 }]);

    log.length = 0;
    server.offAnyOutgoing(o0);
    expect(server.listenersAnyOutgoing()).toEqual([o1]);
    server.emit("out2");
    expect(log).toEqual([["o1", "out2"]]);

    log.length = 0;
    server.offAnyOutgoing();
    expect(server.listenersAnyOutgoing()).toEqual([]);
    server.emit("out3");
    expect(log).toEqual([]);
  });

  it("[SIO5:reserved-events] emitting a reserved event name from the server throws", async () => {
    const { io, url } = await startServer();
    const { server } = await connectPair(io.of("/"), url());
    for (const name of ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]) {
      expect(() => server.emit(name), `socket.emit(${name})`).toThrow();
      expect(() => io.to("r").emit(name), `io.to(r).emit(${name})`).toThrow();
    }
    expect(server.connected).toBe(true);
  });
});

describe("Socket: disconnection", () => {
  it("[SIO5:disconnect] socket.disconnect(): client 'io server disconnect', server 'server namespace disconnect'", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const clientReason = waitFor(client, "disconnect");
    const serverReason = waitFor(server, "disconnect");
    server.disconnect();
    expect((await serverReason)[0]).toBe("server namespace disconnect");
    expect((await clientReason)[0]).toBe("io server disconnect");
    expect(io.of("/").sockets.has(server.id)).toBe(false);
  });

  it("[SIO5:disconnect] socket.disconnect() leaves the other namespaces of the same connection connected", async () => {
    const { io, url } = await startServer();
    io.of("/b");
    const m = manager(url());
    const main = m.socket("/");
    const b = m.socket("/b");
    await Promise.all([whenConnected(main), whenConnected(b)]);
    const gone = waitFor(main, "disconnect");
    serverSocket(io.of("/"), main.id).disconnect();
    await gone;
    const bServer = serverSocket(io.of("/b"), b.id);
    const got = waitFor(b, "still");
    bServer.emit("still", "here");
    expect(await got).toEqual(["here"]);
    expect(b.connected).toBe(true);
  });

  it("[SIO5:disconnect] socket.disconnect(true) closes the whole connection: the other namespaces disconnect too", async () => {
    const { io, url } = await startServer();
    io.of("/b");
    const m = manager(url());
    const main = m.socket("/");
    const b = m.socket("/b");
    await Promise.all([whenConnected(main), whenConnected(b)]);
    const mainServer = serverSocket(io.of("/"), main.id);
    const bServer = serverSocket(io.of("/b"), b.id);
    const reasons = Promise.all([
      waitFor(mainServer, "disconnect"),
      waitFor(bServer, "disconnect"),
      waitFor(main, "disconnect"),
      waitFor(b, "disconnect"),
      waitFor(m, "close"),
    ]);
    mainServer.disconnect(true);
    const [rMain, rB, cMain, cB] = await reasons;
    expect(rMain[0]).toBe("server namespace disconnect");
    expect(typeof rB[0]).toBe("string");
    expect(["io server disconnect", "transport close"]).toContain(cMain[0]);
    expect(["io server disconnect", "transport close"]).toContain(cB[0]);
    expect(io.of("/b").sockets.size).toBe(0);
  });

  it("[SIO5:disconnect] client socket.disconnect() gives the server 'client namespace disconnect'", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const reason = waitFor(server, "disconnect");
    client.disconnect();
    expect((await reason)[0]).toBe("client namespace disconnect");
  });

  it("[EIO4:close] a connection dropped abruptly gives the server 'transport close'", async () => {
    const { io, port } = await startServer();
    const { raw } = await RawClient.open(port);
    const sid = await raw.connectNsp("/");
    const reason = waitFor(serverSocket(io.of("/"), sid), "disconnect");
    raw.terminate();
    expect((await reason)[0]).toBe("transport close");
  });

  it("[EIO4:close] the official client closing its engine gives the server 'transport close'", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const reason = waitFor(server, "disconnect");
    client.io.engine.close();
    expect((await reason)[0]).toBe("transport close");
  });

  it("'disconnecting' still sees socket.rooms filled; 'disconnect' sees them emptied", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.join(["r1", "r2"]);
    });
    const { server, client } = await connectPair(io.of("/"), url());
    let atDisconnecting: string[] = [];
    let atDisconnect: string[] = ["unset"];
    server.on("disconnecting", (reason: string) => {
      atDisconnecting = [reason, ...[...server.rooms].sort()];
    });
    const done = new Promise<void>((resolve) =>
      server.on("disconnect", () => {
        atDisconnect = [...server.rooms];
        resolve();
      }),
    );
    client.disconnect();
    await done;
    expect(atDisconnecting).toEqual(["client namespace disconnect", ...[server.id, "r1", "r2"].sort()]);
    expect(atDisconnect).toEqual([]);
  });
});

describe("Socket: binary", () => {
  it("[SIO5:binary] Buffers and nested binary travel server → client", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const got = waitFor(client, "bin");
    server.emit("bin", Buffer.from([1, 2, 3]), { nested: [Buffer.from("abc"), { deep: Buffer.from([255]) }], n: 1 });
    const [top, nested] = (await got) as [Buffer, { nested: [Buffer, { deep: Buffer }]; n: number }];
    expect(Buffer.from(top)).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.from(nested.nested[0]).toString()).toBe("abc");
    expect(Buffer.from(nested.nested[1].deep)).toEqual(Buffer.from([255]));
    expect(nested.n).toBe(1);
  });

  it("[SIO5:binary] Buffers and nested binary travel client → server", async () => {
    const { io, url } = await startServer();
    const { server, client } = await connectPair(io.of("/"), url());
    const got = waitFor(server, "bin");
    client.emit("bin", Buffer.from([9, 8]), { list: [1, Buffer.from("xyz")] });
    const [top, nested] = (await got) as [Buffer, { list: [number, Buffer] }];
    expect(Buffer.isBuffer(top)).toBe(true);
    expect(top).toEqual(Buffer.from([9, 8]));
    expect(nested.list[0]).toBe(1);
    expect(Buffer.from(nested.list[1]).toString()).toBe("xyz");
  });

  it("[SIO5:binary-ack] binary in acknowledgements, both directions", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.on("echo", (buf: Buffer, cb: Ack) => cb({ back: Buffer.concat([buf, Buffer.from([0])]) }));
    });
    const { server, client } = await connectPair(io.of("/"), url());
    client.on("give", (cb: Ack) => cb(Buffer.from("from-client"), [Buffer.from([7])]));

    const fromServer = (await client.emitWithAck("echo", Buffer.from([5, 6]))) as { back: Buffer };
    expect(Buffer.from(fromServer.back)).toEqual(Buffer.from([5, 6, 0]));

    const fromClient = await new Promise<unknown[]>((resolve) =>
      server.emit("give", (...args: unknown[]) => resolve(args)),
    );
    const [b1, arr] = fromClient as [Buffer, Buffer[]];
    expect(Buffer.isBuffer(b1)).toBe(true);
    expect(b1.toString()).toBe("from-client");
    expect(arr[0]).toEqual(Buffer.from([7]));
  });
});
