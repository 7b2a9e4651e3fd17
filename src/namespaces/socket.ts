/**
 * The server-side socket: one per client per namespace.
 */
import type { IncomingMessage } from "node:http";
import { PacketType, type Packet } from "../protocol/packet.ts";
import { isReservedEvent } from "../protocol/validation.ts";
import { RECOVERABLE_REASONS, type SessionState } from "../recovery/types.ts";
import { BroadcastOperator } from "../rooms/broadcast-operator.ts";
import type { Adapter } from "../rooms/adapter.ts";
import type { SocketIoAckMap } from "../compat/socket-io-adapter.ts";
import type { AckCallback, Handshake, Room, SocketId } from "../rooms/types.ts";
import type { EngineSocket } from "../transport/engine-socket.ts";
import { randomId } from "../transport/random-id.ts";
import type { DefaultEventsMap, EventNames, EventParams, EventsMap } from "../typed-events.ts";
import { ackSender, PendingAcks } from "./acks.ts";
import { FlaggedEmitter } from "./emit-flags.ts";
import type { Client } from "./client.ts";
import { encodeConnectError } from "./connect-error.ts";
import { writeConnect } from "./connect-packets.ts";
import { buildHandshake } from "./handshake.ts";
import { runMiddlewares } from "./middleware-chain.ts";
import type { Namespace } from "./namespace.ts";
import type { DisconnectReason, SocketMiddleware, SocketReservedEvents } from "./socket-types.ts";

export type { DisconnectReason, SocketMiddleware, SocketReservedEvents } from "./socket-types.ts";

/** The epoch time (ms) socket connection times are counted from (see Socket.issuedAfterBase). */
const CLOCK_BASE = Date.now();

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
> extends FlaggedEmitter<ListenEvents, EmitEvents, SocketReservedEvents> {
  /** This socket's id: random, distinct from the Engine.IO session id. */
  readonly id: SocketId;
  /** True from the CONNECT answer until the disconnect. */
  connected = false;
  /**
   * True when this socket resumed a session after a brief disconnection (connection state
   * recovery): id, rooms and `data` are the previous socket's, and missed packets were resent.
   */
  recovered = false;
  /** @internal The private session id the client presents to resume (recovery on only). */
  readonly pid: string | undefined;
  /** @internal Scratch of recipient resolution (see AdapterSocket.targetStamp). */
  targetStamp = 0;
  /** True once disconnected or refused: it left its rooms and joins no more (in its middlewares it may join). */
  private ended = false;

  // Created on first use (measured: eager Maps, arrays and records cost about 1 KB per socket
  // that most sockets never touch).
  private ackTable: PendingAcks | null = null;
  private middlewares: SocketMiddleware[] | null = null;
  private userData: SocketData | undefined = undefined;
  private builtHandshake: Handshake | undefined = undefined;
  /**
   * The CONNECT payload, kept for the handshake record; undefined when the client sent none (the
   * record's `{}` is then made with it, on first read: an empty object per socket fewer).
   */
  private readonly auth: Record<string, unknown> | undefined;
  /**
   * When the namespace took the CONNECT: `handshake.issued` is {@link CLOCK_BASE} + this. Kept
   * as an offset because a small integer lives in the field itself, where an epoch time (above
   * 2^31) is boxed in a 16-byte heap number per socket.
   */
  private readonly issuedAfterBase: number;

  /** @internal Built by the namespace when a client connects (`session`: the one it resumes, if any). */
  constructor(
    readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    readonly client: Client,
    auth: Record<string, unknown> | undefined,
    session?: SessionState,
  ) {
    super();
    if (session !== undefined) {
      this.id = session.sid;
      this.pid = session.pid;
      this.userData = session.data as SocketData;
      this.recovered = true;
    } else {
      this.id = randomId();
      this.pid = nsp.adapter.recovery?.newPid();
    }
    this.auth = auth;
    this.issuedAfterBase = Date.now() - CLOCK_BASE;
  }

  /**
   * What the client sent when it connected. Built on first read (URL and query parsing, date
   * formatting) from what was recorded at connection time, so its values do not depend on when
   * it is first read; the same object every time.
   */
  get handshake(): Handshake {
    return (this.builtHandshake ??= buildHandshake(this.client.conn, this.auth ?? {}, CLOCK_BASE + this.issuedAfterBase));
  }

  /** Free-form data, visible to `fetchSockets()`; `{}` until set. */
  get data(): SocketData {
    return (this.userData ??= {} as SocketData);
  }

  set data(value: SocketData) {
    this.userData = value;
  }

  /** The opposite of `connected`: true in middlewares, false once connected, true after the disconnect. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** The HTTP request that opened the underlying connection (headers, cookies, session middleware). */
  get request(): IncomingMessage {
    return this.client.conn.request;
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
  protected emitData(data: unknown[]): boolean {
    const name = data[0] as string;
    if (isReservedEvent(name)) throw new Error(`"${name}" is a reserved event name`);
    const flags = this.takeFlags();
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data };
    const last = data[data.length - 1];
    if (typeof last !== "function") {
      if (this.pid !== undefined && flags.volatile !== true) {
        // [SIO5:recovery-offset] With recovery on, an emit without ack is logged like a
        // broadcast to this socket's own room, as socket.io does: it carries an offset and is
        // replayed if the client missed it. The broadcast path calls the outgoing listeners
        // (with the offset, as socket.io's) and counts the event.
        this.adapter.broadcast(packet, { rooms: new Set([this.id]), flags });
        return true;
      }
      this.notifyOutgoing(data);
      this.countSent();
      this.client.writePacket(packet, flags);
      return true;
    }
    data.pop();
    const ack = last as AckCallback;
    if (!this.connected) {
      // Its acks were failed at the disconnect: one registered now would never be answered.
      queueMicrotask(() => ack.call(this, new Error("socket has been disconnected")));
      return true;
    }
    packet.id = this.nsp.nextAckId();
    // Encoded before the ack is registered: a packet that cannot be encoded leaves no callback behind.
    const encoded = this.nsp.server.encoder.encode(packet);
    this.pendingAcks().expect(packet.id, ack, flags.timeout);
    this.notifyOutgoing(data);
    this.countSent();
    this.client.writeDirect(encoded, flags);
    return true;
  }

  /** Joins a room or several (a Promise with an asynchronous adapter); ignored once disconnected or refused. */
  join(rooms: Room | Room[]): Promise<void> | void {
    if (this.ended) return;
    return this.adapter.addAll(this.id, new Set(Array.isArray(rooms) ? rooms : [rooms]));
  }

  /** Leaves a room; returns a Promise when the adapter is asynchronous. Ignored once disconnected (it is in no room). */
  leave(room: Room): Promise<void> | void {
    if (this.ended) return;
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

  /** The next broadcast from this socket stays on this node. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.broadcastOperator().local;
  }

  /** Adds a middleware run for every incoming event, in registration order. */
  use(fn: SocketMiddleware): this {
    (this.middlewares ??= []).push(fn);
    return this;
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
      // [SIO5:disconnect]
      this.client.writePacket({ type: PacketType.DISCONNECT, nsp: this.nsp.name }, {});
      this.onClose("server namespace disconnect");
    }
    return this;
  }

  /** @internal Registers an ack for packet `id` (used by broadcasts with acks). */
  registerAck(id: number, ack: AckCallback): void {
    this.pendingAcks().register(id, ack);
  }

  /** @internal Forgets a broadcast ack that timed out, so a late answer finds nothing. */
  releaseAck(id: number): void {
    this.ackTable?.release(id);
  }

  /** @internal The pending acks under socket.io's name: its adapters `set` broadcast acks here (compat/). */
  get acks(): SocketIoAckMap {
    return this.pendingAcks();
  }

  /** A connected socket with outgoing listeners is counted by its namespace. */
  protected override outgoingCounter(): { outgoingObservers: number } | null {
    return this.connected ? this.nsp : null;
  }

  /**
   * @internal Called once the namespace accepted the socket: answers CONNECT, after the
   * missed packets of a resumed session (counted as sent events: they are handed to the
   * connection now, whatever happened to them on the old one).
   */
  onConnect(missed?: unknown[][]): void {
    this.connected = true;
    // Listeners added in a middleware start counting now.
    this.outgoingListenersChanged();
    void this.adapter.addAll(this.id, new Set([this.id]));
    const metrics = this.nsp.metrics;
    if (metrics !== null && missed !== undefined) metrics.eventsSent += missed.length;
    writeConnect(this.client, this.nsp.name, this.id, this.pid, missed);
  }

  /** @internal The client resumed this session on a new connection: this one goes ("transport close"). */
  supersede(): void {
    this.onClose("transport close");
  }

  /** @internal Refuses the connection with a CONNECT_ERROR. */
  refuse(err: Error & { data?: unknown }): void {
    this.nsp.metrics?.countConnectError("MIDDLEWARE_REFUSED");
    this.client.writeDirect(encodeConnectError(this.nsp.server.encoder, this.nsp.name, err), {});
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
        // [SIO5:connect-error-payload] A CONNECT_ERROR from a client asks nothing of the server.
        break;
    }
  }

  /**
   * @internal The connection never got through (a middleware refused it, or its client left
   * while the middlewares ran): the rooms its middlewares joined are left, and it joins no more.
   */
  abandon(): void {
    if (this.ended || this.connected) return;
    this.ended = true;
    void this.adapter.delAll(this.id);
  }

  /** @internal Tears the socket down: `disconnecting` (rooms still there), leave all, `disconnect`. */
  onClose(reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    this.emitReserved("disconnecting", reason, description);
    this.ackTable?.failAll();
    // Before leaving the rooms: the session keeps them.
    if (this.pid !== undefined) this.adapter.recovery?.detach(this, RECOVERABLE_REASONS.has(reason));
    // From here on a join would outlive the socket (a `disconnect` listener joining a room).
    this.ended = true;
    void this.adapter.delAll(this.id);
    this.nsp.remove(this);
    this.client.remove(this);
    this.connected = false;
    this.nsp.metrics?.countDisconnect(reason);
    this.outgoingListenersChanged();
    this.emitReserved("disconnect", reason, description);
  }

  /** @internal Reports a protocol error to `error` listeners, if any (bad input is not logged). */
  onError(err: Error): void {
    if (this.listenerCount("error") > 0) this.emitReserved("error", err);
  }

  private onEvent(packet: Packet): void {
    // The decoder guarantees [SIO5:event-payload]: a non-empty array starting with a string.
    const metrics = this.nsp.metrics;
    if (metrics !== null) metrics.eventsReceived++;
    const args = (packet.data as unknown[]).slice();
    if (packet.id !== undefined) args.push(ackSender(this, packet.id));
    this.notifyIncoming(args);
    // [SIO5:after-disconnect] Once the socket is disconnected nothing of a packet reaches the
    // application any more: not its listeners (a catch-all listener may have just disconnected
    // it), not, after an asynchronous middleware, the event nor the middleware's error.
    if (!this.connected) return;
    if (this.middlewares === null) {
      this.emitUntyped(args[0] as string, ...args.slice(1));
      return;
    }
    runMiddlewares(this.middlewares, args, (err?: Error) => {
      if (!this.connected) return;
      if (err) this.onError(err);
      else this.emitUntyped(args[0] as string, ...args.slice(1));
    });
  }

  private onAck(packet: Packet): void {
    // [SIO5:ack] An id that is unknown or already answered is ignored.
    if (packet.id !== undefined) this.ackTable?.answer(packet.id, packet.data as unknown[]);
  }

  /** One EVENT handed to this client's connection (a volatile drop takes it back). */
  private countSent(): void {
    const metrics = this.nsp.metrics;
    if (metrics !== null) metrics.eventsSent++;
  }

  private pendingAcks(): PendingAcks {
    return (this.ackTable ??= new PendingAcks(this));
  }

  private broadcastOperator(): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator<EmitEvents, SocketData>(this.adapter, new Set(), new Set([this.id]), this.takeFlags());
  }
}
