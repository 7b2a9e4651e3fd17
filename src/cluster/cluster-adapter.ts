/**
 * The cluster-wide operations both Redis adapters share, whatever their wire protocol (fetch,
 * socket ids, broadcasts with acknowledgement, server-side emits), expressed through a few
 * protocol hooks, and the local halves that serve other servers' requests.
 */
import type { ServerSideAck, SocketDetails } from "../rooms/adapter.ts";
import type { Packet } from "../protocol/packet.ts";
import type { AckCallback, BroadcastFlags, BroadcastOptions, Room, SocketId } from "../rooms/types.ts";
import { AdapterCore } from "./adapter-core.ts";
import { asError, RedisAdapterError } from "./errors.ts";
import type { SubscriptionKind } from "./subscriptions.ts";
import { fromWireSocket, isRecord, toWireSocket, type WireSocket } from "./wire.ts";

function collectSockets(answer: Record<string, unknown>, out: SocketDetails[]): void {
  if (!Array.isArray(answer.sockets)) return;
  for (const item of answer.sockets) {
    const socket = fromWireSocket(item);
    if (socket !== undefined) out.push(socket);
  }
}

function collectIds(answer: Record<string, unknown>, out: Set<SocketId>): void {
  if (!Array.isArray(answer.sockets)) return;
  // Ids (classic SOCKETS answers) or socket snapshots (sharded FETCH_SOCKETS answers).
  for (const item of answer.sockets) {
    if (typeof item === "string") out.add(item);
    else if (isRecord(item) && typeof item.id === "string") out.add(item.id);
  }
}

/**
 * The base of the Redis adapters. Subclasses implement the wire protocol: which channels to
 * subscribe, how to publish each operation, and how to route what arrives.
 *
 * Events: `error` ({@link RedisAdapterError}; emitted only when listened to, so it can never
 * become an uncaught exception) and `subscribed` (the adapter's subscriptions are active: after
 * `init()`, and again each time they were restored after Redis came back).
 */
export abstract class ClusterAdapter extends AdapterCore {
  // ---- protocol hooks ----

  /** Asks the other servers for the sockets matching `opts`. */
  protected abstract sendFetch(requestId: string, opts: BroadcastOptions): void;
  /** Asks the other servers for the ids of the sockets in `rooms`. */
  protected abstract sendSocketIds(requestId: string, rooms: Set<Room>): void;
  /** Publishes a broadcast that asks for acknowledgements. */
  protected abstract sendBroadcastWithAck(requestId: string, packet: Packet, opts: BroadcastOptions): void;
  /** Publishes a server-side event (with a request id when it expects answers). */
  protected abstract sendServerSideEmit(data: unknown[], requestId: string | undefined): void;
  /** The number of servers of this namespace, this one included. */
  abstract override serverCount(): Promise<number>;

  /** The matching sockets of every server (each one's reply within the timeout). */
  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const local = await super.fetchSockets(opts);
    if (opts.flags?.local === true) return local;
    const expected = (await this.serverCount()) - 1;
    if (expected <= 0) return local;
    const timeout = opts.flags?.timeout ?? this.requestsTimeout;
    return this.request("fetchSockets", expected, timeout, local, collectSockets, (id) => this.sendFetch(id, opts));
  }

  /** The ids of the sockets in any of `rooms` (every socket when empty), on every server. */
  override async sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const local = await super.sockets(rooms);
    const expected = (await this.serverCount()) - 1;
    if (expected <= 0) return local;
    return this.request("allSockets", expected, this.requestsTimeout, local, collectIds, (id) => this.sendSocketIds(id, rooms));
  }

  /**
   * Delivers locally and asks the other servers to deliver too. Their client counts and
   * answers come back until the broadcast's timeout (`requestsTimeout` when it has none).
   */
  override broadcastWithAck(packet: Packet, opts: BroadcastOptions, clientCountCallback: (count: number) => void, ack: AckCallback): void {
    packet.nsp = this.nsp.name;
    if (opts.flags?.local !== true) {
      const timeout = this.ackTimeout(opts.flags);
      // The other servers get the effective deadline too, so they release their ack callbacks.
      if (opts.flags?.timeout === undefined) opts = { ...opts, flags: { ...opts.flags, timeout } };
      const id = this.acks.open(timeout, clientCountCallback, ack);
      if (id === undefined) this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_TIMEOUT", "too many broadcasts with acknowledgement pending: sent to this server only"));
      else this.sendBroadcastWithAck(id, packet, opts);
    }
    super.broadcastWithAck(packet, opts, clientCountCallback, ack);
  }

  /**
   * Answers from other servers are routed only for a bounded time, so a broadcast with acks and
   * no `timeout()` waits `requestsTimeout` on a cluster instead of forever.
   */
  override ackTimeout(flags: BroadcastFlags | undefined): number {
    return flags?.timeout ?? this.requestsTimeout;
  }

  /** Sends a server-side event to the other servers; a trailing callback gets their answers. */
  override serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last !== "function") {
      this.sendServerSideEmit(packet, undefined);
      return;
    }
    const ack = last as ServerSideAck;
    const data = packet.slice(0, -1);
    this.serverCount().then(
      (count) => {
        const expected = count - 1;
        if (expected <= 0) return ack(null, []);
        const responses: unknown[] = [];
        this.request("serverSideEmit", expected, this.requestsTimeout, responses, (answer, acc) => acc.push(answer.response), (id) => this.sendServerSideEmit(data, id)).then(
          (all) => ack(null, all),
          (err: unknown) => ack(asError(err), responses),
        );
      },
      (err: unknown) => ack(asError(err), []),
    );
  }

  // ---- per-room subscriptions ----

  /**
   * The channel to subscribe while `room` has a socket on this server, or undefined when rooms
   * have no channels of their own in this mode. Evaluated once the socket has joined.
   */
  protected roomChannel(_room: Room): string | undefined {
    return undefined;
  }

  /** The kind of subscription room channels use. */
  protected roomKind: SubscriptionKind = "channel";

  /** Joins locally and subscribes the channels of rooms new here (the promise waits for them). */
  override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void {
    if (this.closed) return super.addAll(id, rooms);
    let fresh: Room[] | undefined;
    for (const room of rooms) if (!this.rooms.has(room)) (fresh ??= []).push(room);
    super.addAll(id, rooms);
    if (fresh === undefined) return;
    const channels: string[] = [];
    for (const room of fresh) {
      const channel = this.roomChannel(room);
      if (channel !== undefined) channels.push(channel);
    }
    if (channels.length > 0) return this.bounded(this.subs.add(this.roomKind, channels));
  }

  /** Leaves locally; unsubscribes the channel of a room that became empty. */
  override del(id: SocketId, room: Room): Promise<void> | void {
    super.del(id, room);
    if (!this.rooms.has(room)) this.dropRooms([room]);
  }

  /** Leaves every room; unsubscribes the channels of the rooms that became empty. */
  override delAll(id: SocketId): void {
    const joined = this.sids.get(id);
    const before = joined === undefined ? undefined : [...joined];
    super.delAll(id);
    if (before !== undefined) this.dropRooms(before.filter((room) => !this.rooms.has(room)));
  }

  private dropRooms(rooms: Room[]): void {
    const channels: string[] = [];
    for (const room of rooms) {
      const channel = this.roomChannel(room);
      if (channel !== undefined && this.subs.has(this.roomKind, channel)) channels.push(channel);
    }
    if (channels.length > 0) this.subs.remove(this.roomKind, channels);
  }

  // ---- serving other servers' requests ----

  /** Delivers a broadcast from another server to this server's sockets. */
  protected deliver(packet: Packet, opts: BroadcastOptions): void {
    try {
      super.broadcast(packet, opts);
    } catch (err) {
      this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_BAD_MESSAGE", `cannot deliver a broadcast from another server: ${asError(err).message}`, err));
    }
  }

  /**
   * Delivers another server's broadcast with acknowledgement. With a timeout, the local ack
   * callbacks are forgotten when it passes (the requester stopped listening by then), so a
   * client that never answers does not hold them until it disconnects.
   */
  protected deliverWithAck(packet: Packet, opts: BroadcastOptions, onCount: (count: number) => void, onAck: (response: unknown) => void): void {
    try {
      super.broadcastWithAck(packet, opts, onCount, onAck);
    } catch (err) {
      this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_BAD_MESSAGE", `cannot deliver a broadcast from another server: ${asError(err).message}`, err));
      return;
    }
    const timeout = opts.flags?.timeout;
    const id = packet.id;
    if (timeout === undefined || id === undefined) return;
    const timer = setTimeout(() => {
      this.releaseTimers.delete(timer);
      for (const socket of this.nsp.sockets.values()) socket.releaseAck?.(id);
    }, timeout);
    this.releaseTimers.add(timer);
  }

  /** This server's sockets matching `opts`, as snapshots for another server. */
  protected async localFetch(opts: BroadcastOptions): Promise<WireSocket[]> {
    return (await super.fetchSockets(opts)).map(toWireSocket);
  }

  /** The ids of this server's sockets in `rooms`. */
  protected localSocketIds(rooms: Set<Room>): Promise<Set<SocketId>> {
    return super.sockets(rooms);
  }

  /** Runs a server-side event from another server; `reply` (once) answers it. */
  protected receiveServerSideEmit(data: unknown[], reply: ((response: unknown) => void) | undefined): void {
    const args = data.slice();
    if (reply !== undefined) {
      let called = false;
      args.push((response: unknown) => {
        if (called) return;
        called = true;
        reply(response);
      });
    }
    this.nsp.onServerSideEmit?.(args);
  }

  /** Joins, leaves or disconnects this server's sockets for another server. */
  protected localAdd(opts: BroadcastOptions, rooms: Room[]): void {
    super.addSockets(opts, rooms);
  }

  /** See {@link localAdd}. */
  protected localDel(opts: BroadcastOptions, rooms: Room[]): void {
    super.delSockets(opts, rooms);
  }

  /** See {@link localAdd}. */
  protected localDisconnect(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
  }
}
