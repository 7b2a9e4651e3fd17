/**
 * The code samples of SEED.md, run AS WRITTEN: each ```js block is extracted from the document
 * and executed with `io` bound to a live roomcast server, then its effect is checked with the
 * official client. (seed.test.ts checks the same behaviours more thoroughly, written as tests.)
 */
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, connectRecorded, serverSocket, startServer } from "../support/harness.ts";
import type { Server } from "../support/server.ts";

const SHARED_SEED = new URL("../../../shared/SEED.md", import.meta.url);
const FIXTURE_SEED = new URL("../fixtures/SEED.md", import.meta.url);

/** The seed document: the shared original when it is beside the repo, else the committed copy. */
const seedText = readFileSync(existsSync(SHARED_SEED) ? SHARED_SEED : FIXTURE_SEED, "utf8");
const samples = [...seedText.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] as string);

/** Runs one sample as written, with `io` and a console that records what it logs. */
function run(sample: string, io: Server, logs: string[] = []): void {
  const console = { log: (...args: unknown[]) => logs.push(args.map(String).join(" ")) };
  new Function("io", "console", sample)(io, console);
}

/** The sample that contains `needle` (exactly one must). */
function sample(needle: string): string {
  const found = samples.filter((s) => s.includes(needle));
  expect(found, `samples containing ${needle}`).toHaveLength(1);
  return found[0] as string;
}

afterEach(cleanup);

describe("SEED.md samples, run as written", () => {
  it("the committed copy is the shared seed, and it has the 11 samples this file checks", () => {
    if (existsSync(SHARED_SEED)) expect(readFileSync(FIXTURE_SEED, "utf8")).toBe(readFileSync(SHARED_SEED, "utf8"));
    expect(samples).toHaveLength(11);
  });

  it("every sample runs without throwing", async () => {
    for (const code of samples) {
      const { io } = await startServer();
      expect(() => run(code, io)).not.toThrow();
    }
  });

  it("[SIO5:broadcast] join in the connection handler, then io.to(room).emit reaches the member", async () => {
    const { io, url } = await startServer();
    run(sample('socket.join("some room");\n});'), io);
    const member = await connectRecorded(url());
    expect(io.of("/").adapter.rooms.get("some room")?.has(member.client.id ?? "")).toBe(true);
    run(sample('io.to("some room").emit("some event");'), io);
    serverSocket(io.of("/"), member.client.id).emit("marker");
    expect(await member.rec.until("marker")).toEqual([["some event"]]);
  });

  it("[SIO5:broadcast-union] the three-room union delivers once to a socket in two of the rooms", async () => {
    const { io, url } = await startServer();
    const both = await connectRecorded(url());
    await serverSocket(io.of("/"), both.client.id).join(["room2", "room3"]);
    run(sample('io.to("room1").to("room2").to("room3")'), io);
    serverSocket(io.of("/"), both.client.id).emit("marker");
    expect(await both.rec.until("marker")).toEqual([["some event"]]);
  });

  it("[SIO5:broadcast-except] socket.to(room).emit reaches the room but not the sender", async () => {
    const { io, url } = await startServer();
    run(sample('socket.join("some room");\n});'), io);
    run(sample('socket.to("some room").emit("some event");'), io);
    const first = await connectRecorded(url());
    const second = await connectRecorded(url());
    for (const c of [first, second]) serverSocket(io.of("/"), c.client.id).emit("marker");
    expect(await first.rec.until("marker")).toEqual([["some event"]]);
    expect(await second.rec.until("marker")).toEqual([]);
  });

  it("room events: create-room and join-room are logged as the sample says", async () => {
    const { io, url } = await startServer();
    const logs: string[] = [];
    run(sample('adapter.on("create-room"'), io, logs);
    run(sample('socket.join("some room");\n});'), io);
    const client = await connectRecorded(url());
    expect(logs).toContain("room some room was created");
    expect(logs).toContain(`socket ${client.client.id} has joined room some room`);
    expect(logs).toContain(`room ${client.client.id} was created`);
  });

  it("namespaces have their own event handlers", async () => {
    const { io, url } = await startServer();
    run(sample('socket.on("order:list"'), io);
    const order = await connectRecorded(url("/orders"));
    const user = await connectRecorded(url("/users"));
    const orderSocket = serverSocket(io.of("/orders"), order.client.id);
    const userSocket = serverSocket(io.of("/users"), user.client.id);
    expect([orderSocket.listenerCount("order:list"), orderSocket.listenerCount("order:create")]).toEqual([1, 1]);
    expect(orderSocket.listenerCount("user:list")).toBe(0);
    expect([userSocket.listenerCount("user:list"), userSocket.listenerCount("order:list")]).toEqual([1, 0]);
  });

  it("namespaces have their own rooms: each room1 broadcast stays in its namespace", async () => {
    const { io, url } = await startServer();
    const code = sample("distinct from the room");
    const userEvent = /userNamespace\.to\("room1"\)\.emit\("([^"]*)"\)/.exec(code)?.[1];
    expect(userEvent).toMatch(/^hol/);
    run(code, io);
    const order = await connectRecorded(url("/orders"));
    await order.rec.until("hello");
    const user = await connectRecorded(url("/users"));
    await user.rec.until(userEvent as string);
    serverSocket(io.of("/orders"), order.client.id).emit("marker");
    expect(await order.rec.until("marker")).toEqual([]);
  });

  it("namespaces have their own middlewares", async () => {
    const { io, url } = await startServer();
    run(sample("ensure the socket has access"), io);
    const order = await connectRecorded(url("/orders"));
    const user = await connectRecorded(url("/users"));
    expect(order.client.connected && user.client.connected).toBe(true);
    expect(io.of("/orders").middlewares).toHaveLength(1);
    expect(io.of("/users").middlewares).toHaveLength(1);
    expect(io.of("/orders").middlewares[0]).not.toBe(io.of("/users").middlewares[0]);
  });

  it("main namespace: io.on / io.use / io.emit act on io.of('/')", async () => {
    const { io, url } = await startServer();
    run(sample("// are actually equivalent to"), io);
    expect(io.of("/").listenerCount("connection")).toBe(2);
    expect(io.of("/").middlewares).toHaveLength(2);
    const client = await connectRecorded(url());
    io.emit("hello");
    io.of("/").emit("hello");
    serverSocket(io.of("/"), client.client.id).emit("marker");
    expect(await client.rec.until("marker")).toEqual([["hello"], ["hello"]]);
  });

  it("io.sockets === io.of('/') evaluates to true", async () => {
    const { io } = await startServer();
    const expression = sample("io.sockets ===").trim().replace(/;$/, "");
    expect(new Function("io", `return (${expression});`)(io)).toBe(true);
  });

  it("existing namespaces have priority over dynamic ones", async () => {
    const { io, url } = await startServer();
    run(sample("dynamic-101"), io);
    const exact = io.of("/dynamic-101");
    const onExact = await connectRecorded(url("/dynamic-101"));
    expect(exact.sockets.has(onExact.client.id ?? "")).toBe(true);
    const onDynamic = await connectRecorded(url("/dynamic-102"));
    expect(io.of("/dynamic-102").sockets.has(onDynamic.client.id ?? "")).toBe(true);
  });
});
