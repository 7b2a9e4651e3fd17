/**
 * Debug logging in the `debug` package's convention: `DEBUG=roomcast:*` (or one of
 * `roomcast:server`, `roomcast:engine`, `roomcast:namespace`, `roomcast:socket`) prints what
 * the server does, on stderr. socket.io users' habit works too: `DEBUG=engine*` turns on
 * `roomcast:engine`, `DEBUG=socket.io*` the Socket.IO-level ones (see {@link roomcastPatterns}).
 *
 * No cost when off: the loggers are asked once, when a server attaches, and add no listener at
 * all unless enabled; nothing here runs per packet or per broadcast. `ROOMCAST_TRACE=1` (every
 * frame in and out, trace.ts) is separate.
 */
import createDebug from "debug";
import type { Debugger } from "debug";
import type { EngineServer } from "../transport/engine-server.ts";
import type { EngineSocket } from "../transport/engine-socket.ts";

/**
 * The roomcast namespaces that socket.io-style `DEBUG` patterns stand for: `engine`,
 * `engine:*`, `engine*` → `roomcast:engine`; `socket.io:namespace` → `roomcast:namespace`;
 * `socket.io:socket` and `socket.io:client` → `roomcast:socket`; `socket.io:server` →
 * `roomcast:server`; `socket.io*`, `socket.io:*` and `*` → all four.
 *
 * @param debugEnv - the `DEBUG` variable.
 * @returns roomcast patterns to enable, comma-separated ("" for none).
 */
export function roomcastPatterns(debugEnv: string | undefined): string {
  const out = new Set<string>();
  for (const raw of (debugEnv ?? "").split(/[\s,]+/)) {
    if (raw === "" || raw.startsWith("-")) continue;
    if (raw === "*" || raw === "socket.io*" || raw === "socket.io:*") {
      for (const name of ["server", "engine", "namespace", "socket"]) out.add(`roomcast:${name}`);
    } else if (raw === "engine" || raw.startsWith("engine:") || raw === "engine*" || raw.startsWith("engine.io")) {
      out.add("roomcast:engine");
    } else if (raw === "socket.io:namespace" || raw === "socket.io:parent-namespace") {
      out.add("roomcast:namespace");
    } else if (raw === "socket.io:socket" || raw === "socket.io:client") {
      out.add("roomcast:socket");
    } else if (raw === "socket.io:server") {
      out.add("roomcast:server");
    }
  }
  return [...out].join(",");
}

let patternsApplied = false;

/** Adds the roomcast namespaces that the socket.io-style patterns of `DEBUG` stand for, once. */
function applySocketIoPatterns(): void {
  if (patternsApplied) return;
  patternsApplied = true;
  const extra = roomcastPatterns(process.env.DEBUG);
  if (extra === "") return;
  // disable() hands back what was enabled; enabled again with ours added.
  const current = createDebug.disable();
  createDebug.enable(current === "" ? extra : `${current},${extra}`);
}

applySocketIoPatterns();

/** `roomcast:server`: attach, close, client bundle. */
export const serverLog: Debugger = createDebug("roomcast:server");
/** `roomcast:engine`: sessions opened, upgraded, closed; refused requests. */
export const engineLog: Debugger = createDebug("roomcast:engine");
/** `roomcast:namespace`: namespaces created. */
export const namespaceLog: Debugger = createDebug("roomcast:namespace");
/** `roomcast:socket`: sockets connected and disconnected, and why; bad input. */
export const socketLog: Debugger = createDebug("roomcast:socket");

/** Logs an engine's sessions and refusals under `roomcast:engine`; does nothing when that is off. */
export function debugEngine(engine: EngineServer): void {
  if (!engineLog.enabled) return;
  engine.on("connection", (conn: EngineSocket) => {
    engineLog("session %s opened over %s from %s", conn.id, conn.transport.name, conn.remoteAddress);
    conn.on("upgrade", (transport) => engineLog("session %s upgraded to %s", conn.id, transport.name));
    conn.on("close", (reason, description) => engineLog("session %s closed: %s %o", conn.id, reason, description ?? ""));
  });
  engine.on("connection_error", (err) => {
    engineLog("refused %s %s: %d %s %o", err.req.method, err.req.url, err.code, err.message, err.context);
  });
}

/** What {@link debugNamespaces} needs of a namespace. */
interface ObservedNamespace {
  readonly name: string;
  on(event: "connection", listener: (socket: ObservedSocket) => void): unknown;
}

/** What {@link debugNamespaces} needs of a socket. */
interface ObservedSocket {
  readonly id: string;
  on(event: "disconnect", listener: (reason: string) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
}

/**
 * Logs a namespace's creation (`roomcast:namespace`) and its sockets' connections,
 * disconnections and bad input (`roomcast:socket`); adds no listener when both are off.
 */
export function debugNamespace(nsp: ObservedNamespace): void {
  if (namespaceLog.enabled) namespaceLog("namespace %s created", nsp.name);
  if (!socketLog.enabled) return;
  nsp.on("connection", (socket) => {
    socketLog("socket %s connected to %s", socket.id, nsp.name);
    socket.on("disconnect", (reason) => socketLog("socket %s left %s: %s", socket.id, nsp.name, reason));
    socket.on("error", (err) => socketLog("socket %s of %s: %s", socket.id, nsp.name, err.message));
  });
}

/** What {@link debugNamespaces} needs of the main namespace. */
type MainNamespace = ObservedNamespace & {
  on(event: "new_namespace", listener: (nsp: ObservedNamespace) => void): unknown;
};

/**
 * Logs the main namespace and every namespace created later (`roomcast:namespace`,
 * `roomcast:socket`); adds no listener when both are off.
 */
export function debugNamespaces(main: MainNamespace): void {
  if (!namespaceLog.enabled && !socketLog.enabled) return;
  debugNamespace(main);
  main.on("new_namespace", (nsp) => debugNamespace(nsp));
}
