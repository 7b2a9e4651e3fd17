/**
 * The Socket.IO server: options, attach/listen/close and the namespace registry. The main
 * namespace's API on the server object (`io.on` ≡ `io.of("/").on`) is in main-namespace-api.ts.
 */
import { createServer, type Server as HttpServer } from "node:http";
import { Adapter } from "./rooms/adapter.ts";
import type { AdapterOption, SocketIoServerOpts } from "./compat/socket-io-adapter.ts";
import type { EngineServer } from "./transport/engine-server.ts";
import type { EngineSocket } from "./transport/engine-socket.ts";
import { resolveEngineOptions, type EngineOptions } from "./transport/options.ts";
import type { DefaultEventsMap, EventsMap } from "./typed-events.ts";
import { isHttpServer, resolveSocketIoOptions, splitOptions, type ServerOptions, type SocketIoOptions } from "./options.ts";
import { resolveRecoveryOptions, type RecoveryOptions } from "./recovery/options.ts";
import type { AnyNamespace } from "./namespaces/any.ts";
import { Client, type ClientHost } from "./namespaces/client.ts";
import { Namespace, type NamespaceReservedEvents } from "./namespaces/namespace.ts";
import type { NamespaceMatcher, ParentHost } from "./namespaces/parent-namespace.ts";
import { NamespaceRegistry, type NamespaceLookup } from "./namespaces/registry.ts";
import { Observer, type ServerMetrics } from "./observe/observer.ts";
import { MainNamespaceApi } from "./main-namespace-api.ts";
import { namespaceOf } from "./namespaces/lookup.ts";
import { closeServer, createEngine, resolveParser, serveClientFiles } from "./server-engine.ts";
import { ConnectDeadlines } from "./namespaces/connect-deadlines.ts";
import { debugNamespaces, serverLog } from "./observe/debug.ts";
import type { Parser, ParserEncoder } from "./protocol/parser.ts";

/**
 * A Socket.IO v5 server.
 *
 * @example
 * const io = new Server(httpServer);
 * io.on("connection", (socket) => {
 *   socket.join("some room");
 *   io.to("some room").emit("some event");
 * });
 */
export class Server<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    SocketData = Record<string, unknown>,
  >
  extends MainNamespaceApi<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  implements ClientHost, ParentHost
{
  /** The main namespace, `io.of("/")`. */
  override readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The Engine.IO server, once attached. */
  engine!: EngineServer;
  /** The HTTP server, once attached. */
  httpServer: HttpServer | undefined;
  /** The counters and gauges (the `metrics` option), or null when it is off. */
  readonly metrics: ServerMetrics | null;
  /**
   * The encoder of the `parser` option (roomcast's own codec by default), as socket.io's
   * `server.encoder`: every packet the server sends is encoded with it, a broadcast once.
   */
  readonly encoder: ParserEncoder;
  /** @internal The `parser` option when it is not roomcast's own codec, else null. */
  readonly customParser: Parser | null;
  /** The options given (a frozen copy): socket.io's `server.opts`, read by its adapters (compat/). */
  readonly opts: Readonly<Partial<ServerOptions>> & SocketIoServerOpts;

  private readonly sio: SocketIoOptions;
  private readonly engineOpts: Partial<EngineOptions>;
  private readonly registry: NamespaceRegistry;
  private adapterCtor: AdapterOption;
  private readonly observer: Observer;
  private readonly recovery: RecoveryOptions | undefined;
  /** Attached to an HTTP server and not closed since (attach/listen refuse a second one). */
  private attached = false;
  /** @internal [SIO5:connect-timeout] Connections waiting for their first CONNECT; null when connectTimeout is 0. */
  readonly connectDeadlines: ConnectDeadlines | null;

  /**
   * @param srv an HTTP server to attach to, a port to listen on, or the options
   * @param opts options (see `ServerOptions`)
   */
  constructor(srv?: HttpServer | number | Partial<ServerOptions>, opts: Partial<ServerOptions> = {}) {
    super();
    if (typeof srv === "object" && srv !== null && !isHttpServer(srv)) {
      opts = srv;
      srv = undefined;
    }
    const { sio, engine } = splitOptions(opts);
    this.opts = Object.freeze({ ...opts });
    this.sio = resolveSocketIoOptions(sio);
    ({ encoder: this.encoder, customParser: this.customParser } = resolveParser(this.sio.parser));
    // Validated now, not at attach: an unsupported or unknown option fails at construction.
    const engineResolved = resolveEngineOptions(engine);
    this.engineOpts = engine;
    // The log keeps packets as long as a dead connection may go unnoticed, plus the session's life.
    this.recovery = resolveRecoveryOptions(this.sio.connectionStateRecovery, engineResolved.pingInterval + engineResolved.pingTimeout);
    this.adapterCtor = this.sio.adapter ?? Adapter;
    this.connectDeadlines = this.sio.connectTimeout > 0 ? new ConnectDeadlines(this.sio.connectTimeout) : null;
    this.registry = new NamespaceRegistry(this.sio.maxDynamicNamespaces);
    this.observer = new Observer(this, this.sio);
    this.metrics = this.observer.metrics;
    this.sockets = this.of("/");
    debugNamespaces(this.sockets as unknown as Namespace);
    if (srv !== undefined) this.attach(srv);
  }

  /** The namespaces by name, dynamic children included (socket.io's `_nsps`, read by admin-ui). */
  get _nsps(): ReadonlyMap<string, Namespace> {
    return this.registry.exact as unknown as ReadonlyMap<string, Namespace>;
  }

  /** @internal */
  get connectTimeout(): number {
    return this.sio.connectTimeout;
  }

  /** @internal */
  get maxAttachments(): number {
    return this.sio.maxAttachments;
  }

  /** @internal */
  get cleanupEmptyChildNamespaces(): boolean {
    return this.sio.cleanupEmptyChildNamespaces;
  }

  /** @internal The `connectionStateRecovery` option, resolved (undefined: off). */
  get recoveryOptions(): RecoveryOptions | undefined {
    return this.recovery;
  }

  /** @internal The adapter class namespaces instantiate. */
  get adapterConstructor(): AdapterOption {
    return this.adapterCtor;
  }

  /** The adapter class; with an argument, sets it (for namespaces created from then on). */
  adapter(): AdapterOption;
  adapter(ctor: AdapterOption): this;
  adapter(ctor?: AdapterOption): AdapterOption | this {
    if (!ctor) return this.adapterCtor;
    this.adapterCtor = ctor;
    // Same path as a namespace's own adapter: recovery enabled, and a failed init (Redis
    // unreachable) an `error` event, never an unhandled rejection.
    for (const nsp of this.registry.exact.values()) nsp.replaceAdapter(ctor);
    return this;
  }

  /** The HTTP path served. */
  path(): string {
    return this.sio.path;
  }

  /** Whether the browser client is served under the path; with an argument, sets it. */
  serveClient(): boolean;
  serveClient(v: boolean): this;
  serveClient(v?: boolean): boolean | this {
    if (v === undefined) return this.sio.serveClient;
    this.sio.serveClient = v;
    if (v && this.engine !== undefined && this.engine.files === null) serveClientFiles(this.engine, this.sio);
    return this;
  }

  /**
   * Attaches to an HTTP server, or creates one listening on `port`.
   *
   * @example
   * const io = new Server();
   * io.attach(httpServer);
   */
  attach(srv: HttpServer | number, opts: Partial<ServerOptions> = {}): this {
    if (this.attached) throw new Error("roomcast: server already attached (close it first to attach again)");
    let http: HttpServer;
    if (typeof srv === "number") {
      http = createServer((_req, res) => {
        res.writeHead(404).end();
      });
      http.listen(srv);
    } else {
      http = srv;
    }
    const { sio, engine } = splitOptions(opts);
    if (sio.path !== undefined) this.sio.path = resolveSocketIoOptions({ ...this.sio, path: sio.path }).path;
    this.engine = createEngine(this.sio, { ...this.engineOpts, ...engine }, this.customParser);
    this.engine.attach(http, { path: this.sio.path });
    this.observer.attach(this.engine);
    if (serverLog.enabled) serverLog("attached on %s (serveClient: %s)", this.sio.path, this.sio.serveClient);
    this.engine.on("connection", (conn: EngineSocket) => {
      new Client(this, conn);
    });
    this.httpServer = http;
    this.attached = true;
    return this;
  }

  /**
   * socket.io's uWebSockets.js attachment. Not supported: roomcast runs on Node's HTTP server
   * (and `ws`) only.
   *
   * @throws Error always.
   */
  attachApp(_app: unknown, _opts?: unknown): never {
    throw new Error("roomcast: attachApp (uWebSockets.js) is not supported; attach to a Node http.Server instead");
  }

  /** Same as `attach`. */
  listen(srv: HttpServer | number, opts: Partial<ServerOptions> = {}): this {
    return this.attach(srv, opts);
  }

  /**
   * The namespace `name` (created on first use), or a dynamic parent for a RegExp or a
   * matcher function. `fn` is added as a `connection` listener. The event maps default to the
   * server's; a namespace of its own maps can be typed at the call, as with socket.io:
   * `const nsp: Namespace<A, B, C, D> = io.of("/x")`.
   */
  of<
    NspListen extends EventsMap = ListenEvents,
    NspEmit extends EventsMap = EmitEvents,
    NspServerSide extends EventsMap = ServerSideEvents,
    NspData = SocketData,
  >(
    name: string | RegExp | NamespaceMatcher,
    fn?: (socket: Parameters<NamespaceReservedEvents<NspListen, NspEmit, NspServerSide, NspData>["connection"]>[0]) => void,
  ): Namespace<NspListen, NspEmit, NspServerSide, NspData> {
    const nsp = namespaceOf(this, this.registry, this.sockets as unknown as AnyNamespace | undefined, name) as unknown as Namespace<
      NspListen,
      NspEmit,
      NspServerSide,
      NspData
    >;
    if (fn) nsp.on("connection", fn);
    return nsp;
  }

  /** @internal The namespace named exactly `name`, if it exists. */
  namespaceNamed(name: string): AnyNamespace | undefined {
    return this.registry.exact.get(name);
  }

  /** @internal Looks up (or dynamically creates) a namespace for a connecting client. */
  resolveNamespace(name: string, auth: Record<string, unknown>, done: (result: NamespaceLookup) => void): void {
    this.registry.resolve(name, auth, done);
  }

  /** @internal */
  registerChild(child: AnyNamespace): void {
    this.registry.addChild(child);
    this.sockets?.emitLifecycle("new_namespace", child as unknown as Namespace);
  }

  /** @internal */
  unregisterChild(child: AnyNamespace): void {
    this.registry.removeChild(child);
  }

  /**
   * Disconnects every socket ("server shutting down"), closes the Engine.IO server and the
   * HTTP server. Resolves when the HTTP server has closed; `fn` gets the HTTP server's close
   * error, as with socket.io (`ERR_SERVER_NOT_RUNNING` for one that never listened). The server
   * may then be attached (or listen) again.
   */
  async close(fn?: (err?: Error) => void): Promise<void> {
    this.attached = false;
    this.observer.close();
    const error = await closeServer(this.registry.exact.values(), this.engine, this.httpServer);
    fn?.(error);
  }
}
