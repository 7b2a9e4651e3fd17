/**
 * Item 1 of issue #9: a network-derived string never becomes an unguarded
 * `EventEmitter.emit("error")` (ERR_UNHANDLED_ERROR kills the process), nor a lifecycle event.
 *
 * socket.io 4.8 (checked side by side): a client's `42["error",…]` reaches `onAny` and the
 * app's `socket.on("error")` listeners with the client's arguments (and an ack function for
 * `421["error"]`); without a listener it is dropped. roomcast does the same. [SIO5:error-event]
 */
import { afterEach, describe, expect, it } from "vitest";
import { Adapter } from "../../src/rooms/adapter.ts";
import { cleanup, startServer, waitFor } from "../support/harness.ts";
import { RawClient } from "../support/raw.ts";
import { Server, type ServerSocket } from "../support/server.ts";
import { describeErrors, recordProcessErrors } from "./process-errors.ts";

afterEach(cleanup);
const crashes = recordProcessErrors();

/** Sends `frame`, then proves the server read past it: the echo of a later event comes back. */
async function sendThenEcho(raw: RawClient, frame: string, nsp = ""): Promise<void> {
  raw.send(frame);
  const prefix = nsp === "" ? "" : `${nsp},`;
  raw.send(`42${prefix}["echo","after"]`);
  expect(await raw.nextText(`42${prefix}["echo"`)).toBe(`42${prefix}["echo","after"]`);
}

describe("A client-sent `error` event [SIO5:error-event]", () => {
  it("is dropped when the app has no `error` listener: no crash, the connection is still served", async () => {
    const { io, port } = await startServer();
    const seen: unknown[][] = [];
    const onSocket = (socket: ServerSocket): void => {
      socket.onAny((...args: unknown[]) => seen.push(args));
      socket.on("echo", (...args: unknown[]) => socket.emit("echo", ...args));
    };
    io.on("connection", onSocket);
    io.of(/^\/dyn-\d+$/).on("connection", onSocket);
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    await raw.connectNsp("/dyn-1");

    await sendThenEcho(raw, '42["error","x"]');
    await sendThenEcho(raw, '421["error"]');
    await sendThenEcho(raw, '42/dyn-1,["error",{"message":"fake"}]', "/dyn-1");
    await sendThenEcho(raw, '42/dyn-1,7["error"]', "/dyn-1");

    expect(describeErrors(crashes.errors)).toEqual([]);
    expect(raw.isOpen).toBe(true);
    // onAny sees it like any other event (as in socket.io).
    expect(seen.filter((e) => e[0] === "error").length).toBe(4);
  });

  it("reaches the app's `error` listeners with the client's arguments and an ack, like socket.io", async () => {
    const { io, port } = await startServer();
    const calls: unknown[][] = [];
    io.on("connection", (socket) => {
      socket.on("error", (...args: unknown[]) => {
        calls.push(args);
        const ack = args[args.length - 1];
        if (typeof ack === "function") (ack as (v: string) => void)("acked");
      });
    });
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    raw.send('42["error","from client"]');
    raw.send('425["error"]');
    expect(await raw.nextText("435")).toBe('435["acked"]');
    expect(calls[0]).toEqual(["from client"]);
    expect(typeof calls[1]?.[0]).toBe("function");
    expect(describeErrors(crashes.errors)).toEqual([]);
  });
});

describe("Event names that are Object.prototype members", () => {
  it("reach listeners registered under them and nothing else; the connection is still served", async () => {
    const { io, port } = await startServer();
    const names = ["__proto__", "constructor", "hasOwnProperty", "toString", "valueOf", "prototype"];
    const heard: string[] = [];
    const middlewareSaw: string[] = [];
    io.on("connection", (socket) => {
      socket.use((event, next) => {
        middlewareSaw.push(String(event[0]));
        next();
      });
      socket.on("toString", () => heard.push("toString"));
      socket.on("echo", (...args: unknown[]) => socket.emit("echo", ...args));
    });
    const { raw } = await RawClient.open(port);
    await raw.connectNsp("/");
    for (const name of names) await sendThenEcho(raw, `42${JSON.stringify([name, 1])}`);
    expect(heard).toEqual(["toString"]);
    expect(middlewareSaw.filter((n) => n !== "echo")).toEqual(names);
    expect(describeErrors(crashes.errors)).toEqual([]);
  });
});

describe("Event names from other nodes (serverSideEmit)", () => {
  it("never fire lifecycle or listener-bookkeeping events, and an unheard `error` is dropped", () => {
    const io = new Server();
    const nsp = io.of("/");
    const fired: string[] = [];
    for (const ev of ["connection", "connect", "new_namespace"] as const) nsp.on(ev, () => fired.push(ev));
    nsp.on("custom", (n: unknown) => fired.push(`custom:${String(n)}`));
    for (const name of ["connection", "connect", "new_namespace", "newListener", "removeListener", "error"]) {
      nsp.onServerSideEmit([name, "fake"]);
    }
    nsp.onServerSideEmit(["custom", 1]);
    expect(fired).toEqual(["custom:1"]);
  });
});

describe("Other network-derived names", () => {
  it("handshake.query keeps `__proto__` as a plain key, never as the query's prototype", async () => {
    const { io, port } = await startServer();
    const connection = waitFor(io, "connection");
    // URLSearchParams would not repeat a key, so the query is written by hand.
    const { raw } = await RawClient.open(port, { rawQuery: "__proto__=a&__proto__=b&constructor=c" });
    await raw.connectNsp("/");
    const [socket] = (await connection) as [ServerSocket];
    const query = socket.handshake.query;
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(query, "__proto__")?.value).toEqual(["a", "b"]);
    expect(query["constructor"]).toBe("c");
  });

  it("an adapter whose init() fails, with nobody listening to its `error`, raises no unhandled rejection", async () => {
    class FailingAdapter extends Adapter {
      override init(): Promise<void> {
        return Promise.reject(new Error("broker unreachable"));
      }
    }
    const io = new Server({ adapter: FailingAdapter });
    io.of("/other");
    // Two macrotask turns: an unhandled rejection is reported after the microtask queue drains.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(describeErrors(crashes.errors)).toEqual([]);
    await io.close();
  });
});
