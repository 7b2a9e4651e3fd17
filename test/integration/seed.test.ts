/**
 * A. Every code sample of SEED.md (rooms, room events, namespaces, main namespace, dynamic
 * namespace priority), run against real servers and the official client.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  ackOf,
  cleanup,
  connectRecorded,
  connected,
  serverSocket,
  startServer,
  waitFor,
  names,
} from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";

afterEach(cleanup);

describe("SEED: rooms — joining and leaving", () => {
  it("[SIO5:broadcast] io.to(room).emit reaches every socket that joined the room in the connection handler, and no one else", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.join("some room");
    });
    const a = await connectRecorded(url());
    const b = await connectRecorded(url());
    const c = await connectRecorded(url());
    const nsp = io.of("/");
    // c leaves, so it is the non-member.
    await serverSocket(nsp, c.client.id).leave("some room");
    expect(nsp.adapter.rooms.get("some room")?.size).toBe(2);

    io.to("some room").emit("some event", { n: 1 });
    for (const x of [a, b, c]) serverSocket(nsp, x.client.id).emit("marker");

    expect(await a.rec.until("marker")).toEqual([["some event", { n: 1 }]]);
    expect(await b.rec.until("marker")).toEqual([["some event", { n: 1 }]]);
    expect(await c.rec.until("marker")).toEqual([]);
  });

  it("[SIO5:broadcast] in() is the same as to()", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      socket.join("some room");
    });
    const a = await connectRecorded(url());
    io.in("some room").emit("some event", "via in");
    serverSocket(io.of("/"), a.client.id).emit("marker");
    expect(await a.rec.until("marker")).toEqual([["some event", "via in"]]);
  });

  it("[SIO5:broadcast-union] io.to(room1).to(room2).to(room3) delivers ONCE to sockets in one, two or three of the rooms, nothing to others", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const inOne = await connectRecorded(url());
    const inTwo = await connectRecorded(url());
    const inThree = await connectRecorded(url());
    const inNone = await connectRecorded(url());
    const inOther = await connectRecorded(url());
    await serverSocket(nsp, inOne.client.id).join("room2");
    await serverSocket(nsp, inTwo.client.id).join(["room1", "room3"]);
    await serverSocket(nsp, inThree.client.id).join(["room1", "room2", "room3"]);
    await serverSocket(nsp, inOther.client.id).join("room4");

    io.to("room1").to("room2").to("room3").emit("some event", 1, "two");
    const all = [inOne, inTwo, inThree, inNone, inOther];
    for (const x of all) serverSocket(nsp, x.client.id).emit("marker");

    const got = await Promise.all(all.map((x) => x.rec.until("marker")));
    expect(got[0]).toEqual([["some event", 1, "two"]]);
    expect(got[1]).toEqual([["some event", 1, "two"]]);
    expect(got[2]).toEqual([["some event", 1, "two"]]);
    expect(got[3]).toEqual([]);
    expect(got[4]).toEqual([]);
  });

  it("[SIO5:broadcast-union] to([room1, room2]) with an array is the same union", async () => {
    const { io, url } = await startServer();
    const nsp = io.of("/");
    const both = await connectRecorded(url());
    await serverSocket(nsp, both.client.id).join(["room1", "room2"]);
    io.to(["room1", "room2"]).emit("some event");
    serverSocket(nsp, both.client.id).emit("marker");
    expect(names(await both.rec.until("marker"))).toEqual(["some event"]);
  });

  it("[SIO5:broadcast-except-sender] socket.to(room).emit in the connection handler reaches room members except the sender", async () => {
    const { io, url } = await startServer();
    io.on("connection", (socket) => {
      if (socket.handshake.query["member"] !== "no") socket.join("some room");
      socket.to("some room").emit("some event", socket.id);
    });
    const nsp = io.of("/");
    const first = await connectRecorded(url());
    const second = await connectRecorded(url());
    const outsider = await connectRecorded(url(), { query: { member: "no" } });
    for (const x of [first, second, outsider]) serverSocket(nsp, x.client.id).emit("marker");

    expect(await first.rec.until("marker")).toEqual([
      ["some event", second.client.id],
      ["some event", outsider.client.id],
    ]);
    expect(await second.rec.until("marker")).toEqual([["some event", outsider.client.id]]);
    expect(await outsider.rec.until("marker")).toEqual([]);
  });
});

describe("SEED: room events (adapter)", () => {
  it("[SIO5:room-events] create-room / join-room on join, leave-room / delete-room on disconnect, with (room) and (room, id)", async () => {
    const { io, url } = await startServer();
    const log: unknown[][] = [];
    const adapter = io.of("/").adapter;
    adapter.on("create-room", (room: string) => log.push(["create-room", room]));
    adapter.on("delete-room", (room: string) => log.push(["delete-room", room]));
    adapter.on("join-room", (room: string, id: string) => log.push(["join-room", room, id]));
    adapter.on("leave-room", (room: string, id: string) => log.push(["leave-room", room, id]));
    io.on("connection", (socket) => {
      socket.join("room1");
    });

    const a = await connected(url());
    const idA = a.id as string;
    expect(log).toEqual([
      ["create-room", idA],
      ["join-room", idA, idA],
      ["create-room", "room1"],
      ["join-room", "room1", idA],
    ]);

    log.length = 0;
    const b = await connected(url());
    const idB = b.id as string;
    // room1 exists already: no second create-room for it
    expect(log).toEqual([
      ["create-room", idB],
      ["join-room", idB, idB],
      ["join-room", "room1", idB],
    ]);

    // a leaves: room1 still has b, so only its own room is deleted
    log.length = 0;
    const goneA = waitFor(adapter, "delete-room");
    const disconnectedA = waitFor(serverSocket(io.of("/"), idA), "disconnect");
    a.disconnect();
    await disconnectedA;
    await goneA;
    expect(log).toContainEqual(["leave-room", idA, idA]);
    expect(log).toContainEqual(["leave-room", "room1", idA]);
    expect(log).toContainEqual(["delete-room", idA]);
    expect(log).not.toContainEqual(["delete-room", "room1"]);
    expect(log).toHaveLength(3);
    expect(log.findIndex((e) => e[0] === "leave-room" && e[1] === idA)).toBeLessThan(
      log.findIndex((e) => e[0] === "delete-room" && e[1] === idA),
    );

    // b leaves: room1 becomes empty and is deleted
    log.length = 0;
    const roomGone = new Promise<void>((resolve) =>
      adapter.on("delete-room", (room: string) => {
        if (room === "room1") resolve();
      }),
    );
    const ownGone = new Promise<void>((resolve) =>
      adapter.on("delete-room", (room: string) => {
        if (room === idB) resolve();
      }),
    );
    b.disconnect();
    await Promise.all([roomGone, ownGone]);
    expect([...log].sort()).toEqual(
      [
        ["leave-room", idB, idB],
        ["delete-room", idB],
        ["leave-room", "room1", idB],
        ["delete-room", "room1"],
      ].sort(),
    );
    expect(log.findIndex((e) => e[0] === "leave-room" && e[1] === "room1")).toBeLessThan(
      log.findIndex((e) => e[0] === "delete-room" && e[1] === "room1"),
    );
  });

  it("[SIO5:room-events] socket.leave(room) emits leave-room then delete-room when the room empties", async () => {
    const { io, url } = await startServer();
    const log: unknown[][] = [];
    const adapter = io.of("/").adapter;
    const a = await connected(url());
    const s = serverSocket(io.of("/"), a.id);
    await s.join("solo");
    adapter.on("leave-room", (room: string, id: string) => log.push(["leave-room", room, id]));
    adapter.on("delete-room", (room: string) => log.push(["delete-room", room]));
    await s.leave("solo");
    expect(log).toEqual([
      ["leave-room", "solo", a.id],
      ["delete-room", "solo"],
    ]);
    expect(io.of("/").adapter.rooms.has("solo")).toBe(false);
  });
});

describe("SEED: namespaces", () => {
  it("[SIO5:namespaces] /orders and /users each run only their own event handlers", async () => {
    const { io, url } = await startServer();
    const calls: string[] = [];
    const handler =
      (name: string) =>
      (...args: unknown[]): void => {
        calls.push(name);
        ackOf(args)?.(name);
      };
    io.of("/orders").on("connection", (socket) => {
      socket.on("order:list", handler("orders:order:list"));
      socket.on("order:create", handler("orders:order:create"));
    });
    io.of("/users").on("connection", (socket) => {
      socket.on("user:list", handler("users:user:list"));
    });

    const orders = await connected(url("/orders"));
    const users = await connected(url("/users"));

    expect(await orders.emitWithAck("order:list")).toBe("orders:order:list");
    expect(await orders.emitWithAck("order:create", { item: "x" })).toBe("orders:order:create");
    expect(await users.emitWithAck("user:list")).toBe("users:user:list");
    // the users handler does not exist in /orders, and vice versa (ordered by the acked marker)
    orders.emit("user:list");
    users.emit("order:list");
    expect(await orders.emitWithAck("order:list")).toBe("orders:order:list");
    expect(await users.emitWithAck("user:list")).toBe("users:user:list");
    expect(calls).toEqual([
      "orders:order:list",
      "orders:order:create",
      "users:user:list",
      "orders:order:list",
      "users:user:list",
    ]);
  });

  it("[SIO5:namespaces] room1 in /orders is distinct from room1 in /users: hello and holà reach only their namespace", async () => {
    const { io, url } = await startServer();
    const orderNamespace = io.of("/orders");
    orderNamespace.on("connection", (socket) => {
      socket.join("room1");
      orderNamespace.to("room1").emit("hello");
    });
    const userNamespace = io.of("/users");
    userNamespace.on("connection", (socket) => {
      socket.join("room1"); // distinct from the room in the "orders" namespace
      userNamespace.to("room1").emit("holà");
    });

    const o1 = await connectRecorded(url("/orders"));
    const u1 = await connectRecorded(url("/users"));
    const o2 = await connectRecorded(url("/orders"));
    expect(orderNamespace.adapter.rooms.get("room1")?.size).toBe(2);
    expect(userNamespace.adapter.rooms.get("room1")?.size).toBe(1);

    serverSocket(orderNamespace, o1.client.id).emit("marker");
    serverSocket(orderNamespace, o2.client.id).emit("marker");
    serverSocket(userNamespace, u1.client.id).emit("marker");
    expect(names(await o1.rec.until("marker"))).toEqual(["hello", "hello"]);
    expect(names(await o2.rec.until("marker"))).toEqual(["hello"]);
    expect(names(await u1.rec.until("marker"))).toEqual(["holà"]);
  });

  it("[SIO5:namespaces] each namespace's middleware runs only for connections to that namespace", async () => {
    const { io, url } = await startServer();
    const ran: string[] = [];
    const orderNamespace = io.of("/orders");
    orderNamespace.use((socket, next) => {
      ran.push(`orders:${socket.nsp.name}`);
      next();
    });
    const userNamespace = io.of("/users");
    userNamespace.use((socket, next) => {
      ran.push(`users:${socket.nsp.name}`);
      next();
    });

    await connected(url("/orders"));
    expect(ran).toEqual(["orders:/orders"]);
    await connected(url("/users"));
    expect(ran).toEqual(["orders:/orders", "users:/users"]);
    await connected(url("/"));
    expect(ran).toEqual(["orders:/orders", "users:/users"]);
  });
});

describe("SEED: main namespace", () => {
  it("[SIO5:main-namespace] io.on('connection') and io.of('/').on('connection') both see the same socket", async () => {
    const { io, url } = await startServer();
    const seen: Array<[string, ServerSocket]> = [];
    io.on("connection", (socket) => seen.push(["io", socket]));
    io.of("/").on("connection", (socket) => seen.push(["of", socket]));
    const c = await connected(url());
    expect(seen.map((s) => s[0])).toEqual(["io", "of"]);
    expect(seen[0]?.[1]).toBe(seen[1]?.[1]);
    expect(seen[0]?.[1].id).toBe(c.id);
    expect(seen[0]?.[1].nsp).toBe(io.of("/"));
  });

  it("[SIO5:main-namespace] io.use and io.of('/').use register on the same middleware chain, in order", async () => {
    const { io, url } = await startServer();
    const ran: string[] = [];
    io.use((_socket, next) => {
      ran.push("io.use");
      next();
    });
    io.of("/").use((_socket, next) => {
      ran.push("of.use");
      next();
    });
    io.use((_socket, next) => {
      ran.push("io.use#2");
      next();
    });
    await connected(url());
    expect(ran).toEqual(["io.use", "of.use", "io.use#2"]);
  });

  it("[SIO5:main-namespace] io.emit and io.of('/').emit both reach clients of the main namespace", async () => {
    const { io, url } = await startServer();
    io.of("/other");
    const main = await connectRecorded(url());
    const other = await connectRecorded(url("/other"));
    io.emit("hello", "io");
    io.of("/").emit("hello", "of");
    serverSocket(io.of("/"), main.client.id).emit("marker");
    serverSocket(io.of("/other"), other.client.id).emit("marker");
    expect(await main.rec.until("marker")).toEqual([
      ["hello", "io"],
      ["hello", "of"],
    ]);
    expect(await other.rec.until("marker")).toEqual([]);
  });

  it("[SIO5:main-namespace] io.sockets === io.of('/')", async () => {
    const { io } = await startServer();
    expect(io.sockets).toBe(io.of("/"));
    expect(io.of("/").name).toBe("/");
  });
});

describe("SEED: dynamic namespace priority", () => {
  it("[SIO5:dynamic-namespace] an existing namespace has priority: the regex handler is not called for /dynamic-101 but is for /dynamic-102", async () => {
    const { io, url } = await startServer();
    const exact: string[] = [];
    // register "dynamic-101" namespace
    io.of("/dynamic-101").on("connection", (socket) => exact.push(socket.nsp.name));
    const dynamic: string[] = [];
    io.of(/^\/dynamic-\d+$/).on("connection", (socket) => {
      // will not be called for a connection on the "dynamic-101" namespace
      dynamic.push(socket.nsp.name);
    });

    await connected(url("/dynamic-101"));
    const c102 = await connected(url("/dynamic-102"));
    expect(exact).toEqual(["/dynamic-101"]);
    expect(dynamic).toEqual(["/dynamic-102"]);
    expect(c102.connected).toBe(true);
  });
});
