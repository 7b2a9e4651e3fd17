/**
 * What `fetchSockets()` returns: a socket snapshot that acts through the adapter.
 */
import type { AllButLast, DefaultEventsMap, EventNames, EventParams, EventsMap } from "../typed-events.ts";
import type { Adapter, SocketDetails } from "./adapter.ts";
import { BroadcastOperator } from "./broadcast-operator.ts";
import type { Handshake, Room, SocketId } from "./types.ts";

/**
 * Emits to one socket with a timeout: what {@link RemoteSocket.timeout} returns. An
 * acknowledgement callback receives `(err, response)` — one response, null on timeout —
 * the way a direct `socket.timeout(ms).emit` does.
 */
export class RemoteSocketOperator<EmitEvents extends EventsMap = DefaultEventsMap> {
  private readonly operator: BroadcastOperator<EmitEvents>;

  /** @param operator - an operator targeting exactly one socket, with `expectSingleResponse` set. */
  constructor(operator: BroadcastOperator<EmitEvents>) {
    this.operator = operator;
  }

  /**
   * Emits an event to the socket; a trailing function receives `(err, response)`.
   *
   * @example
   * socket.timeout(1000).emit("ping", (err, pong) => {});
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.operator.emit(ev, ...args);
  }

  /**
   * Emits an event and resolves the socket's response (its first acknowledgement argument);
   * rejects with a `BroadcastTimeoutError` when the timeout passes first.
   *
   * @example
   * const pong = await socket.timeout(1000).emitWithAck("ping");
   */
  async emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<unknown> {
    const responses = await this.operator.emitWithAck(ev, ...args);
    return responses[0];
  }
}

/**
 * A socket found by `fetchSockets()`, on this server or (with a cluster adapter) another.
 *
 * `id`, `handshake`, `rooms` and `data` are a snapshot taken when it was fetched; the methods
 * act on the live socket through the adapter. Changing `data` here does not change the
 * live socket's data.
 *
 * @typeParam EmitEvents - the events that may be emitted, with their argument lists.
 * @typeParam SocketData - the type of `data`.
 *
 * @example
 * const [socket] = await io.in(userId).fetchSockets();
 * socket?.join("vip");
 * socket?.emit("welcome", socket.data);
 */
export class RemoteSocket<EmitEvents extends EventsMap = DefaultEventsMap, SocketData = unknown> {
  /** The socket id. */
  readonly id: SocketId;
  /** The socket's handshake. */
  readonly handshake: Handshake;
  /** The rooms the socket was in when fetched (a copy). */
  readonly rooms: Set<Room>;
  /** The socket's data when fetched. */
  readonly data: SocketData;
  private readonly operator: BroadcastOperator<EmitEvents>;

  /**
   * @param adapter - the adapter of the socket's namespace.
   * @param details - the socket's id, handshake, rooms and data (a live socket qualifies).
   */
  constructor(adapter: Adapter, details: SocketDetails) {
    this.id = details.id;
    this.handshake = details.handshake;
    this.rooms = new Set(details.rooms);
    // SocketData is the caller's promise about what sockets carry in `data`.
    this.data = details.data as SocketData;
    this.operator = new BroadcastOperator<EmitEvents>(adapter, new Set([this.id]), new Set(), {
      expectSingleResponse: true,
    });
  }

  /**
   * Emits an event to this socket. A trailing function is an acknowledgement callback
   * receiving `(err, response)`; without {@link timeout} it waits as long as it takes.
   *
   * @example
   * socket.emit("hello", "world");
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.operator.emit(ev, ...args);
  }

  /**
   * Sets a timeout for the acknowledgement of the next emit.
   *
   * @example
   * socket.timeout(1000).emit("ping", (err, pong) => {});
   */
  timeout(ms: number): RemoteSocketOperator<EmitEvents> {
    return new RemoteSocketOperator(this.operator.timeout(ms));
  }

  /** Makes the socket join `room`. */
  join(room: Room | Room[]): void {
    this.operator.socketsJoin(room);
  }

  /** Makes the socket leave `room`. */
  leave(room: Room | Room[]): void {
    this.operator.socketsLeave(room);
  }

  /**
   * Disconnects the socket.
   *
   * @param close - also close the underlying connection (default false).
   * @returns this.
   */
  disconnect(close = false): this {
    this.operator.disconnectSockets(close);
    return this;
  }
}
