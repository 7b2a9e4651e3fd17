/**
 * A namespace's broadcast entry points: `to`/`in`/`except`, `emit`, `emitWithAck`, the flags,
 * and the socket-set operations (`fetchSockets`, `socketsJoin`…), each a fresh broadcast
 * operator over every socket of the namespace. Kept apart from namespace.ts, which holds the
 * namespace's own job (sockets, middlewares, adapter, admission).
 */
import type { BroadcastOperator } from "../rooms/broadcast-operator.ts";
import type { RemoteSocket } from "../rooms/remote-socket.ts";
import type { Room, SocketId } from "../rooms/types.ts";
import {
  StrictEventEmitter,
  type AllButLast,
  type EventNames,
  type EventParams,
  type EventsMap,
  type FirstArg,
  type Last,
  type MessageArgs,
} from "../typed-events.ts";
import type { NamespaceReservedEvents } from "./namespace.ts";

/** The broadcast half of a namespace; {@link Namespace} provides `operator()`. */
export abstract class NamespaceBroadcasts<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> extends StrictEventEmitter<ServerSideEvents, NamespaceReservedEvents<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> {
  /** @internal A fresh broadcast operator over every socket of the namespace. */
  protected abstract operator(): BroadcastOperator<EmitEvents, SocketData>;

  /** Targets a room (or rooms); chained calls make a union. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().to(room);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().in(room);
  }

  /** Excludes sockets in the given room(s). */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().except(room);
  }

  /** Emits to every socket of the namespace (a trailing function collects acks; see `timeout`). */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.operator().emit(ev, ...args);
  }

  /** Emits to every socket and resolves with their acknowledgements. */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<Array<FirstArg<Last<EventParams<EmitEvents, Ev>>>>> {
    return this.operator().emitWithAck(ev, ...args) as Promise<Array<FirstArg<Last<EventParams<EmitEvents, Ev>>>>>;
  }

  /** Sends a `message` event to every socket. */
  send(...args: MessageArgs<EmitEvents>): this {
    this.operator().emitData(["message", ...args]);
    return this;
  }

  /** Alias of `send`. */
  write(...args: MessageArgs<EmitEvents>): this {
    return this.send(...args);
  }

  /** A broadcast whose packets may be dropped for clients that cannot take them now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().volatile;
  }

  /** A broadcast that stays on this node. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().local;
  }

  /** A broadcast with per-message compression set. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().compress(compress);
  }

  /** A broadcast whose acks fail after `ms`. */
  timeout(ms: number): BroadcastOperator<EmitEvents, SocketData> {
    return this.operator().timeout(ms);
  }

  /** The ids of all sockets (of every node with a cluster adapter). */
  allSockets(): Promise<Set<SocketId>> {
    return this.operator().allSockets();
  }

  /** The sockets of this namespace, as objects that can be emitted to, joined, disconnected. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.operator().fetchSockets();
  }

  /** Makes every socket join the room(s). */
  socketsJoin(room: Room | Room[]): void {
    this.operator().socketsJoin(room);
  }

  /** Makes every socket leave the room(s). */
  socketsLeave(room: Room | Room[]): void {
    this.operator().socketsLeave(room);
  }

  /** Disconnects every socket; with `close`, their whole connections. */
  disconnectSockets(close = false): void {
    this.operator().disconnectSockets(close);
  }
}
