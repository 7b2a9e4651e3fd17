/**
 * What each connection costs the server (issue 4, connect + join ramp and memory per
 * connection), checked for behaviour: ids cut from a random pool are still unique and URL-safe,
 * a query read by hand answers as URLSearchParams would, the 101 answer and the open packet
 * leave in one write, and the Socket.IO layer consuming a session's messages directly leaves the
 * session's own `message` and `close` events intact.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConnectDeadlines } from "../../src/namespaces/connect-deadlines.ts";
import { parseQuery } from "../../src/transport/handshake.ts";
import { randomId } from "../../src/transport/random-id.ts";
import { generateSessionId } from "../../src/transport/index.ts";
import type { EngineSocket } from "../../src/transport/index.ts";
import { cleanup as cleanupHarness, startServer as startIo } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import { cleanup, startServer, TestClient } from "./helpers.ts";

afterEach(async () => {
  await cleanup();
  await cleanupHarness();
});

const URL_SAFE_20 = /^[A-Za-z0-9_-]{20}$/;

describe("ids from the random pool", () => {
  it("are 20 URL-safe characters and distinct across several refills of the pool", () => {
    const ids = new Set<string>();
    // 255 ids per pool fill: 2000 ids span several refills.
    for (let i = 0; i < 2000; i++) {
      const id = i % 2 === 0 ? randomId() : generateSessionId();
      expect(id).toMatch(URL_SAFE_20);
      ids.add(id);
    }
    expect(ids.size).toBe(2000);
  });

  it("give every session and every socket its own id", async () => {
    const { io, port } = await startIo();
    const clients = await Promise.all([RawClient.open(port), RawClient.open(port), RawClient.open(port)]);
    const socketIds = await Promise.all(clients.map(({ raw }) => raw.connectNsp("/")));
    const all = [...clients.map(({ open }) => open.sid), ...socketIds];
    for (const id of all) expect(id).toMatch(URL_SAFE_20);
    expect(new Set(all).size).toBe(6);
    expect(io.of("/").sockets.size).toBe(3);
  });
});

describe("request query parsing", () => {
  it("reads a plain query by hand and anything else with URLSearchParams, with the same answers", () => {
    const queries = [
      "",
      "EIO=4&transport=websocket",
      "EIO=4&transport=polling&sid=Xq3Zb9-kT2_aaPlm0cBn&t=PqXg1",
      "transport=websocket&transport=polling",
      "EIO&transport=&=orphan&&sid=a=b",
      "EIO=4&sid=a%2Db&transport=web%73ocket",
      "EIO=4+&transport=a+b",
      "EIO=%E0%A4%A&sid=%zz",
      "EIOX=4&XEIO=5&EI=6",
      "&&=x&EIO=4&",
    ];
    const names = ["EIO", "transport", "sid", "t", "", "missing"];
    for (const search of queries) {
      const reference = new URLSearchParams(search);
      const query = parseQuery(`/engine.io/?${search}`);
      for (const name of names) {
        expect(query.get(name), `${name} in "${search}"`).toBe(reference.get(name));
        expect(query.has(name), `${name} in "${search}"`).toBe(reference.has(name));
      }
    }
    expect(parseQuery("/engine.io/").get("EIO")).toBeNull();
  });

  it("says which names repeat as URLSearchParams would, in one scan of a plain query", () => {
    const queries = ["EIO=4&EIO=4", "transport=websocket&x=1&transport=", "sid&sid=a", "EIO=4&transport=polling&sid=a&t=1", "EIOX=1&EIO=2&XEIO=3", "&&EIO&&EIO="];
    for (const search of queries) {
      const reference = new URLSearchParams(search);
      const query = parseQuery(`/socket.io/?${search}`);
      for (const name of ["EIO", "transport", "sid", "t", "missing"]) {
        expect(query.repeats(name), `${name} in "${search}"`).toBe(reference.getAll(name).length > 1);
        expect(query.get(name), `${name} in "${search}"`).toBe(reference.get(name));
      }
    }
  });
});

describe("[SIO5:connect-timeout] connect deadlines", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("expire in order, skip the removed, and forget the front as its connections connect", () => {
    vi.useFakeTimers();
    const deadlines = new ConnectDeadlines(1000);
    const expired: string[] = [];
    const waiter = (name: string) => ({ onConnectTimeout: () => expired.push(name) });
    const a = deadlines.add(waiter("a"));
    vi.advanceTimersByTime(400);
    const b = deadlines.add(waiter("b"));
    deadlines.add(waiter("c"));
    deadlines.remove(a);
    // a connected: the front is dropped at once, nothing of it is held until its deadline.
    expect(deadlines.size).toBe(2);
    deadlines.remove(b);
    vi.advanceTimersByTime(599);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(expired).toEqual(["c"]);
    expect(deadlines.size).toBe(0);
    // Tickets stay valid across the queue emptying: a later one expires on time.
    const d = deadlines.add(waiter("d"));
    deadlines.add(waiter("e"));
    deadlines.remove(d);
    deadlines.remove(d);
    vi.advanceTimersByTime(1000);
    expect(expired).toEqual(["c", "e"]);
  });

  it("share one timer between the connections waiting for their CONNECT", async () => {
    const { io, port } = await startIo();
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timeouts();
    // Sessions open but no CONNECT yet.
    const clients = await Promise.all(Array.from({ length: 8 }, () => RawClient.open(port)));
    expect(io.engine.clientsCount).toBe(8);
    // The heartbeats' ping timer and the deadline timer: a connect timer per connection would
    // add 8, a heartbeat timer per session 8 more.
    expect(timeouts() - before).toBeLessThanOrEqual(2);
    await Promise.all(clients.map(({ raw }) => raw.connectNsp("/")));
    expect(io.of("/").sockets.size).toBe(8);
  });
});

describe("WebSocket handshake", () => {
  it("[EIO4:handshake] hands the 101 answer and the open packet to the kernel in one write", async () => {
    const fx = await startServer();
    // What reaches the socket's handle: `_write` per lone chunk, `_writev` for a corked batch.
    const writes: string[] = [];
    fx.http.prependListener("upgrade", (_req: IncomingMessage, socket: Duplex) => {
      const write = socket._write.bind(socket);
      socket._write = (chunk: Buffer | string, encoding: BufferEncoding, cb: (err?: Error | null) => void) => {
        writes.push("write");
        write(chunk, encoding, cb);
      };
      const writev = socket._writev?.bind(socket);
      if (writev !== undefined) {
        socket._writev = (chunks, cb) => {
          writes.push(`writev of ${chunks.length}`);
          writev(chunks, cb);
        };
      }
    });
    const client = new TestClient(fx.wsUrl());
    const open = await client.next();
    expect(String(open.data).startsWith('0{"sid":')).toBe(true);
    expect(writes).toEqual(["writev of 2"]);
  });

  it("[EIO4:handshake] writes the open packet without scheduling an end-of-tick flush, and a send in `connection` follows it", async () => {
    const fx = await startServer();
    // The end-of-tick flushes are scheduled with process.nextTick(flushDirty) (tick-flush.ts).
    const scheduled: string[] = [];
    const nextTick = process.nextTick.bind(process);
    const spy = vi.spyOn(process, "nextTick").mockImplementation((fn, ...args: unknown[]) => {
      scheduled.push((fn as { name: string }).name);
      nextTick(fn as (...a: unknown[]) => void, ...args);
    });
    let flushesBeforeConnection = -1;
    fx.engine.once("connection", (socket: EngineSocket) => {
      // The session is open and its open packet written: nothing was left for a tick flush.
      flushesBeforeConnection = scheduled.filter((name) => name === "flushDirty").length;
      socket.send("hello");
    });
    const client = new TestClient(fx.wsUrl());
    expect((await client.nextText()).startsWith('0{"sid":')).toBe(true);
    expect(await client.nextText()).toBe("4hello");
    spy.mockRestore();
    expect(flushesBeforeConnection).toBe(0);
    // The send in `connection` scheduled one, as any send does.
    expect(scheduled.filter((name) => name === "flushDirty")).toHaveLength(1);
  });
});

describe("the Socket.IO layer as the session's consumer", () => {
  it("leaves the session's message and close events to other listeners, which hear them after the sockets", async () => {
    const { io, port } = await startIo();
    const order: string[] = [];
    const session = new Promise<EngineSocket>((resolve) => io.engine.once("connection", resolve));
    const { raw } = await RawClient.open(port);
    const conn = await session;
    const messages: unknown[] = [];
    conn.on("message", (data) => messages.push(data));
    const closed = new Promise<void>((resolve) => {
      conn.on("close", (reason) => {
        order.push(`session close: ${reason}`);
        resolve();
      });
    });
    io.on("connection", (socket) => {
      socket.on("hello", (who: string) => order.push(`hello ${who}`));
      socket.on("disconnect", (reason) => order.push(`socket disconnect: ${reason}`));
    });
    await raw.connectNsp("/");
    raw.send('42["hello","you"]');
    // [EIO4:close] The client ends the session while its socket is still connected.
    raw.send("1");
    await closed;
    expect(messages).toEqual(["0", '2["hello","you"]']);
    expect(order).toEqual(["hello you", "socket disconnect: transport close", "session close: transport close"]);
  });

  it("decodes other clients' packets while one collects a binary packet's attachments (one shared text decoder)", async () => {
    const { io, port } = await startIo();
    const received: Record<string, unknown[][]> = { a: [], b: [] };
    const names = new Map<string, "a" | "b">();
    io.on("connection", (socket) => {
      socket.onAny((...args: unknown[]) => received[names.get(socket.id) ?? "?"]?.push(args));
    });
    const session = new Promise<EngineSocket>((resolve) => io.engine.once("connection", resolve));
    const a = (await RawClient.open(port)).raw;
    const aSession = await session;
    names.set(await a.connectNsp("/"), "a");
    const b = (await RawClient.open(port)).raw;
    names.set(await b.connectNsp("/"), "b");
    const bSocket = [...io.of("/").sockets.values()].find((s) => names.get(s.id) === "b");

    // [SIO5:binary-attachments] a's binary event waits for its attachment (the session's
    // `message` listeners hear a message once the Socket.IO layer has taken it)...
    const headerTaken = new Promise((resolve) => aSession.once("message", resolve));
    a.send('451-["bin",{"_placeholder":true,"num":0}]');
    await headerTaken;
    // ...while b's packets, its own binary one included, are decoded meanwhile.
    const bDone = new Promise((resolve) => bSocket?.on("done", resolve));
    b.send('42["text",1]');
    b.send('451-["bin",{"_placeholder":true,"num":0}]');
    b.send(Buffer.from([2]));
    b.send('42["done"]');
    await bDone;
    expect(received.a).toEqual([]);
    const aDone = new Promise((resolve) => [...io.of("/").sockets.values()].find((s) => names.get(s.id) === "a")?.on("done", resolve));
    a.send(Buffer.from([1]));
    a.send('42["done"]');
    await aDone;
    expect(received).toEqual({
      a: [["bin", Buffer.from([1])], ["done"]],
      b: [["text", 1], ["bin", Buffer.from([2])], ["done"]],
    });
    // [SIO5:parse-error] A text message where an attachment is due still closes that client alone.
    const aSocket = [...io.of("/").sockets.values()].find((s) => names.get(s.id) === "a");
    const closed = new Promise<string>((resolve) => aSocket?.on("disconnect", resolve));
    a.send('451-["bin",{"_placeholder":true,"num":0}]');
    a.send('42["text",4]');
    expect(await closed).toBe("parse error");
    expect(b.isOpen).toBe(true);
  });
});
