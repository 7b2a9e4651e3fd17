/**
 * Options of the Socket.IO `Server`, their defaults, and their validation at construction.
 * Engine.IO options (ping, payload, transports…) are defined by transport/ and passed through.
 */
import type { EngineOptions } from "./transport/options.ts";
import type { Server as HttpServer } from "node:http";
import type { AdapterOption } from "./compat/socket-io-adapter.ts";
import type { HealthOptions, MetricsOptions } from "./observe/observer.ts";
import { checkParser, type ParserOption } from "./protocol/parser.ts";
import { checkRecoveryOption, type ConnectionStateRecoveryOptions } from "./recovery/options.ts";

/** Socket.IO-level options. */
export interface SocketIoOptions {
  /** HTTP path the server answers on. Default `"/socket.io"`. */
  path: string;
  /**
   * Serve the browser client (`<path>/socket.io.js`, `.min.js`, `.esm.min.js`,
   * `.msgpack.min.js` and their maps) from the installed `socket.io-client` package. Default true.
   */
  serveClient: boolean;
  /**
   * Adapter class (or factory) used for every namespace: roomcast's (`createRedisAdapter`…) or
   * one of socket.io's ecosystem (`@socket.io/redis-adapter`…, see compat/socket-io-adapter.ts).
   * Default: the in-memory `Adapter`.
   */
  adapter?: AdapterOption;
  /**
   * The Socket.IO codec, socket.io's `{ Encoder, Decoder }` interface (e.g.
   * `socket.io-msgpack-parser`; the client must use the same). Default: roomcast's own codec,
   * byte-compatible with `socket.io-parser`.
   */
  parser?: ParserOption;
  /** Milliseconds a connection may stay without joining any namespace. Default 45000. */
  connectTimeout: number;
  /** Remove a dynamic child namespace when its last socket leaves. Default false. */
  cleanupEmptyChildNamespaces: boolean;
  /** [SIO5:binary-attachments] Binary attachments allowed in one packet. Default 10. */
  maxAttachments: number;
  /** Namespaces that dynamic matchers may create, all parents together. Default 1000. */
  maxDynamicNamespaces: number;
  /**
   * Counters and gauges (`io.metrics`): `true`, or `{ path }` to serve them in the Prometheus
   * format on the HTTP server, or `{ register }` to put them in a prom-client registry (both
   * need `prom-client`). Default false (nothing counted).
   */
  metrics: boolean | MetricsOptions;
  /** `{ path }`: answer `GET path` with 200 and a small JSON body (a load balancer's probe). Default false. */
  health: false | HealthOptions;
  /**
   * Connection state recovery (socket.io 4.6+): a client that comes back after a brief
   * disconnection gets its id, rooms and data back, and the packets it missed. Off by default
   * (`false` too); `{}` turns it on with the defaults. See README "Connection state recovery".
   */
  connectionStateRecovery?: ConnectionStateRecoveryOptions | false;
}

/** Everything `new Server(…, opts)` accepts. */
export type ServerOptions = SocketIoOptions & EngineOptions;

/** Defaults of the Socket.IO-level options. */
export const SOCKET_IO_DEFAULTS: Readonly<SocketIoOptions> = {
  path: "/socket.io",
  serveClient: true,
  connectTimeout: 45_000,
  cleanupEmptyChildNamespaces: false,
  maxAttachments: 10,
  maxDynamicNamespaces: 1000,
  metrics: false,
  health: false,
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
  if (opts.parser !== undefined) checkParser(opts.parser);
  if (typeof opts.path !== "string" || opts.path.length === 0) {
    throw new TypeError("roomcast: option path must be a non-empty string");
  }
  checkObserveOptions(opts);
  checkRecoveryOption(opts.connectionStateRecovery);
  return opts;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Refuses keys an option object does not have: a typo must not silently turn a feature off. */
function onlyKeys(option: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new TypeError(`roomcast: option ${option} has no "${key}" (it takes ${allowed.join(", ")})`);
  }
}

/** A route path: absolute, and not one the engine answers (it would never be reached). */
function routePath(option: string, value: unknown, enginePath: string): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.includes("?")) {
    throw new TypeError(`roomcast: option ${option} must be a path starting with "/", got ${String(value)}`);
  }
  const trim = (p: string): string => (p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p);
  if (trim(value) === trim(enginePath)) throw new TypeError(`roomcast: option ${option} (${value}) is the Socket.IO path`);
  return value;
}

/** [observe] `metrics` and `health`: shapes, paths, and the registry's methods. */
function checkObserveOptions(opts: SocketIoOptions): void {
  const { metrics, health } = opts;
  let metricsPath: string | undefined;
  if (typeof metrics !== "boolean") {
    if (!isRecord(metrics)) throw new TypeError("roomcast: option metrics must be a boolean or { path, register }");
    onlyKeys("metrics", metrics, ["path", "register"]);
    if (metrics.path !== undefined) metricsPath = routePath("metrics.path", metrics.path, opts.path);
    const register: unknown = metrics.register;
    if (register !== undefined) {
      const methods = ["registerMetric", "metrics", "removeSingleMetric"];
      if (!isRecord(register) || methods.some((m) => typeof register[m] !== "function")) {
        throw new TypeError("roomcast: option metrics.register must be a prom-client Registry");
      }
    }
  }
  if (health !== false) {
    if (!isRecord(health)) throw new TypeError("roomcast: option health must be false or { path }");
    onlyKeys("health", health, ["path"]);
    const path = routePath("health.path", health.path, opts.path);
    if (path === metricsPath) throw new TypeError(`roomcast: options metrics.path and health.path are both ${path}`);
  }
}

const SOCKET_IO_KEYS = new Set<string>([
  "path",
  "serveClient",
  "adapter",
  "parser",
  "connectTimeout",
  "cleanupEmptyChildNamespaces",
  "maxAttachments",
  "maxDynamicNamespaces",
  "metrics",
  "health",
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
