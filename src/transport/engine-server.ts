/**
 * The Engine.IO server: validates handshakes, opens sessions, and routes an http.Server's
 * `request`/`upgrade` events on its path.
 *
 * Only the WebSocket transport exists for now. The handshake checks are laid out so that the
 * polling transport (HTTP requests on the path) and the polling → websocket upgrade (an upgrade
 * request carrying a `sid`) slot in at the marked places.
 */
import { EventEmitter } from "node:events";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { EngineSocket, generateSessionId } from "./engine-socket.ts";
import { abortRequest, abortUpgrade, ENGINE_ERROR_MESSAGES, EngineErrorCode } from "./errors.ts";
import { resolveEngineOptions } from "./options.ts";
import type { EngineOptions, TransportName } from "./options.ts";
import { WebSocketTransport } from "./websocket.ts";

/** Payload of the `connection_error` event: a request the engine refused. */
export interface ConnectionError {
  /** The refused request. */
  req: IncomingMessage;
  /** The Engine.IO error code sent back. */
  code: EngineErrorCode;
  /** The message sent back with the code. */
  message: string;
  /** Details for logs: a `name` and the offending values. */
  context: Record<string, unknown>;
}

/** Events of an {@link EngineServer}, as a listener-argument map. */
export type EngineServerEvents = {
  /** A session was opened. */
  connection: [socket: EngineSocket];
  /** A request on the engine's path was refused (it has been answered with an HTTP error). */
  connection_error: [err: ConnectionError];
};

/** Options of {@link EngineServer.attach}. */
export interface AttachOptions {
  /** Path to answer on; defaults to the server's `opts.path`. */
  path?: string;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What attach() changed on the http server, so that close() can put it back. */
interface Attachment {
  server: HttpServer;
  onRequest: RequestListener;
  onUpgrade: UpgradeListener;
  previousRequestListeners: RequestListener[];
}

interface Rejection {
  code: EngineErrorCode;
  context: Record<string, unknown>;
}

/**
 * An Engine.IO v4 server (WebSocket transport).
 *
 * @example
 * ```ts
 * const httpServer = http.createServer((req, res) => res.end("hello"));
 * const engine = new EngineServer({ pingInterval: 10_000 }).attach(httpServer);
 * engine.on("connection", (socket) => socket.on("message", (m) => socket.send(m)));
 * httpServer.listen(3000);
 * ```
 */
export class EngineServer extends EventEmitter<EngineServerEvents> {
  /** Resolved options (defaults filled in, validated). */
  readonly opts: EngineOptions;
  /** Open sessions by sid. A session leaves the map when it closes. */
  readonly clients = new Map<string, EngineSocket>();

  private readonly wss: WebSocketServer;
  private path: string;
  private attachment: Attachment | null = null;
  private closed = false;

  /**
   * @param opts - partial {@link EngineOptions}; see `resolveEngineOptions` for the defaults.
   * @throws TypeError on invalid options.
   */
  constructor(opts: Partial<EngineOptions> = {}) {
    super();
    this.opts = resolveEngineOptions(opts);
    this.path = this.opts.path;
    this.wss = new WebSocketServer({
      noServer: true,
      // [EIO4:max-payload] ws refuses a message above this with close code 1009 and an 'error',
      // which the session reports as "transport error".
      maxPayload: this.opts.maxHttpBufferSize,
      perMessageDeflate: this.opts.perMessageDeflate,
      // Sessions are tracked in `clients`; a second set inside ws would only cost memory.
      clientTracking: false,
    });
    // With a listener, ws leaves the answer to a malformed WebSocket handshake to us, so it
    // carries an Engine.IO error body like every other refusal.
    this.wss.on("wsClientError", (err, socket, req) => {
      const version = req.headers["sec-websocket-version"];
      const headers: Record<string, string> = version === "13" || version === "8" ? {} : { "Sec-WebSocket-Version": "13, 8" };
      this.reject(req, { code: EngineErrorCode.BAD_REQUEST, context: { name: "WEBSOCKET_HANDSHAKE_ERROR", message: err.message } }, socket, headers);
    });
  }

  /** Number of open sessions. */
  get clientsCount(): number {
    return this.clients.size;
  }

  /**
   * Attaches to an http server: handles its `upgrade` events on the engine path, and its
   * `request` events on the engine path. Requests on other paths still reach the listeners
   * the server had before; listeners added after attach() see every request.
   *
   * @param server - the http server.
   * @param opts - `path` overrides `opts.path`.
   * @returns this
   * @throws Error if already attached (or closed); TypeError if `path` does not start with "/".
   */
  attach(server: HttpServer, opts: AttachOptions = {}): this {
    if (this.attachment !== null) throw new Error("EngineServer is already attached to an http server");
    if (this.closed) throw new Error("EngineServer is closed");
    const path = opts.path ?? this.opts.path;
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw new TypeError(`attach(): path must start with "/", got ${String(path)}`);
    }
    this.path = path;

    // Node calls every 'request' listener, so the user's handlers must be moved behind ours or
    // they would also answer engine requests. rawListeners keeps `once` wrappers intact; the
    // cast is sound because 'request' listeners are only ever called with (req, res).
    const previousRequestListeners = server.rawListeners("request") as RequestListener[];
    server.removeAllListeners("request");
    const onRequest: RequestListener = (req, res) => {
      if (this.handleRequest(req, res)) return;
      for (const listener of previousRequestListeners) Reflect.apply(listener, server, [req, res]);
    };
    const onUpgrade: UpgradeListener = (req, socket, head) => {
      // Upgrades on other paths are left alone for other 'upgrade' listeners.
      this.handleUpgrade(req, socket, head);
    };
    server.on("request", onRequest);
    server.on("upgrade", onUpgrade);
    this.attachment = { server, onRequest, onUpgrade, previousRequestListeners };
    return this;
  }

  /**
   * Handles an HTTP request if it is on the engine path. Polling is not implemented yet, so
   * every such request is refused (code 0 "Transport unknown"; code 3 for a websocket
   * handshake attempted without an Upgrade header).
   *
   * @param req - the request.
   * @param res - its response.
   * @returns true if the request was for the engine (and has been answered), false otherwise.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "/";
    if (!this.matchesPath(url)) return false;
    const query = parseQuery(url);
    const transport = query.get("transport");
    if (transport === "websocket") {
      this.reject(req, { code: EngineErrorCode.BAD_REQUEST, context: { name: "TRANSPORT_HANDSHAKE_ERROR", transport } }, res);
      return true;
    }
    // Polling goes here: handshake (no sid) or a session's GET/POST (sid).
    this.reject(req, { code: EngineErrorCode.UNKNOWN_TRANSPORT, context: { name: "TRANSPORT_UNKNOWN", transport } }, res);
    return true;
  }

  /**
   * Handles an HTTP upgrade request if it is on the engine path: validates the Engine.IO
   * handshake, completes the WebSocket handshake and opens a session (`connection` event).
   * A refused request is answered with HTTP 400 + JSON `{"code","message"}` and destroyed.
   *
   * @param req - the upgrade request.
   * @param socket - its raw socket (the `socket` argument of the http `upgrade` event).
   * @param head - the first bytes after the request head.
   * @returns true if the request was for the engine (handled or refused), false if it was left alone.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? "/";
    if (!this.matchesPath(url)) return false;
    const query = parseQuery(url);
    const rejection = this.verifyUpgrade(req, query);
    if (rejection !== null) {
      this.reject(req, rejection, socket);
      return true;
    }
    // Upgrade of a polling session (sid present) goes here once polling exists; verifyUpgrade
    // refuses every sid for now.
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onWebSocket(ws, req, socket));
    return true;
  }

  /**
   * Closes every session (reason `"server shutting down"`), the WebSocket server, and detaches
   * from the http server (its previous `request` listeners are restored). The http server
   * itself is not closed. Idempotent.
   *
   * @returns this
   */
  close(): this {
    if (this.closed) return this;
    this.closed = true;
    // Copied: each shutdown removes its session from the map.
    for (const socket of [...this.clients.values()]) socket.shutdown();
    this.wss.close();
    this.detach();
    return this;
  }

  /**
   * Makes a session id. Override to choose ids yourself (they must be unique and URL-safe).
   *
   * @param _req - the handshake request.
   */
  protected generateId(_req: IncomingMessage): string {
    return generateSessionId();
  }

  private detach(): void {
    const attachment = this.attachment;
    if (attachment === null) return;
    this.attachment = null;
    const { server, onRequest, onUpgrade, previousRequestListeners } = attachment;
    server.off("request", onRequest);
    server.off("upgrade", onUpgrade);
    // Back in front, in their original order, ahead of anything added since.
    for (let i = previousRequestListeners.length - 1; i >= 0; i--) {
      const listener = previousRequestListeners[i];
      if (listener !== undefined) server.prependListener("request", listener);
    }
  }

  /**
   * Exact pathname match. With addTrailingSlash both `/p` and `/p/` are accepted; without it
   * only the path as configured. Exact (not prefix) so that `/engine.io-admin` or
   * `/socket.io/app.js` style routes stay with the user's handlers.
   */
  private matchesPath(url: string): boolean {
    const q = url.indexOf("?");
    const pathname = q === -1 ? url : url.slice(0, q);
    if (!this.opts.addTrailingSlash) return pathname === this.path;
    const base = this.path.endsWith("/") ? this.path.slice(0, -1) : this.path;
    return pathname === base || pathname === `${base}/`;
  }

  /**
   * [EIO4:handshake] Order of checks: transport, protocol version, method, sid — the transport
   * first, as the reference server does, so a client on an unknown transport learns that
   * whatever its EIO.
   */
  private verifyUpgrade(req: IncomingMessage, query: URLSearchParams): Rejection | null {
    const transport = query.get("transport");
    if (transport !== "websocket" || !this.opts.transports.includes("websocket")) {
      return { code: EngineErrorCode.UNKNOWN_TRANSPORT, context: { name: "TRANSPORT_UNKNOWN", transport } };
    }
    const protocol = query.get("EIO");
    // Anything but exactly "4" (missing, "3", "abc", "04") is a version this server does not speak.
    if (protocol !== "4") {
      return { code: EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION, context: { name: "UNSUPPORTED_PROTOCOL_VERSION", protocol } };
    }
    if (req.method !== "GET") {
      return { code: EngineErrorCode.BAD_HANDSHAKE_METHOD, context: { name: "BAD_HANDSHAKE_METHOD", method: req.method } };
    }
    const sid = query.get("sid");
    if (sid !== null) {
      if (!this.clients.has(sid)) {
        return { code: EngineErrorCode.UNKNOWN_SID, context: { name: "UNKNOWN_SID", sid } };
      }
      // Every session is a websocket one for now, and a websocket session cannot upgrade again.
      // The polling issue replaces this with: polling session + allowUpgrades → probe.
      return { code: EngineErrorCode.BAD_REQUEST, context: { name: "TRANSPORT_MISMATCH", sid } };
    }
    return null;
  }

  private reject(
    req: IncomingMessage,
    rejection: Rejection,
    answer: Duplex | ServerResponse,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    const { code, context } = rejection;
    this.emit("connection_error", { req, code, message: ENGINE_ERROR_MESSAGES[code], context });
    if (isServerResponse(answer)) abortRequest(answer, code);
    else abortUpgrade(answer, code, headers);
  }

  private onWebSocket(ws: WebSocket, req: IncomingMessage, socket: Duplex): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    let id = this.generateId(req);
    // 120 random bits make a collision practically impossible; checking is still cheaper than reasoning.
    while (this.clients.has(id)) id = this.generateId(req);
    const transport = new WebSocketTransport(ws, socket);
    const engineSocket = new EngineSocket({
      id,
      request: req,
      transport,
      opts: this.opts,
      upgrades: this.upgradesFor(transport.name),
    });
    this.clients.set(id, engineSocket);
    engineSocket.once("close", () => {
      this.clients.delete(id);
    });
    this.emit("connection", engineSocket);
  }

  /** [EIO4:handshake] `upgrades` lists where a session may go from `from`: websocket goes nowhere. */
  private upgradesFor(from: TransportName): TransportName[] {
    if (from === "polling" && this.opts.allowUpgrades && this.opts.transports.includes("websocket")) {
      return ["websocket"];
    }
    return [];
  }
}

function parseQuery(url: string): URLSearchParams {
  const q = url.indexOf("?");
  return new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
}

function isServerResponse(answer: Duplex | ServerResponse): answer is ServerResponse {
  return "writeHead" in answer;
}
