/**
 * The main namespace's API on the server object: `io.on` ≡ `io.of("/").on`, `io.to(room)` ≡
 * `io.of("/").to(room)`, and so on, as socket.io offers them. Kept apart from server.ts, which
 * holds the server's own job (options, attach, close, the namespace registry).
 */
import type { BroadcastOperator } from "./rooms/broadcast-operator.ts";
import type { RemoteSocket } from "./rooms/remote-socket.ts";
import type { Room, SocketId } from "./rooms/types.ts";
import {
  StrictEventEmitter,
  type AllButLast,
  type EventNames,
  type EventParams,
  type EventsMap,
  type FirstArg,
  type Last,
  type MessageArgs,
  type ReservedOrUserListener,
} from "./typed-events.ts";
import type { Namespace, NamespaceMiddleware, NamespaceReservedEvents } from "./namespaces/namespace.ts";

/**
 * Every method of the main namespace, re-exposed: the server extends this class and provides
 * `sockets` (`io.of("/")`).
 */
export abstract class MainNamespaceApi<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> extends StrictEventEmitter<ServerSideEvents, NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
  /** The main namespace, `io.of("/")`. */
  abstract readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;

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
