/**
 * The Engine.IO server: validates handshakes, opens sessions on either transport, routes an
 * http.Server's `request`/`upgrade` events on its path, and hands polling → WebSocket upgrades
 * to their session.
 */
import { EventEmitter } from "node:events";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { compileCookie } from "./cookie.ts";
import type { CookieSerializer } from "./cookie.ts";
import { CorsPolicy } from "./cors.ts";
import { EngineSocket } from "./engine-socket.ts";
import { abortAnswer, destroyOnError, ENGINE_ERROR_MESSAGES, EngineErrorCode } from "./errors.ts";
import { checkHttpRequest, checkUpgradeRequest, generateSessionId, matchesPath, parseQuery, runAllowRequest } from "./handshake.ts";
import type { Rejection } from "./handshake.ts";
import { guardForeignUpgrade } from "./foreign-upgrade.ts";
import type { ForeignUpgradePolicy } from "./foreign-upgrade.ts";
import { attachToHttpServer } from "./http-attachment.ts";
import { compressionThreshold } from "./http-compression.ts";
import { resolveEngineOptions } from "./options.ts";
import { validHeaders } from "./valid-headers.ts";
import type { EngineOptions, TransportName } from "./options.ts";
import { PollingTransport } from "./polling.ts";
import type { PollingSettings } from "./polling.ts";
import type { AttachOptions, EngineHeaders, EngineServerEvents } from "./server-types.ts";
import type { Transport, TransportSink } from "./transport.ts";
import { WebSocketTransport } from "./websocket.ts";

export type { AttachOptions, ConnectionError, EngineHeaders, EngineServerEvents } from "./server-types.ts";

// The two possible `upgrades` lists of an open packet, shared by every session.
const NO_UPGRADES: readonly TransportName[] = Object.freeze([]);
const TO_WEBSOCKET: readonly TransportName[] = Object.freeze(["websocket"]);

/**
 * An Engine.IO v4 server (HTTP long-polling and WebSocket, with the upgrade between them).
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
  private readonly cors: CorsPolicy | null;
  private readonly cookie: CookieSerializer | null;
  private readonly polling: PollingSettings;
  private readonly foreignUpgrades: ForeignUpgradePolicy;
  /** Polling transports of closed sessions still waiting for a last GET, by sid. */
  private readonly lingering = new Map<string, PollingTransport>();
  /** The sid chosen for a WebSocket handshake in flight, for its `Set-Cookie`. */
  private readonly handshakeIds = new WeakMap<IncomingMessage, string>();
  private path: string;
  private detach: (() => void) | null = null;
  private closed = false;

  /**
   * @param opts - partial {@link EngineOptions}; see `resolveEngineOptions` for the defaults.
   * @throws TypeError on invalid options.
   */
  constructor(opts: Partial<EngineOptions> = {}) {
    super();
    this.opts = resolveEngineOptions(opts);
    this.path = this.opts.path;
    this.cors = this.opts.cors === false ? null : new CorsPolicy(this.opts.cors);
    this.cookie = compileCookie(this.opts.cookie);
    this.onSessionClose = this.onSessionClose.bind(this);
    this.foreignUpgrades = { destroy: this.opts.destroyUpgrade, timeoutMs: this.opts.destroyUpgradeTimeout };
    this.polling = {
      maxHttpBufferSize: this.opts.maxHttpBufferSize,
      compressionThreshold: compressionThreshold(this.opts.httpCompression),
      // A live client re-polls as soon as its previous GET returns; pingTimeout is already
      // the engine's measure of how long a live client may take to answer.
      lingerTimeout: this.opts.pingTimeout,
    };
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
    this.wss.on("headers", (lines, req) => {
      const headers = this.collectHeaders(req, this.handshakeIds.get(req));
      if (headers === null) return;
      for (const [name, value] of validHeaders(headers)) {
        for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
      }
    });
  }

  /** Number of open sessions. */
  get clientsCount(): number {
    return this.clients.size;
  }

  /**
   * Attaches to an http server: handles its `request` and `upgrade` events on the engine path.
   * Requests on other paths still reach the listeners the server had before; listeners added
   * after attach() see every request.
   *
   * @param server - the http server.
   * @param opts - `path` overrides `opts.path`.
   * @returns this
   * @throws Error if already attached (or closed); TypeError if `path` does not start with "/".
   */
  attach(server: HttpServer, opts: AttachOptions = {}): this {
    if (this.detach !== null) throw new Error("EngineServer is already attached to an http server");
    if (this.closed) throw new Error("EngineServer is closed");
    const path = opts.path ?? this.opts.path;
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw new TypeError(`attach(): path must start with "/", got ${String(path)}`);
    }
    this.path = path;
    this.detach = attachToHttpServer(server, this);
    return this;
  }

  /**
   * Handles an HTTP request if it is on the engine path: CORS (a preflight is answered here),
   * then a polling handshake (no sid) or a session's GET/POST (sid). A refused request is
   * answered with HTTP 400/403 + JSON `{"code","message"}`.
   *
   * @param req - the request.
   * @param res - its response.
   * @returns true if the request was for the engine (and is being answered), false otherwise.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if (!matchesPath(req.url ?? "/", this.path, this.opts.addTrailingSlash)) return false;
    if (this.cors === null) this.onRequest(req, res);
    else this.cors.handle(req, res, () => this.onRequest(req, res));
    return true;
  }

  /**
   * Handles an HTTP upgrade request if it is on the engine path: a WebSocket handshake (no
   * sid) opens a session; a WebSocket carrying a polling session's sid starts its upgrade.
   * A refused request is answered with HTTP 400/403 + JSON `{"code","message"}` and destroyed.
   *
   * @param req - the upgrade request.
   * @param socket - its raw socket (the `socket` argument of the http `upgrade` event).
   * @param head - the first bytes after the request head.
   * @returns true if the request was for the engine (handled or refused), false if it was left alone.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? "/";
    if (!matchesPath(url, this.path, this.opts.addTrailingSlash)) return false;
    const query = parseQuery(url);
    const rejection = checkUpgradeRequest(query, req.method, this.opts.transports);
    if (rejection !== null) {
      this.reject(req, rejection, socket);
      return true;
    }
    const sid = query.get("sid");
    if (sid === null) {
      // Without an allowRequest there is nothing to wait for: no callback closure per handshake.
      if (this.opts.allowRequest === null) {
        this.acceptWebSocket(req, socket, head);
        return true;
      }
      // Node leaves an upgrade socket without an `error` listener and ws only adds its own once
      // it takes the socket: a reset while allowRequest decides would otherwise crash the process.
      socket.on("error", destroyOnError);
      runAllowRequest(this.opts.allowRequest, req, (refused) => {
        socket.off("error", destroyOnError);
        if (refused !== null) this.reject(req, refused, socket);
        else this.acceptWebSocket(req, socket, head);
      });
      return true;
    }
    if (!this.clients.has(sid)) {
      this.reject(req, { code: EngineErrorCode.UNKNOWN_SID, context: { name: "UNKNOWN_SID", sid } }, socket);
    } else if (!this.opts.allowUpgrades) {
      this.reject(req, { code: EngineErrorCode.BAD_REQUEST, context: { name: "UPGRADES_DISABLED", sid } }, socket);
    } else {
      // [EIO4:upgrade] Even for a session already on WebSocket or mid-upgrade the handshake
      // completes; the session then refuses the transport by closing it (no HTTP error).
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onUpgradeWebSocket(ws, socket, sid));
    }
    return true;
  }

  /**
   * Takes care of an upgrade request on another path, which {@link handleUpgrade} left alone:
   * its socket gets an `error` listener, and with `destroyUpgrade` (the default) it is destroyed
   * after `destroyUpgradeTimeout` ms unless another `upgrade` listener answered it by then.
   *
   * @param socket - the raw socket of the upgrade request.
   */
  leaveUpgrade(socket: Duplex): void {
    guardForeignUpgrade(socket, this.foreignUpgrades);
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
    // Nobody will route a last GET to them any more.
    for (const transport of [...this.lingering.values()]) transport.destroy();
    this.wss.close();
    this.detach?.();
    this.detach = null;
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

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const query = parseQuery(req.url ?? "/");
    const rejection = checkHttpRequest(query, req.method, this.opts.transports);
    if (rejection !== null) {
      this.reject(req, rejection, res);
      return;
    }
    const sid = query.get("sid");
    if (sid === null) {
      runAllowRequest(this.opts.allowRequest, req, (refused) => {
        if (refused !== null) this.reject(req, refused, res);
        else this.openPolling(req, res);
      });
      return;
    }
    const session = this.clients.get(sid);
    // [EIO4:heartbeat] Past its pong deadline the session is over, even if its timer has not run yet.
    session?.expireIfOverdue();
    const transport = session === undefined ? this.lingering.get(sid) : session.transport;
    if (transport === undefined) {
      this.reject(req, { code: EngineErrorCode.UNKNOWN_SID, context: { name: "UNKNOWN_SID", sid } }, res);
    } else if (!(transport instanceof PollingTransport)) {
      // [EIO4:upgrade] After the upgrade (or for a WebSocket session) polling requests are refused.
      this.reject(req, { code: EngineErrorCode.BAD_REQUEST, context: { name: "TRANSPORT_MISMATCH", sid } }, res);
    } else {
      this.setResponseHeaders(req, res, undefined);
      transport.handle(req, res);
    }
  }

  /** [EIO4:polling-handshake] The handshake GET becomes the session's first poll and carries the open packet. */
  private openPolling(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      this.reject(req, { code: EngineErrorCode.BAD_REQUEST, context: { name: "SERVER_CLOSED" } }, res);
      return;
    }
    const id = this.newId(req);
    this.setResponseHeaders(req, res, id);
    const transport = new PollingTransport(this.polling);
    transport.handle(req, res);
    this.openSession(id, req, transport);
  }

  private acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    const id = this.newId(req);
    // Only a cookie or an `initial_headers` listener needs to know the sid while ws writes the 101.
    const needsId = this.cookie !== null || this.listenerCount("initial_headers") > 0;
    if (needsId) this.handshakeIds.set(req, id);
    // ws writes the 101 and calls back synchronously, and the session writes its open packet as
    // it opens: corked, both leave in one write (strace over a connect + join ramp: 4.3 → 3.3
    // write syscalls per connection).
    socket.cork();
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (needsId) this.handshakeIds.delete(req);
      if (this.closed) ws.terminate();
      else this.openSession(id, req, new WebSocketTransport(ws, socket));
    });
    socket.uncork();
  }

  private onUpgradeWebSocket(ws: WebSocket, socket: Duplex, sid: string): void {
    const transport = new WebSocketTransport(ws, socket);
    const session = this.clients.get(sid);
    session?.expireIfOverdue();
    // The session may have closed while the WebSocket handshake was completing.
    if (this.closed || session === undefined) transport.close();
    else session.maybeUpgrade(transport, this.opts.upgradeTimeout);
  }

  private openSession(id: string, req: IncomingMessage, transport: Transport): void {
    const engineSocket = new EngineSocket({
      id,
      request: req,
      transport,
      opts: this.opts,
      upgrades: this.upgradesFor(transport.name),
      closed: this.onSessionClose,
    });
    this.clients.set(id, engineSocket);
    this.emit("connection", engineSocket);
  }

  /** Bound once in the constructor: every session calls it as it closes (no listener per session). */
  private onSessionClose(engineSocket: EngineSocket): void {
    const id = engineSocket.id;
    this.clients.delete(id);
    const transport = engineSocket.transport;
    // A server-closed polling session waits for its client's next GET to say so; route it there.
    if (transport instanceof PollingTransport && transport.lingering) {
      this.lingering.set(id, transport);
      transport.sink = lingerSink(() => this.lingering.delete(id));
    }
  }

  private newId(req: IncomingMessage): string {
    let id = this.generateId(req);
    // 120 random bits make a collision practically impossible; checking is still cheaper than reasoning.
    while (this.clients.has(id) || this.lingering.has(id)) id = this.generateId(req);
    return id;
  }

  /** [EIO4:handshake] `upgrades` lists where a session may go from `from`: websocket goes nowhere. */
  private upgradesFor(from: TransportName): readonly TransportName[] {
    if (from === "polling" && this.opts.allowUpgrades && this.opts.transports.includes("websocket")) {
      return TO_WEBSOCKET;
    }
    return NO_UPGRADES;
  }

  /**
   * The extra headers of an accepted request's response: the session cookie on a handshake
   * (`handshakeId` set), then whatever `initial_headers` / `headers` listeners add. Null when
   * there is nothing to add (no cookie, no listener), which is the common case.
   */
  private collectHeaders(req: IncomingMessage, handshakeId: string | undefined): EngineHeaders | null {
    const initial = handshakeId !== undefined;
    const cookie = initial ? this.cookie : null;
    if (cookie === null && this.listenerCount("headers") === 0 && (!initial || this.listenerCount("initial_headers") === 0)) {
      return null;
    }
    const headers: EngineHeaders = {};
    if (cookie !== null && handshakeId !== undefined) headers["Set-Cookie"] = cookie(handshakeId);
    if (initial) this.emit("initial_headers", headers, req);
    this.emit("headers", headers, req);
    return headers;
  }

  private setResponseHeaders(req: IncomingMessage, res: ServerResponse, handshakeId: string | undefined): void {
    const headers = this.collectHeaders(req, handshakeId);
    if (headers === null) return;
    for (const [name, value] of validHeaders(headers)) res.setHeader(name, value);
  }

  private reject(
    req: IncomingMessage,
    rejection: Rejection,
    answer: Duplex | ServerResponse,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    const { code, context } = rejection;
    this.emit("connection_error", { req, code, message: ENGINE_ERROR_MESSAGES[code], context });
    abortAnswer(answer, code, headers);
  }
}

/** The sink of a lingering polling transport: only its close matters (the engine forgets it then). */
function lingerSink(onClose: () => void): TransportSink {
  return { onTransportPacket: ignore, onTransportError: ignore, onTransportClose: onClose, onTransportDrain: ignore };
}

function ignore(): void {}
