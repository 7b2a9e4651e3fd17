/**
 * Engine.IO server options: their types, defaults, and validation at construction.
 *
 * Validation happens once, here, so that the session and transport code can trust every value
 * (a `NaN` ping interval would otherwise turn into a timer that fires in a tight loop).
 */
import type { IncomingMessage } from "node:http";
import type { ZlibOptions } from "node:zlib";
import { compileCookie } from "./cookie.ts";
import type { CookieOptions } from "./cookie.ts";
import { CorsPolicy } from "./cors.ts";
import type { CorsOptions } from "./cors.ts";
import { compressionThreshold } from "./http-compression.ts";
import type { HttpCompressionOptions } from "./http-compression.ts";
import { MAX_WRITE_DELAY_MS } from "./write-coalescer.ts";

/** The two Engine.IO transports. */
export type TransportName = "polling" | "websocket";

/**
 * Decides whether a handshake may open a session: call `callback(null, true)` to accept,
 * `callback(reason, false)` to refuse (the client gets 403 `{"code":4,"message":"Forbidden"}`;
 * `reason` only goes to the `connection_error` event).
 */
export type AllowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => void;

/**
 * WebSocket permessage-deflate settings, handed as they are to `ws` (the same fields as its
 * `PerMessageDeflateOptions`). Declared here so that roomcast's published types need no `@types/ws`.
 */
export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean | undefined;
  clientNoContextTakeover?: boolean | undefined;
  serverMaxWindowBits?: number | undefined;
  clientMaxWindowBits?: number | undefined;
  zlibDeflateOptions?:
    | {
        flush?: number | undefined;
        finishFlush?: number | undefined;
        chunkSize?: number | undefined;
        windowBits?: number | undefined;
        level?: number | undefined;
        memLevel?: number | undefined;
        strategy?: number | undefined;
        dictionary?: Buffer | Buffer[] | DataView | undefined;
        info?: boolean | undefined;
      }
    | undefined;
  zlibInflateOptions?: ZlibOptions | undefined;
  /** Messages smaller than this many bytes are sent uncompressed (ws's default 1024). */
  threshold?: number | undefined;
  /** Concurrent zlib calls (ws's default 10). */
  concurrencyLimit?: number | undefined;
}

/** Options of an {@link EngineServer}. Every field has a default, see {@link ENGINE_DEFAULTS}. */
export interface EngineOptions {
  /**
   * Path the engine answers on. Default `"/engine.io"` for a bare EngineServer; the Socket.IO
   * server passes `"/socket.io/"`. A trailing slash is normalised according to `addTrailingSlash`.
   */
  path: string;
  /** Milliseconds between two server pings. Default 25000. [EIO4:heartbeat] */
  pingInterval: number;
  /** Milliseconds to wait for a pong after a ping before closing with "ping timeout". Default 20000. [EIO4:heartbeat] */
  pingTimeout: number;
  /**
   * Largest message (in bytes) a client may send; announced as `maxPayload` in the open packet and
   * enforced on WebSocket frames (a bigger message closes the connection) and on polling POST
   * bodies (a bigger body gets 413 and closes the session). Default 1e6. [EIO4:max-payload]
   */
  maxHttpBufferSize: number;
  /**
   * Transports a client may use. Default `["polling", "websocket"]`. A request for a transport
   * not listed is refused with 400 `{"code":0}`; without `"websocket"` no upgrade is offered.
   */
  transports: TransportName[];
  /** Whether a polling session may upgrade to websocket. Default true. [EIO4:upgrade] */
  allowUpgrades: boolean;
  /**
   * Milliseconds between the upgrade WebSocket opening and the client's `5`; past it the
   * WebSocket is closed and the session stays on polling. Default 10000. [EIO4:upgrade]
   */
  upgradeTimeout: number;
  /**
   * Bytes a session may hold queued while its transport cannot write (polling: no GET pending;
   * websocket: the previous write not yet taken by the kernel). Above it the session closes
   * with "transport error" (an Error with code `ROOMCAST_ERR_BUFFER_FULL` as description).
   * Text counts its UTF-16 length, binary its byte length. Default 4 MiB. socket.io's buffer is
   * unbounded (socketio/engine.io#420): a client that stops reading grows it forever.
   */
  maxBufferedBytes: number;
  /** CORS for polling requests (see {@link CorsOptions}). Default false: no CORS headers. */
  cors: CorsOptions | false;
  /** Decides whether a handshake (polling or websocket) may open a session. Default null (all may). */
  allowRequest: AllowRequest | null;
  /** `Set-Cookie: io=<sid>` on the handshake response: true, false (default) or {@link CookieOptions}. */
  cookie: boolean | CookieOptions;
  /**
   * gzip/deflate of polling responses of at least `threshold` bytes (default 1024) when the
   * client accepts it. Default true; false turns it off.
   */
  httpCompression: boolean | HttpCompressionOptions;
  /**
   * WebSocket permessage-deflate: `false` (default), `true`, or `ws` options. Compression costs
   * memory per connection and defeats the one-write-per-tick batching, hence off by default.
   */
  perMessageDeflate: boolean | PerMessageDeflateOptions;
  /**
   * Answer `/path`, `/path/` and every URL under `/path/` (default true, as socket.io); when
   * false only the path exactly as given.
   */
  addTrailingSlash: boolean;
  /**
   * Destroy the socket of an upgrade request on another path (another WebSocket server's, an
   * `Upgrade: h2c`...) when no other `upgrade` listener answered it within
   * `destroyUpgradeTimeout`. Default true, as in engine.io. Set it to false when another
   * listener may take longer than that to answer.
   */
  destroyUpgrade: boolean;
  /** Milliseconds before an unanswered upgrade request on another path is destroyed. Default 1000. */
  destroyUpgradeTimeout: number;
  /**
   * Write coalescing, in milliseconds (0 to 1000). Default 0: each session writes what was sent
   * to it at the end of the tick, as socket.io does. When set, a session that has written in the
   * current window holds what it sends next until the window ends (at most `writeDelay` ms), then
   * writes it all in one corked write: N broadcasts in N ticks cost it one write instead of N.
   * The first packet after a quiet window goes out at once, so light traffic keeps its latency;
   * under steady traffic every packet may wait up to `writeDelay`. Windows are shared by all the
   * server's sessions and run on one timer (README, Performance). Node's timers count whole
   * milliseconds: a value between 0 and 1 acts as 1.
   */
  writeDelay: number;
}

/** The defaults {@link resolveEngineOptions} fills in. */
export const ENGINE_DEFAULTS: Readonly<EngineOptions> = Object.freeze<EngineOptions>({
  path: "/engine.io",
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxHttpBufferSize: 1e6,
  transports: ["polling", "websocket"],
  allowUpgrades: true,
  upgradeTimeout: 10_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  cors: false,
  allowRequest: null,
  cookie: false,
  httpCompression: true,
  perMessageDeflate: false,
  addTrailingSlash: true,
  destroyUpgrade: true,
  destroyUpgradeTimeout: 1000,
  writeDelay: 0,
});

/**
 * engine.io options roomcast does not implement, each with the reason given to whoever passes
 * it: an option is implemented or refused at construction, never silently ignored.
 */
const UNSUPPORTED: Readonly<Record<string, (value: unknown) => string | null>> = {
  wsEngine: () => "wsEngine is not supported: roomcast runs on the ws package and writes WebSocket frames itself",
  allowEIO3: (value) =>
    value === true ? "allowEIO3 is not supported: roomcast speaks Engine.IO v4 only (socket.io-client 3 and later)" : null,
  initialPacket: () => "initialPacket is not supported",
};

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(ENGINE_DEFAULTS));

/**
 * Refuses options roomcast does not implement ({@link UNSUPPORTED}) and names it does not know.
 *
 * @param partial - the options as given.
 * @param extraKeys - names accepted on top of the engine's (the Socket.IO server's own).
 * @throws TypeError naming the option.
 */
export function checkEngineOptionNames(partial: object, extraKeys: ReadonlySet<string> = new Set()): void {
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    const unsupported = UNSUPPORTED[key];
    if (unsupported !== undefined) {
      const reason = unsupported(value);
      if (reason !== null) throw new TypeError(`roomcast: ${reason}`);
      continue;
    }
    if (!KNOWN_KEYS.has(key) && !extraKeys.has(key)) throw new TypeError(`roomcast: unknown option "${key}"`);
  }
}

/** setTimeout silently turns delays above 2^31-1 ms into 1 ms, so larger values are refused. */
const MAX_TIMER_MS = 2_147_483_647;

const KNOWN_TRANSPORTS: ReadonlySet<string> = new Set<TransportName>(["polling", "websocket"]);

// [EIO4:limits] timers and sizes are validated once, at construction.
function checkTimer(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`EngineOptions.${name} must be an integer between 1 and ${MAX_TIMER_MS} (ms), got ${String(value)}`);
  }
  return value;
}

/** [EIO4:limits] `writeDelay`: a finite number of ms, 0 (off) to {@link MAX_WRITE_DELAY_MS}. */
function checkWriteDelay(value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_WRITE_DELAY_MS) {
    throw new TypeError(`EngineOptions.writeDelay must be a number between 0 and ${MAX_WRITE_DELAY_MS} (ms), got ${String(value)}`);
  }
  return value;
}

function checkBoolean(name: string, value: boolean): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`EngineOptions.${name} must be a boolean, got ${typeof value}`);
  }
  return value;
}

/**
 * Fills defaults into a partial option object and validates every value.
 *
 * @param partial - options given by the user; `undefined` fields take their default.
 * @returns a complete, fresh {@link EngineOptions} object (the input is not mutated).
 * @throws TypeError when a value is nonsense (non-integer or non-positive timer, non-positive
 *   payload size or buffer bound, unknown transport, path not starting with "/", a CORS or
 *   cookie setting that could not be a header, a negative compression threshold, a writeDelay
 *   outside 0–1000 ms).
 * @example
 * ```ts
 * const opts = resolveEngineOptions({ pingInterval: 10_000 });
 * opts.pingTimeout; // 20000
 * ```
 */
export function resolveEngineOptions(partial: Partial<EngineOptions> = {}): EngineOptions {
  checkEngineOptionNames(partial);
  const path = partial.path ?? ENGINE_DEFAULTS.path;
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(`EngineOptions.path must be a string starting with "/", got ${String(path)}`);
  }

  const maxHttpBufferSize = partial.maxHttpBufferSize ?? ENGINE_DEFAULTS.maxHttpBufferSize;
  if (typeof maxHttpBufferSize !== "number" || !Number.isSafeInteger(maxHttpBufferSize) || maxHttpBufferSize <= 0) {
    throw new TypeError(`EngineOptions.maxHttpBufferSize must be a positive integer (bytes), got ${String(maxHttpBufferSize)}`);
  }

  const transports = partial.transports ?? ENGINE_DEFAULTS.transports;
  if (!Array.isArray(transports) || transports.length === 0) {
    throw new TypeError("EngineOptions.transports must be a non-empty array");
  }
  for (const t of transports) {
    if (!KNOWN_TRANSPORTS.has(t)) {
      if (String(t) === "webtransport") throw new TypeError("roomcast: the webtransport transport is not supported");
      throw new TypeError(`EngineOptions.transports: unknown transport ${String(t)}`);
    }
  }

  const perMessageDeflate = partial.perMessageDeflate ?? ENGINE_DEFAULTS.perMessageDeflate;
  if (typeof perMessageDeflate !== "boolean" && (typeof perMessageDeflate !== "object" || perMessageDeflate === null)) {
    throw new TypeError("EngineOptions.perMessageDeflate must be a boolean or an options object");
  }

  const maxBufferedBytes = partial.maxBufferedBytes ?? ENGINE_DEFAULTS.maxBufferedBytes;
  if (typeof maxBufferedBytes !== "number" || !Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes <= 0) {
    throw new TypeError(`EngineOptions.maxBufferedBytes must be a positive integer (bytes), got ${String(maxBufferedBytes)}`);
  }
  const allowRequest = partial.allowRequest ?? ENGINE_DEFAULTS.allowRequest;
  if (allowRequest !== null && typeof allowRequest !== "function") {
    throw new TypeError("EngineOptions.allowRequest must be a function");
  }
  const cors = partial.cors ?? ENGINE_DEFAULTS.cors;
  const cookie = partial.cookie ?? ENGINE_DEFAULTS.cookie;
  const httpCompression = partial.httpCompression ?? ENGINE_DEFAULTS.httpCompression;
  // Compiled here only to validate (they throw TypeError); the server compiles its own copies.
  if (cors !== false) new CorsPolicy(cors);
  compileCookie(cookie);
  compressionThreshold(httpCompression);

  return {
    path,
    pingInterval: checkTimer("pingInterval", partial.pingInterval ?? ENGINE_DEFAULTS.pingInterval),
    pingTimeout: checkTimer("pingTimeout", partial.pingTimeout ?? ENGINE_DEFAULTS.pingTimeout),
    maxHttpBufferSize,
    // Copied so that mutating the caller's array later cannot change a running server.
    transports: [...new Set(transports)],
    allowUpgrades: checkBoolean("allowUpgrades", partial.allowUpgrades ?? ENGINE_DEFAULTS.allowUpgrades),
    upgradeTimeout: checkTimer("upgradeTimeout", partial.upgradeTimeout ?? ENGINE_DEFAULTS.upgradeTimeout),
    maxBufferedBytes,
    cors,
    allowRequest,
    cookie,
    httpCompression,
    perMessageDeflate,
    addTrailingSlash: checkBoolean("addTrailingSlash", partial.addTrailingSlash ?? ENGINE_DEFAULTS.addTrailingSlash),
    destroyUpgrade: checkBoolean("destroyUpgrade", partial.destroyUpgrade ?? ENGINE_DEFAULTS.destroyUpgrade),
    destroyUpgradeTimeout: checkTimer("destroyUpgradeTimeout", partial.destroyUpgradeTimeout ?? ENGINE_DEFAULTS.destroyUpgradeTimeout),
    writeDelay: checkWriteDelay(partial.writeDelay ?? ENGINE_DEFAULTS.writeDelay),
  };
}
