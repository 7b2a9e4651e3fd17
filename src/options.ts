/**
 * Options of the Socket.IO `Server`, their defaults, and their validation at construction.
 * Engine.IO options (ping, payload, transports…) are defined by transport/ and passed through.
 */
import type { EngineOptions } from "./transport/options.ts";
import type { Server as HttpServer } from "node:http";
import type { AdapterConstructor } from "./rooms/adapter-constructor.ts";
import type { ConnectionStateRecoveryOptions } from "./recovery/options.ts";

/** Socket.IO-level options. */
export interface SocketIoOptions {
  /** HTTP path the server answers on. Default `"/socket.io"`. */
  path: string;
  /** Accepted for socket.io compatibility; roomcast does not serve the client bundle. Default false. */
  serveClient: boolean;
  /** Adapter class used for every namespace. Default: the in-memory `Adapter`. */
  adapter?: AdapterConstructor;
  /** Milliseconds a connection may stay without joining any namespace. Default 45000. */
  connectTimeout: number;
  /** Remove a dynamic child namespace when its last socket leaves. Default false. */
  cleanupEmptyChildNamespaces: boolean;
  /** [SIO5:binary-attachments] Binary attachments allowed in one packet. Default 10. */
  maxAttachments: number;
  /** Namespaces that dynamic matchers may create, all parents together. Default 1000. */
  maxDynamicNamespaces: number;
  /**
   * Connection state recovery (socket.io 4.6+): a client that comes back after a brief
   * disconnection gets its id, rooms and data back, and the packets it missed. Off by default;
   * `{}` turns it on with the defaults. See README "Connection state recovery".
   */
  connectionStateRecovery?: ConnectionStateRecoveryOptions;
}

/** Everything `new Server(…, opts)` accepts. */
export type ServerOptions = SocketIoOptions & EngineOptions;

/** Defaults of the Socket.IO-level options. */
export const SOCKET_IO_DEFAULTS: Readonly<SocketIoOptions> = {
  path: "/socket.io",
  serveClient: false,
  connectTimeout: 45_000,
  cleanupEmptyChildNamespaces: false,
  maxAttachments: 10,
  maxDynamicNamespaces: 1000,
};

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(`roomcast: option ${name} must be a non-negative integer, got ${String(value)}`);
  }
}

/** [SIO5:limits] Socket.IO-level options with defaults filled in; throws TypeError on nonsense. */
export function resolveSocketIoOptions(partial: Partial<SocketIoOptions> = {}): SocketIoOptions {
  const opts: SocketIoOptions = { ...SOCKET_IO_DEFAULTS };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) Object.assign(opts, { [key]: value });
  }
  positiveInteger("connectTimeout", opts.connectTimeout);
  positiveInteger("maxAttachments", opts.maxAttachments);
  positiveInteger("maxDynamicNamespaces", opts.maxDynamicNamespaces);
  if (typeof opts.path !== "string" || opts.path.length === 0) {
    throw new TypeError("roomcast: option path must be a non-empty string");
  }
  return opts;
}

const SOCKET_IO_KEYS = new Set<string>([
  "path",
  "serveClient",
  "adapter",
  "connectTimeout",
  "cleanupEmptyChildNamespaces",
  "maxAttachments",
  "maxDynamicNamespaces",
  "connectionStateRecovery",
]);

/** Splits user options into Socket.IO-level and Engine.IO-level parts. */
export function splitOptions(opts: Partial<ServerOptions>): { sio: Partial<SocketIoOptions>; engine: Partial<EngineOptions> } {
  const sio: Record<string, unknown> = {};
  const engine: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) {
    (SOCKET_IO_KEYS.has(key) ? sio : engine)[key] = value;
  }
  return { sio: sio as Partial<SocketIoOptions>, engine: engine as Partial<EngineOptions> };
}

/** Whether the first constructor argument is an HTTP server (rather than options). */
export function isHttpServer(value: unknown): value is HttpServer {
  return typeof value === "object" && value !== null && typeof (value as HttpServer).listen === "function";
}
