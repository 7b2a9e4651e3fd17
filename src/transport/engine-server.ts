/**
 * The Engine.IO server: validates handshakes, opens sessions on either transport, routes an
 * http.Server's `request`/`upgrade` events on its path, and hands polling → WebSocket upgrades
 * to their session.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { compileCookie } from "./cookie.ts";
import type { CookieSerializer } from "./cookie.ts";
import { EngineSocket } from "./engine-socket.ts";
import { Heartbeats } from "./heartbeat.ts";
import { abortAnswer, destroyOnError, ENGINE_ERROR_MESSAGES, EngineErrorCode } from "./errors.ts";
import { EngineFront } from "./engine-front.ts";
import { checkHttpRequest, checkUpgradeRequest, generateSessionId, parseQuery, runAllowRequest } from "./handshake.ts";
import { newSessionId } from "./session-id.ts";
import { collectHeaders, lingerSink, validHeaders } from "./response-headers.ts";
import type { Rejection } from "./handshake.ts";
import { guardForeignUpgrade } from "./foreign-upgrade.ts";
import type { ForeignUpgradePolicy } from "./foreign-upgrade.ts";
import { attachToHttpServer, HttpRoutes } from "./http-attachment.ts";
import { compressionThreshold } from "./http-compression.ts";
import { resolveEngineOptions } from "./options.ts";
import type { EngineOptions, TransportName } from "./options.ts";
import { PollingTransport } from "./polling.ts";
import type { PollingSettings } from "./polling.ts";
import type { AttachOptions, EngineHeaders } from "./server-types.ts";
import type { Transport } from "./transport.ts";
import { WebSocketTransport } from "./websocket.ts";
import { WriteCoalescer } from "./write-coalescer.ts";

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
export class EngineServer extends EngineFront {
  /** Open sessions by sid. A session leaves the map when it closes. */
  readonly clients = new Map<string, EngineSocket>();
  /** Exact paths answered besides the engine's (the metrics and health endpoints). */
  readonly routes = new HttpRoutes();

  private readonly wss: WebSocketServer;
  private readonly cookie: CookieSerializer | null;
  private readonly polling: PollingSettings;
  private readonly foreignUpgrades: ForeignUpgradePolicy;
  /** Polling transports of closed sessions still waiting for a last GET, by sid. */
  private readonly lingering = new Map<string, PollingTransport>();
  /** The sid chosen for a WebSocket handshake in flight, for its `Set-Cookie`. */
  private readonly handshakeIds = new WeakMap<IncomingMessage, string>();
  private detach: (() => void) | null = null;
  private closed = false;
  /** @internal The write windows of `writeDelay`, shared by every session; null when it is 0. */
  readonly writeCoalescer: WriteCoalescer | null;
  /** @internal The heartbeat deadlines of every session, on two timers (see {@link Heartbeats}). */
  readonly heartbeats: Heartbeats;

  /**
   * @param opts - partial {@link EngineOptions}; see `resolveEngineOptions` for the defaults.
   * @throws TypeError on invalid options.
   */
  constructor(opts: Partial<EngineOptions> = {}) {
    super(resolveEngineOptions(opts));
    this.cookie = compileCookie(this.opts.cookie);
    this.writeCoalescer = this.opts.writeDelay > 0 ? new WriteCoalescer(this.opts.writeDelay) : null;
    this.heartbeats = new Heartbeats(this.opts.pingInterval, this.opts.pingTimeout);
    this.onSessionClose = this.onSessionClose.bind(this);
    this.isIdTaken = this.isIdTaken.bind(this);
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
      this.addMiddlewareHeaders(req, lines);
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

  protected onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const query = parseQuery(req.url ?? "/");
    const rejection = checkUpgradeRequest(query, req.method, this.opts.transports);
    if (rejection !== null) {
      this.reject(req, rejection, socket);
      return;
    }
    const sid = query.get("sid");
    if (sid === null) {
      // Without an allowRequest there is nothing to wait for: no callback closure per handshake.
      if (this.opts.allowRequest === null) {
        this.acceptWebSocket(req, socket, head);
        return;
      }
      // Node leaves an upgrade socket without an `error` listener and ws only adds its own once
      // it takes the socket: a reset while allowRequest decides would otherwise crash the process.
      socket.on("error", destroyOnError);
      runAllowRequest(this.opts.allowRequest, req, (refused) => {
        socket.off("error", destroyOnError);
        if (refused !== null) this.reject(req, refused, socket);
        else this.acceptWebSocket(req, socket, head);
      });
      return;
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
    // Each delivers what it holds before its close; then the window's timer stops.
    for (const socket of [...this.clients.values()]) socket.shutdown();
    this.writeCoalescer?.close();
    // Nobody will route a last GET to them any more.
    for (const transport of [...this.lingering.values()]) transport.destroy();
    this.wss.close();
    this.detach?.();
    this.detach = null;
    return this;
  }

  /**
   * Makes a session id. Replace it to choose ids yourself (`io.engine.generateId = (req) => …`,
   * as with engine.io): unique, URL-safe, returned or as a promise. An unusable one refuses the
   * handshake (400, `ID_GENERATION_ERROR`).
   *
   * @param _req - the handshake request.
   */
  generateId(_req: IncomingMessage): string | PromiseLike<string> {
    return generateSessionId();
  }

  protected onRequest(req: IncomingMessage, res: ServerResponse): void {
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
    } else if (!(transport instanceof PollingTransport) || query.get("transport") !== "polling") {
      // [EIO4:upgrade] After the upgrade (or for a WebSocket session) polling requests are
      // refused, and so is a plain HTTP request claiming the websocket transport.
      const context = { name: "TRANSPORT_MISMATCH", transport: query.get("transport"), previousTransport: transport.name };
      this.reject(req, { code: EngineErrorCode.BAD_REQUEST, context }, res);
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
    if (typeof id === "string") this.startPolling(req, res, id);
    else if (!(id instanceof Promise)) this.reject(req, id, res);
    else void id.then((r) => (typeof r === "string" ? this.startPolling(req, res, r) : this.reject(req, r, res)));
  }

  private startPolling(req: IncomingMessage, res: ServerResponse, id: string): void {
    if (this.closed || res.destroyed) return void abortAnswer(res, EngineErrorCode.BAD_REQUEST);
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
    if (typeof id === "string") this.startWebSocket(req, socket, head, id);
    else if (!(id instanceof Promise)) this.reject(req, id, socket);
    else {
      // A reset while an asynchronous generateId runs must not crash the process (see onUpgrade).
      socket.on("error", destroyOnError);
      void id.then((r) => {
        socket.off("error", destroyOnError);
        if (typeof r === "string") this.startWebSocket(req, socket, head, r);
        else this.reject(req, r, socket);
      });
    }
  }

  private startWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, id: string): void {
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
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
      coalescer: this.writeCoalescer,
      heartbeats: this.heartbeats,
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

  private newId(req: IncomingMessage): string | Rejection | Promise<string | Rejection> {
    // The built-in generator's ids are URL-safe by construction: only a replaced one is checked
    // (called through Reflect.apply, awaited, validated).
    if (this.generateId === EngineServer.prototype.generateId) {
      const id = generateSessionId();
      if (!this.isIdTaken(id)) return id;
    }
    return newSessionId(this.generateId, this, req, this.isIdTaken);
  }

  /** Bound once in the constructor. */
  private isIdTaken(id: string): boolean {
    return this.clients.has(id) || this.lingering.has(id);
  }

  /** [EIO4:handshake] `upgrades` lists where a session may go from `from`: websocket goes nowhere. */
  private upgradesFor(from: TransportName): readonly TransportName[] {
    if (from === "polling" && this.opts.allowUpgrades && this.opts.transports.includes("websocket")) {
      return TO_WEBSOCKET;
    }
    return NO_UPGRADES;
  }

  private collectHeaders(req: IncomingMessage, handshakeId: string | undefined): EngineHeaders | null {
    return collectHeaders(this, handshakeId === undefined ? null : this.cookie, req, handshakeId);
  }

  private setResponseHeaders(req: IncomingMessage, res: ServerResponse, handshakeId: string | undefined): void {
    const headers = this.collectHeaders(req, handshakeId);
    if (headers !== null) for (const [name, value] of validHeaders(headers)) res.setHeader(name, value);
  }

  protected reject(
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
