/**
 * Helpers for the connection state recovery suites: the three kinds of official client, a
 * recorder of what a client receives (with its `connect`s in the stream), and the brief
 * disconnect (`socket.io.engine.close()`) awaited on both sides.
 */
import type { ServerSocket } from "../support/server.ts";
import { type ClientOpts, type ClientSocket, type ConnectionSource, connect, waitFor, whenConnected } from "../support/harness.ts";

/** The official client over WebSocket only, long-polling only, and the default (polling, then the upgrade). */
export const CLIENT_KINDS: ReadonlyArray<readonly [string, ClientOpts]> = [
  ["websocket-only", { transports: ["websocket"] }],
  ["polling-only", { transports: ["polling"] }],
  ["default", { transports: ["polling", "websocket"] }],
];

/** What a client received, in order: events as `[name, ...args]`, and `["<connect>", recovered]` at each connect. */
export type Log = unknown[][];

/** A client whose events (and connects) are recorded from before its first CONNECT. */
export interface Recorded {
  client: ClientSocket;
  log: Log;
  /** Resolves once an event named `name` has been received (at once if it already was). */
  received(name: string): Promise<void>;
}

/** Connects an official client to `url` (reconnection off: the tests reconnect by hand). */
export async function recorded(url: string, opts: ClientOpts = {}): Promise<Recorded> {
  const client = connect(url, opts);
  const log: Log = [];
  const waiters: Array<{ name: string; resolve: () => void }> = [];
  const push = (entry: unknown[]): void => {
    log.push(entry);
    for (const w of waiters.filter((x) => x.name === entry[0])) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  client.onAny((...args: unknown[]) => push(args));
  client.on("connect", () => push(["<connect>", client.recovered]));
  await whenConnected(client);
  return {
    client,
    log,
    received: (name) =>
      log.some((e) => e[0] === name) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ name, resolve })),
  };
}

/** Cuts the client's connection (`socket.io.engine.close()`) and waits until both sides saw it. */
export async function drop(client: ClientSocket, server: ServerSocket): Promise<string> {
  const gone = waitFor(server, "disconnect");
  const clientGone = waitFor(client, "disconnect");
  client.io.engine.close();
  const [[reason]] = await Promise.all([gone, clientGone]);
  return String(reason);
}

/** Reconnects the client and resolves with the server socket of its new connection. */
export async function resume(client: ClientSocket, nsp: ConnectionSource): Promise<ServerSocket> {
  const next = new Promise<ServerSocket>((resolve) => nsp.once("connection", resolve));
  client.connect();
  await whenConnected(client);
  return next;
}

/** The events after index `from` of a log, names only (and `<connect>`). */
export function namesFrom(log: Log, from: number): string[] {
  return log.slice(from).map((e) => String(e[0]));
}

/** The last argument of an event: its offset when the packet was logged. */
export function offsetOf(event: unknown[] | undefined): unknown {
  return event?.[event.length - 1];
}
