/**
 * Shared harness for the integration suite: real HTTP servers on 127.0.0.1:0, real
 * `socket.io-client` clients over WebSocket, and one `cleanup()` that closes everything a
 * test opened (call it from `afterEach`).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  io as ioc,
  Manager,
  type ManagerOptions,
  type Socket as ClientSocket,
  type SocketOptions,
} from "socket.io-client";
import { Server, type ServerSocket } from "./server.ts";

export type { ClientSocket };

/** Options accepted by the server constructor (second argument of the httpServer form). */
export type ServerOpts = NonNullable<ConstructorParameters<typeof Server>[1]>;
export type ClientOpts = Partial<ManagerOptions & SocketOptions>;

/**
 * Options every official client of this suite uses: WebSocket only, so the Socket.IO-level
 * behaviour is tested without the polling phase (test/polling covers polling and the upgrade).
 */
export const CLIENT_DEFAULTS = {
  transports: ["websocket"],
  forceNew: true,
  reconnection: false,
} as const satisfies ClientOpts;

const closers: Array<() => Promise<void> | void> = [];

/** Registers something to close in `cleanup()` (run in reverse order). */
export function onCleanup(fn: () => Promise<void> | void): void {
  closers.push(fn);
}

/** Closes every client, manager and server opened since the last cleanup. */
export async function cleanup(): Promise<void> {
  const fns = closers.splice(0).reverse();
  for (const fn of fns) {
    await fn();
  }
}

export interface TestServer {
  io: Server;
  httpServer: http.Server;
  port: number;
  /** `http://127.0.0.1:PORT/nsp` (nsp defaults to "/"). */
  url(nsp?: string): string;
  /** Closes the Socket.IO server and the HTTP server (idempotent). */
  close(): Promise<void>;
}

/** Resolves once `srv` listens on 127.0.0.1 with an ephemeral port; returns the port. */
export function listen(srv: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      srv.off("error", reject);
      resolve((srv.address() as AddressInfo).port);
    });
  });
}

/** Closes an HTTP server if it is still listening (and drops its open connections). */
export function closeHttp(srv: http.Server): Promise<void> {
  if (!srv.listening) return Promise.resolve();
  return new Promise((resolve) => {
    srv.close(() => resolve());
    srv.closeAllConnections();
  });
}

/** Starts `new Server(httpServer, opts)` on 127.0.0.1, port 0. */
export async function startServer(opts: ServerOpts = {}): Promise<TestServer> {
  const httpServer = http.createServer();
  const io = new Server(httpServer, opts);
  const port = await listen(httpServer);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await io.close();
      await closeHttp(httpServer);
    })();
    return closed;
  };
  onCleanup(close);
  return {
    io,
    httpServer,
    port,
    url: (nsp = "/") => `http://127.0.0.1:${port}${nsp === "/" ? "" : nsp}`,
    close,
  };
}

/** Creates an official client (not yet awaited) with the suite's defaults; closed by cleanup(). */
export function connect(url: string, opts: ClientOpts = {}): ClientSocket {
  const socket = ioc(url, { ...CLIENT_DEFAULTS, ...opts });
  onCleanup(() => {
    socket.disconnect();
  });
  return socket;
}

/** Creates a Manager with the suite's defaults; every socket it made is closed by cleanup(). */
export function manager(url: string, opts: ClientOpts = {}): Manager {
  const m = new Manager(url, { ...CLIENT_DEFAULTS, ...opts });
  onCleanup(() => {
    m.engine?.close();
  });
  return m;
}

/** Anything with `once`/`off` (Node EventEmitter, socket.io-client emitters). */
export interface OnceEmitter {
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Resolves with the arguments of the next `event` emitted by `emitter`. */
export function waitFor(emitter: OnceEmitter, event: string): Promise<unknown[]> {
  return new Promise((resolve) => {
    emitter.once(event, (...args: unknown[]) => resolve(args));
  });
}

/** Awaits the client's `connect`; rejects with the error of `connect_error`. */
export function whenConnected(socket: ClientSocket): Promise<ClientSocket> {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const onErr = (err: Error): void => {
      socket.off("connect", onOk);
      reject(err);
    };
    const onOk = (): void => {
      socket.off("connect_error", onErr);
      resolve(socket);
    };
    socket.once("connect", onOk);
    socket.once("connect_error", onErr);
  });
}

/** Connects an official client and awaits its `connect`. */
export function connected(url: string, opts: ClientOpts = {}): Promise<ClientSocket> {
  return whenConnected(connect(url, opts));
}

/** Awaits the client's `connect_error` and returns the error. */
export function connectError(socket: ClientSocket): Promise<Error & { data?: unknown }> {
  return new Promise((resolve, reject) => {
    socket.once("connect_error", (err: Error & { data?: unknown }) => resolve(err));
    socket.once("connect", () => reject(new Error("unexpectedly connected")));
  });
}

/** The namespace-like object a connection can be awaited on. */
export interface ConnectionSource {
  once(event: "connection", listener: (socket: ServerSocket) => void): unknown;
}

export interface Pair {
  client: ClientSocket;
  server: ServerSocket;
}

/**
 * Connects an official client to `url` and awaits both its `connect` and the matching
 * server-side `connection` on `nsp` (registered after the test's own handlers, so those have
 * run when this resolves). Connect pairs one after another, not concurrently.
 */
export async function connectPair(nsp: ConnectionSource, url: string, opts: ClientOpts = {}): Promise<Pair> {
  const serverSide = new Promise<ServerSocket>((resolve) => nsp.once("connection", resolve));
  const client = await connected(url, opts);
  const server = await serverSide;
  if (server.id !== client.id) throw new Error(`server socket ${server.id} != client ${String(client.id)}`);
  return { client, server };
}

/** An event as a client received it: name then arguments. */
export type Received = [string, ...unknown[]];

/**
 * Records every event a client receives (via `onAny`) from now on. `until(marker)` resolves
 * with the events received BEFORE the next `marker` event: an ordering barrier, since one
 * connection delivers in order.
 */
export function record(client: ClientSocket): { events: Received[]; until(marker: string): Promise<Received[]> } {
  const events: Received[] = [];
  let consumed = 0;
  let waiter: { marker: string; resolve: (evs: Received[]) => void } | undefined;
  const take = (markerIdx: number): Received[] => {
    const out = events.slice(consumed, markerIdx);
    consumed = markerIdx + 1;
    return out;
  };
  client.onAny((event: string, ...args: unknown[]) => {
    events.push([event, ...args]);
    if (waiter && waiter.marker === event) {
      const w = waiter;
      waiter = undefined;
      w.resolve(take(events.length - 1));
    }
  });
  return {
    events,
    until(marker: string): Promise<Received[]> {
      if (waiter) throw new Error("record(): one until() at a time");
      const found = events.findIndex((e, i) => i >= consumed && e[0] === marker);
      if (found >= 0) return Promise.resolve(take(found));
      return new Promise((resolve) => {
        waiter = { marker, resolve };
      });
    },
  };
}

/** Names of the recorded events. */
export function names(evs: Received[]): string[] {
  return evs.map((e) => e[0]);
}

/** A callback argument as a listener receives it (the client's ack function). */
export type Ack = (...args: unknown[]) => void;

/** The trailing function argument of a listener call (its ack), if any. */
export function ackOf(args: unknown[]): Ack | undefined {
  const last = args[args.length - 1];
  return typeof last === "function" ? (last as Ack) : undefined;
}

/** Anything with a `sockets` map keyed by socket id (a server namespace). */
export interface HasSockets {
  sockets: Map<string, ServerSocket>;
}

/** The server-side socket of `id` in `nsp` (throws if absent). */
export function serverSocket(nsp: HasSockets, id: string | undefined): ServerSocket {
  const s = id === undefined ? undefined : nsp.sockets.get(id);
  if (!s) throw new Error(`no server socket ${String(id)}`);
  return s;
}

/** Connects an official client whose events are recorded from before its CONNECT. */
export async function connectRecorded(
  url: string,
  opts: ClientOpts = {},
): Promise<{ client: ClientSocket; rec: ReturnType<typeof record> }> {
  const client = connect(url, opts);
  const rec = record(client);
  await whenConnected(client);
  return { client, rec };
}
