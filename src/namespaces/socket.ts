/**
 * The server-side socket: one per client per namespace.
 */
import { randomBytes } from "node:crypto";
import { PacketType, type Packet } from "../protocol/packet.ts";
import { isReservedEvent } from "../protocol/validation.ts";
import { BroadcastOperator } from "../rooms/broadcast-operator.ts";
import type { Adapter } from "../rooms/adapter.ts";
import type { AckCallback, BroadcastFlags, Handshake, Room, SocketId } from "../rooms/types.ts";
import type { EngineSocket } from "../transport/engine-socket.ts";
import {
  StrictEventEmitter,
  type AllButLast,
  type CatchAllListener,
  type DefaultEventsMap,
  type EventNames,
  type EventParams,
  type EventsMap,
  type FirstArg,
  type Last,
  type MessageArgs,
} from "../typed-events.ts";
import { CatchAllListeners } from "./catch-all.ts";
import type { Client } from "./client.ts";
import { buildHandshake } from "./handshake.ts";
import type { Namespace } from "./namespace.ts";

/** Why a socket was disconnected (socket.io's reasons). */
export type DisconnectReason =
  | "transport error"
  | "transport close"
  | "forced close"
  | "ping timeout"
  | "parse error"
  | "server shutting down"
  | "forced server close"
  | "client namespace disconnect"
  | "server namespace disconnect";

/** Lifecycle events of a socket; local only, never sent to the client. */
export type SocketReservedEvents = {
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  error: (err: Error) => void;
};

/** A socket middleware: sees every incoming event (`[name, ...args]`) before listeners do. */
export type SocketMiddleware = (event: unknown[], next: (err?: Error) => void) => void;

/** Error given to an acknowledgement callback when its socket goes away first. */
const DISCONNECTED = "socket has been disconnected";

/**
 * A client's presence in one namespace.
 *
 * @example
 * io.on("connection", (socket) => {
 *   socket.join("room1");
 *   socket.on("hello", (name: string, ack: (reply: string) => void) => ack(`hi ${name}`));
 * });
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = Record<string, unknown>,
> extends StrictEventEmitter<ListenEvents, SocketReservedEvents> {
  /** This socket's id: random, distinct from the Engine.IO session id. */
  readonly id: SocketId;
  /** What the client sent when it connected. */
  readonly handshake: Handshake;
  /** Free-form data, visible to `fetchSockets()`. */
  data: SocketData;
  /** True from the CONNECT answer until the disconnect. */
  connected = false;

  private readonly acks = new Map<number, AckCallback>();
  /** Acks registered with a timeout: they fail at once when the socket disconnects. */
  private readonly timedAcks = new Map<number, { timer: NodeJS.Timeout; ack: AckCallback }>();
  private readonly middlewares: SocketMiddleware[] = [];
  private readonly catchAll = new CatchAllListeners();
  private flags: BroadcastFlags = {};

  /** @internal Built by the namespace when a client connects. */
  constructor(
    readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly client: Client,
    auth: Record<string, unknown>,
  ) {
    super();
    this.id = randomBytes(15).toString("base64url");
    this.handshake = buildHandshake(client.conn, auth);
    this.data = {} as SocketData;
  }

  /** The Engine.IO connection under this socket (shared with the client's other namespaces). */
  get conn(): EngineSocket {
    return this.client.conn;
  }

  /** The rooms this socket is in, its own id included. */
  get rooms(): Set<Room> {
    return this.adapter.socketRooms(this.id) ?? new Set();
  }

  private get adapter(): Adapter {
    return this.nsp.adapter;
  }

  /**
   * Sends an event to this client. A trailing function is an acknowledgement callback; after
   * `timeout(ms)` it receives an Error first when the client does not answer in time.
   */
  override emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.emitData([String(ev), ...args]);
  }

  /** `emit` without the event-map typing: `data` is `[name, ...args]`, maybe ending with an ack. */
  private emitData(data: unknown[]): boolean {
    const name = data[0] as string;
    if (isReservedEvent(name)) throw new Error(`"${name}" is a reserved event name`);
    const flags = this.takeFlags();
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data };
    const last = data[data.length - 1];
    if (typeof last === "function") {
      data.pop();
      packet.id = this.nsp.nextAckId();
      this.expectAck(packet.id, last as AckCallback, flags.timeout);
    }
    this.catchAll.notifyOutgoing(this, data);
    this.client.writePacket(packet, flags);
    return true;
  }

  /**
   * Emits and resolves with the client's acknowledgement. After `timeout(ms)`, rejects when
   * the client does not answer in time.
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstArg<Last<EventParams<EmitEvents, Ev>>>> {
    const withError = this.flags.timeout !== undefined;
    return new Promise((resolve, reject) => {
      const callback = (first: unknown, second?: unknown) => {
        if (!withError) return resolve(first as FirstArg<Last<EventParams<EmitEvents, Ev>>>);
        if (first) return reject(first);
        resolve(second as FirstArg<Last<EventParams<EmitEvents, Ev>>>);
      };
      this.emitData([String(ev), ...args, callback]);
    });
  }

  /** Sends a `message` event. */
  send(...args: MessageArgs<EmitEvents>): this {
    this.emitData(["message", ...args]);
    return this;
  }

  /** Alias of `send`. */
  write(...args: MessageArgs<EmitEvents>): this {
    return this.send(...args);
  }

  /** Joins a room or several; returns a Promise when the adapter is asynchronous. */
  join(rooms: Room | Room[]): Promise<void> | void {
    return this.adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }

  /** Leaves a room; returns a Promise when the adapter is asynchronous. */
  leave(room: Room): Promise<void> | void {
    return this.adapter.del(this.id, room);
  }

  /** Targets a room (or rooms) for a broadcast that excludes this socket. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator().to(room);
  }

  /** Same as `to`. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator().in(room);
  }

  /** A broadcast excluding this socket and the given rooms. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator().except(room);
  }

  /** A broadcast to every socket of the namespace but this one. */
  get broadcast(): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator();
  }

  /** The next emit may be dropped if the client cannot take it right now. */
  get volatile(): this {
    this.flags.volatile = true;
    return this;
  }

  /** Sets per-message compression for the next emit. */
  compress(compress: boolean): this {
    this.flags.compress = compress;
    return this;
  }

  /** The next emit's ack fails with an Error after `ms` without an answer. */
  timeout(ms: number): this {
    this.flags.timeout = ms;
    return this;
  }

  /** The next broadcast from this socket stays on this node. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator().local;
  }

  /** Adds a middleware run for every incoming event, in registration order. */
  use(fn: SocketMiddleware): this {
    this.middlewares.push(fn);
    return this;
  }

  /** Listens to every incoming event. */
  onAny(listener: CatchAllListener): this {
    this.catchAll.incoming.push(listener);
    return this;
  }

  /** Listens to every incoming event, before the other catch-all listeners. */
  prependAny(listener: CatchAllListener): this {
    this.catchAll.incoming.unshift(listener);
    return this;
  }

  /** Removes one catch-all listener, or all of them. */
  offAny(listener?: CatchAllListener): this {
    CatchAllListeners.remove(this.catchAll.incoming, listener);
    return this;
  }

  /** The incoming catch-all listeners. */
  listenersAny(): CatchAllListener[] {
    return [...this.catchAll.incoming];
  }

  /** Listens to every outgoing event (direct emits of this socket). */
  onAnyOutgoing(listener: CatchAllListener): this {
    this.catchAll.outgoing.push(listener);
    return this;
  }

  /** Like `onAnyOutgoing`, first in line. */
  prependAnyOutgoing(listener: CatchAllListener): this {
    this.catchAll.outgoing.unshift(listener);
    return this;
  }

  /** Removes one outgoing catch-all listener, or all of them. */
  offAnyOutgoing(listener?: CatchAllListener): this {
    CatchAllListeners.remove(this.catchAll.outgoing, listener);
    return this;
  }

  /** The outgoing catch-all listeners. */
  listenersAnyOutgoing(): CatchAllListener[] {
    return [...this.catchAll.outgoing];
  }

  /**
   * Disconnects from this namespace; with `close`, closes the whole connection (every
   * namespace of this client).
   */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client.disconnectAll();
    } else {
      this.client.writePacket({ type: PacketType.DISCONNECT, nsp: this.nsp.name }, {});
      this.onClose("server namespace disconnect");
    }
    return this;
  }

  /** @internal Registers an ack for packet `id` (used by broadcasts with acks). */
  registerAck(id: number, ack: AckCallback): void {
    this.acks.set(id, ack);
  }

  /** @internal Forgets a broadcast ack that timed out, so a late answer finds nothing. */
  releaseAck(id: number): void {
    this.acks.delete(id);
  }

  /** @internal Called once the namespace accepted the socket: answers CONNECT. */
  onConnect(): void {
    this.connected = true;
    void this.join(this.id);
    // [SIO5:connect] the CONNECT answer carries the socket id.
    this.client.writePacket({ type: PacketType.CONNECT, nsp: this.nsp.name, data: { sid: this.id } }, {});
  }

  /** @internal Refuses the connection with a CONNECT_ERROR. */
  refuse(err: Error & { data?: unknown }): void {
    const data: { message: string; data?: unknown } = { message: err.message };
    if (err.data !== undefined) data.data = err.data;
    // [SIO5:connect-error]
    this.client.writePacket({ type: PacketType.CONNECT_ERROR, nsp: this.nsp.name, data }, {});
  }

  /** @internal Routes a decoded packet addressed to this namespace. */
  onPacket(packet: Packet): void {
    if (!this.connected) return;
    switch (packet.type) {
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        this.onEvent(packet);
        break;
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        this.onAck(packet);
        break;
      case PacketType.DISCONNECT:
        // [SIO5:disconnect] the client left this namespace.
        this.onClose("client namespace disconnect");
        break;
      default:
        break;
    }
  }

  /** @internal Tears the socket down: `disconnecting` (rooms still there), leave all, `disconnect`. */
  onClose(reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    this.emitReserved("disconnecting", reason, description);
    this.failPendingAcks();
    void this.adapter.delAll(this.id);
    this.nsp.remove(this);
    this.client.remove(this);
    this.connected = false;
    this.emitReserved("disconnect", reason, description);
  }

  /** @internal Reports a protocol error to `error` listeners, if any (bad input is not logged). */
  onError(err: Error): void {
    if (this.listenerCount("error") > 0) this.emitReserved("error", err);
  }

  private onEvent(packet: Packet): void {
    // The decoder guarantees [SIO5:event-payload]: a non-empty array starting with a string.
    const args = (packet.data as unknown[]).slice();
    if (packet.id !== undefined) args.push(this.ackSender(packet.id));
    this.catchAll.notifyIncoming(this, args);
    if (this.middlewares.length === 0) {
      this.emitUntyped(args[0] as string, ...args.slice(1));
      return;
    }
    this.runMiddlewares(args, 0);
  }

  private runMiddlewares(args: unknown[], index: number): void {
    const middleware = this.middlewares[index];
    if (!middleware) {
      if (this.connected) this.emitUntyped(args[0] as string, ...args.slice(1));
      return;
    }
    let called = false;
    middleware(args, (err?: Error) => {
      if (called) return;
      called = true;
      if (err) {
        this.onError(err);
        return;
      }
      this.runMiddlewares(args, index + 1);
    });
  }

  /** A once-only callback that answers the client's ack request `id`. */
  private ackSender(id: number): AckCallback {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent || !this.connected) return;
      sent = true;
      // [SIO5:ack] same id, arguments as an array.
      this.client.writePacket({ type: PacketType.ACK, nsp: this.nsp.name, id, data: args }, {});
    };
  }

  private onAck(packet: Packet): void {
    const id = packet.id;
    if (id === undefined) return;
    const ack = this.acks.get(id);
    if (!ack) return;
    this.acks.delete(id);
    ack.apply(this, packet.data as unknown[]);
  }

  private expectAck(id: number, ack: AckCallback, timeout: number | undefined): void {
    if (timeout === undefined) {
      this.acks.set(id, ack);
      return;
    }
    const timer = setTimeout(() => {
      this.acks.delete(id);
      this.timedAcks.delete(id);
      ack.call(this, new Error("operation has timed out"));
    }, timeout);
    this.timedAcks.set(id, { timer, ack });
    this.acks.set(id, (...args: unknown[]) => {
      clearTimeout(timer);
      this.timedAcks.delete(id);
      ack.call(this, null, ...args);
    });
  }

  /**
   * Acks that carry a timeout promise an answer within it: fail them now rather than let the
   * timer fire later on a dead socket. Acks without a timeout are simply dropped.
   */
  private failPendingAcks(): void {
    const timed = [...this.timedAcks.values()];
    this.timedAcks.clear();
    this.acks.clear();
    for (const { timer, ack } of timed) {
      clearTimeout(timer);
      ack.call(this, new Error(DISCONNECTED));
    }
  }

  private takeFlags(): BroadcastFlags {
    const flags = this.flags;
    this.flags = {};
    return flags;
  }

  private broadcastOperator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(this.adapter, new Set(), new Set([this.id]), this.takeFlags());
  }
}
