/**
 * A namespace: its sockets, middlewares, adapter (rooms), and the admission of connecting
 * clients. Its broadcast entry points (`to`, `emit`, `fetchSockets`…) are in namespace-broadcasts.ts.
 */
import type { RecoveryOptions } from "../recovery/options.ts";
import { whenSettled, type PendingRestore, type SessionRecovery } from "../recovery/types.ts";
import { BroadcastOperator } from "../rooms/broadcast-operator.ts";
import type { Adapter } from "../rooms/adapter.ts";
import { constructAdapter, settle, type AdapterOption, type SocketIoServerOpts } from "../compat/socket-io-adapter.ts";
import type { AdapterNamespace, SocketId } from "../rooms/types.ts";
import type { AllButLast, DefaultEventsMap, EventNames, EventParams, EventsMap } from "../typed-events.ts";
import type { ServerMetrics } from "../observe/metrics.ts";
import type { Client } from "./client.ts";
import { startAdapter } from "./adapter-setup.ts";
import { NamespaceBroadcasts } from "./namespace-broadcasts.ts";
import { runMiddlewares } from "./middleware-chain.ts";
import { Socket } from "./socket.ts";
import type { ParserEncoder } from "../protocol/parser.ts";
import { packetCreateObserved } from "../transport/buffered-session.ts";

/** An error a middleware passes to `next`: `message` and `data` reach the client's `connect_error`. */
export interface ExtendedError extends Error {
  data?: unknown;
}

/** A namespace middleware, run for each connecting socket before `connection`. */
export type NamespaceMiddleware<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> = (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, next: (err?: ExtendedError) => void) => void;

/** Lifecycle events of a namespace. */
export type NamespaceReservedEvents<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> = {
  connect: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  connection: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  new_namespace: (namespace: Namespace) => void;
};

/** Names a server-side emit may not use: they are namespace lifecycle events. */
const SERVER_SIDE_RESERVED = new Set(["connect", "connection", "new_namespace"]);

/**
 * Names a server-side event from another node is never dispatched under: the lifecycle events
 * (a sender refuses them, but the message crossed the network) and EventEmitter's own
 * bookkeeping events.
 */
const REMOTE_IGNORED = new Set([...SERVER_SIDE_RESERVED, "newListener", "removeListener"]);

/** What a namespace needs from its server. */
export interface NamespaceHost {
  /** The adapter class each namespace instantiates. */
  readonly adapterConstructor: AdapterOption;
  /** The server's counters, or null when the `metrics` option is off. */
  readonly metrics?: ServerMetrics | null;
  /** The server's encoder (`io.encoder`): adapters encode broadcasts with it. */
  readonly encoder: ParserEncoder;
  /** The server's options, as socket.io's adapters read them (compat/socket-io-adapter.ts). */
  readonly opts: SocketIoServerOpts;
  /** The `connectionStateRecovery` option, resolved; undefined when recovery is off. */
  readonly recoveryOptions?: RecoveryOptions | undefined;
}

type Done<S> = (socket: S | undefined) => void;

/**
 * A communication channel over the shared connection, with its own handlers, rooms and
 * middlewares.
 *
 * @example
 * const orders = io.of("/orders");
 * orders.use((socket, next) => next());
 * orders.on("connection", (socket) => socket.join("room1"));
 * orders.to("room1").emit("hello");
 */
export class Namespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = Record<string, unknown>,
> extends NamespaceBroadcasts<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** The connected sockets, by id. */
  readonly sockets = new Map<SocketId, Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();
  /** The rooms of this namespace. */
  adapter: Adapter;
  /** @internal The server's counters, or null when the `metrics` option is off. */
  readonly metrics: ServerMetrics | null;
  /** @internal Middlewares, in registration order. */
  middlewares: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  /** @internal Called when the last socket leaves (dynamic-namespace cleanup). */
  onEmpty: ((nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void) | undefined;
  private ackIds = 0;
  /** Connections whose middlewares are still running: the namespace is not empty while they are. */
  private pendingConnects = 0;
  /** @internal Connected sockets with an `onAnyOutgoing` listener (kept by the sockets). */
  outgoingObservers = 0;

  /** @internal Created through `io.of(name)`. */
  constructor(
    readonly server: NamespaceHost,
    readonly name: string,
  ) {
    super();
    this.metrics = server.metrics ?? null;
    this.adapter = this.createAdapter(server.adapterConstructor);
  }

  /** @internal Builds and starts this namespace's adapter (overridden by dynamic parents). */
  protected createAdapter(Ctor: AdapterOption): Adapter {
    const adapter = constructAdapter(Ctor, this.asAdapterNamespace());
    startAdapter(adapter, this.server.recoveryOptions);
    return adapter;
  }

  /** @internal Replaces the adapter (`io.adapter(ctor)`): the old one is closed. */
  replaceAdapter(Ctor: AdapterOption): void {
    void this.adapter.close();
    this.adapter = this.createAdapter(Ctor);
  }

  /** @internal The view of this namespace that rooms/ is allowed to see. */
  protected asAdapterNamespace(): AdapterNamespace {
    return this as unknown as AdapterNamespace;
  }

  /** @internal A fresh ack id, unique within this namespace, counted from 0. [SIO5:ack-id] */
  nextAckId(): number {
    return this.ackIds++;
  }

  /** @internal socket.io's name for the ack id counter, taken by its adapters (compat/socket-io-adapter.ts). */
  get _ids(): number {
    return this.ackIds;
  }

  set _ids(next: number) {
    this.ackIds = next;
  }

  /**
   * @internal Whether a broadcast must notify its recipients one by one (`onAnyOutgoing`,
   * `packetCreate`); asked by the adapter once per broadcast.
   */
  observesOutgoing(): boolean {
    return this.outgoingObservers > 0 || packetCreateObserved();
  }

  /** Adds a middleware run for each connecting socket. */
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.middlewares.push(fn);
    return this;
  }

  /**
   * Emits to the other servers of a cluster (nothing to do on a single node). A trailing
   * callback gets `(err, responses)`.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(ev: Ev, ...args: EventParams<ServerSideEvents, Ev>): boolean {
    const name = String(ev);
    if (SERVER_SIDE_RESERVED.has(name)) throw new Error(`"${name}" is a reserved event name`);
    settle(this.adapter, this.adapter.serverSideEmit([name, ...args]));
    return true;
  }

  /** Emits to the other servers and resolves with their answers (`[]` on a single node). */
  serverSideEmitWithAck<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const callback = (err: Error | null, responses: unknown[]) => (err ? reject(err) : resolve(responses));
      const emitArgs = [...args, callback] as unknown as EventParams<ServerSideEvents, Ev>;
      this.serverSideEmit(ev, ...emitArgs);
    });
  }

  /** @internal A server-side event from another node (its name came over the network). */
  onServerSideEmit(args: unknown[]): void {
    const name = String(args[0]);
    if (REMOTE_IGNORED.has(name)) return;
    this.emitUntyped(name, ...args.slice(1));
  }

  /** @internal {@link onServerSideEmit} under socket.io's name, called by its adapters (compat/). */
  _onServerSideEmit(args: unknown[]): void {
    this.onServerSideEmit(args);
  }

  /**
   * @internal Runs the middlewares for a connecting client, then accepts (CONNECT answer,
   * `connection` event) or refuses (CONNECT_ERROR) it. With connection state recovery on, a
   * client presenting a private session id (`auth.pid`, and `auth.offset` if it received a
   * packet) resumes its session when it can: same id, rooms and data, missed packets replayed,
   * middlewares skipped unless `skipMiddlewares` is false.
   */
  add(client: Client, auth: Record<string, unknown> | undefined, done: Done<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>): void {
    const recovery = this.adapter.recovery;
    if (recovery === undefined || auth === undefined || typeof auth.pid !== "string") {
      this.admit(client, new Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, client, auth), undefined, done);
      return;
    }
    const offset = typeof auth.offset === "string" ? auth.offset : undefined;
    // The namespace is not empty while a session is being looked up.
    this.pendingConnects++;
    let restore: ReturnType<SessionRecovery["restore"]>;
    try {
      restore = recovery.restore(auth.pid, offset, () => client.open);
    } catch {
      restore = undefined;
    }
    whenSettled(restore, (restored) => {
      this.pendingConnects--;
      if (!client.open) {
        restored?.cancel();
        this.checkEmpty();
        return done(undefined);
      }
      const socket = new Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, client, auth, restored?.session);
      // Joined before the middlewares run, as socket.io does (they see `socket.rooms`).
      if (restored !== undefined) void this.adapter.addAll(socket.id, new Set(restored.session.rooms));
      this.admit(client, socket, restored, done);
    });
  }

  /** Runs the middlewares (unless a resumed socket skips them), then accepts or refuses. */
  private admit(
    client: Client,
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    restored: PendingRestore | undefined,
    done: Done<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>,
  ): void {
    const skip = restored !== undefined && this.adapter.recovery?.skipMiddlewares === true;
    if (this.middlewares.length === 0 || skip) {
      this.accept(client, socket, restored, done);
      // A connection gone while its session was looked up leaves a dynamic child empty.
      this.checkEmpty();
      return;
    }
    this.pendingConnects++;
    runMiddlewares(this.middlewares, socket, (err?: ExtendedError) => {
      this.pendingConnects--;
      try {
        if (!client.open) {
          this.abandon(socket, restored);
          return done(undefined);
        }
        if (err) {
          socket.refuse(err);
          // Rooms a middleware joined (or the resumed session's) must not outlive the refusal.
          this.abandon(socket, restored);
          return done(undefined);
        }
        this.accept(client, socket, restored, done);
      } finally {
        // A refused (or abandoned) connection leaves a dynamic child as empty as it found it.
        this.checkEmpty();
      }
    });
  }

  private accept(
    client: Client,
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    restored: PendingRestore | undefined,
    done: Done<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>,
  ): void {
    if (!client.open) {
      this.abandon(socket, restored);
      return done(undefined);
    }
    this.sockets.set(socket.id, socket);
    // In the same synchronous turn as the socket entering `sockets`: every packet logged until
    // now is in the replay, every later one reaches the socket live.
    const missed = restored?.finish();
    this.adapter.recovery?.attach(socket, restored);
    socket.onConnect(missed);
    done(socket);
    this.emitReserved("connect", socket);
    this.emitReserved("connection", socket);
  }

  /**
   * A socket that is not accepted after all: it leaves its rooms; a resumed session stays
   * resumable (its rooms are kept by the session, not by this socket).
   */
  private abandon(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, restored: PendingRestore | undefined): void {
    socket.abandon();
    restored?.cancel();
  }

  /** @internal Forgets a socket that disconnected. */
  remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.sockets.get(socket.id) !== socket) return;
    this.sockets.delete(socket.id);
    this.checkEmpty();
  }

  /** Calls `onEmpty` when no socket is in, and none is on its way in (middlewares running). */
  private checkEmpty(): void {
    if (this.sockets.size === 0 && this.pendingConnects === 0) this.onEmpty?.(this);
  }

  /** @internal Emits a lifecycle event on this namespace's listeners (used by the server). */
  emitLifecycle<Ev extends keyof NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    ev: Ev,
    ...args: EventParams<NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>, Ev>
  ): void {
    this.emitReserved(ev, ...args);
  }

  /** @internal A fresh broadcast operator over every socket of this namespace. */
  protected override operator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(this.adapter);
  }
}
