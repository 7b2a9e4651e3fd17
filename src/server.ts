/**
 * The Socket.IO server: options, attach/listen/close, the namespace registry, and the main
 * namespace's API re-exposed on the server object (`io.on` ≡ `io.of("/").on`).
 */
import { createServer, type Server as HttpServer } from "node:http";
import { Adapter } from "./rooms/adapter.ts";
import type { AdapterOption, SocketIoServerOpts } from "./compat/socket-io-adapter.ts";
import type { BroadcastOperator } from "./rooms/broadcast-operator.ts";
import type { RemoteSocket } from "./rooms/remote-socket.ts";
import type { Room, SocketId } from "./rooms/types.ts";
import type { EngineServer } from "./transport/engine-server.ts";
import type { EngineSocket } from "./transport/engine-socket.ts";
import { resolveEngineOptions, type EngineOptions } from "./transport/options.ts";
import {
  StrictEventEmitter,
  type AllButLast,
  type DefaultEventsMap,
  type EventNames,
  type EventParams,
  type EventsMap,
  type FirstArg,
  type Last,
  type MessageArgs,
  type ReservedOrUserListener,
} from "./typed-events.ts";
import { isHttpServer, resolveSocketIoOptions, splitOptions, type ServerOptions, type SocketIoOptions } from "./options.ts";
import { resolveRecoveryOptions, type RecoveryOptions } from "./recovery/options.ts";
import type { AnyNamespace } from "./namespaces/any.ts";
import { Client, type ClientHost } from "./namespaces/client.ts";
import { Namespace, type NamespaceMiddleware, type NamespaceReservedEvents } from "./namespaces/namespace.ts";
import type { NamespaceMatcher, ParentHost } from "./namespaces/parent-namespace.ts";
import { NamespaceRegistry, type NamespaceLookup } from "./namespaces/registry.ts";
import { Observer, type ServerMetrics } from "./observe/observer.ts";
import { namespaceOf } from "./namespaces/lookup.ts";
import { closeServer, createEngine, resolveParser, serveClientFiles } from "./server-engine.ts";
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
  extends StrictEventEmitter<ServerSideEvents, NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>
  implements ClientHost, ParentHost
{
  /** The main namespace, `io.of("/")`. */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
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

  // ---- EventEmitter methods act on the main namespace (io.on ≡ io.of("/").on) ----

  override on<Ev extends EventNames<ServerSideEvents> | EventNames<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: Ev,
    listener: ReservedOrUserListener<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents, Ev>,
  ): this {
    this.sockets.on(ev, listener as never);
    return this;
  }

  override once<Ev extends EventNames<ServerSideEvents> | EventNames<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: Ev,
    listener: ReservedOrUserListener<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents, Ev>,
  ): this {
    this.sockets.once(ev, listener as never);
    return this;
  }

  override off<Ev extends EventNames<ServerSideEvents> | EventNames<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>>(
    ev: Ev,
    listener: ReservedOrUserListener<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, ServerSideEvents, Ev>,
  ): this {
    this.sockets.off(ev, listener as never);
    return this;
  }

  override listeners(ev: string | symbol): Function[] {
    return this.sockets.listeners(ev);
  }

  override listenerCount(ev: string | symbol): number {
    return this.sockets.listenerCount(ev);
  }

  override removeAllListeners(ev?: string | symbol): this {
    this.sockets.removeAllListeners(ev);
    return this;
  }

  // ---- the main namespace's API ----

  /** Adds a middleware to the main namespace. */
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
  }

  /** Targets a room (or rooms) of the main namespace. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  /** Excludes room(s) of the main namespace. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  /** Emits to every socket of the main namespace. */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.sockets.emit(ev, ...args);
  }

  /** Emits to every socket of the main namespace and resolves with their acks. */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<Array<FirstArg<Last<EventParams<EmitEvents, Ev>>>>> {
    return this.sockets.emitWithAck(ev, ...args);
  }

  /** Sends a `message` event to every socket of the main namespace. */
  send(...args: MessageArgs<EmitEvents>): this {
    this.sockets.send(...args);
    return this;
  }

  /** Alias of `send`. */
  write(...args: MessageArgs<EmitEvents>): this {
    return this.send(...args);
  }

  /** Emits to the other servers of a cluster. */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  /** Emits to the other servers and resolves with their answers. */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<unknown[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  /** Ids of every socket of the main namespace. */
  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }

  /** The sockets of the main namespace. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  /** Makes every socket of the main namespace join room(s). */
  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  /** Makes every socket of the main namespace leave room(s). */
  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

  /** Disconnects every socket of the main namespace. */
  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }

  /** A broadcast whose acks fail after `ms`. */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.timeout(ms);
  }

  /** A broadcast that stays on this node. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  /** A broadcast that may drop packets for clients that cannot take them now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  /** A broadcast with per-message compression set. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }
}
