/**
 * The Redis adapter over sharded pub/sub (Redis 7+), speaking the protocol of
 * `@socket.io/redis-adapter`'s `createShardedAdapter` (socket.io-adapter's ClusterAdapter
 * messages), so roomcast and socket.io servers in that mode form one cluster.
 *
 * [REDIS:sharded-channels] With prefix P and namespace N: every server SSUBSCRIBEs `P#N#` and
 * its own response channel `P#N#uid#`; in "dynamic" mode also `P#N#room#` for each public
 * room (not a socket id) with a socket here, in "dynamic-private" for every such room. A
 * broadcast without acknowledgement to exactly one room goes to that room's channel when the
 * mode gives it one (in "dynamic", a 20-character room is taken for a socket id and not);
 * everything else goes to `P#N#`; answers go to the requester's `P#N#uid#`.
 * [REDIS:sharded-message] Messages are `{ uid, nsp, type, data }` as JSON, or msgpack when
 * `data` holds binary (broadcasts, acknowledgements, fetch answers, server-side emits).
 */
import type { Packet } from "../protocol/packet.ts";
import type { AdapterNamespace, BroadcastOptions, Room } from "../rooms/types.ts";
import { ClusterAdapter } from "./cluster-adapter.ts";
import { asError, RedisAdapterError } from "./errors.ts";
import type { RedisLink } from "./redis-link.ts";
import { decodeMessage, encodeMessage, fromWireOptions, fromWireRooms, isClientCount, isEventPacket, isRecord, toWireOptions } from "./wire.ts";

/** Which rooms get a channel of their own. */
export type ShardedSubscriptionMode = "static" | "dynamic" | "dynamic-private";

/** Options of {@link ShardedRedisAdapter}, with defaults filled in. */
export interface ResolvedShardedOptions {
  /** Channel prefix. */
  channelPrefix: string;
  /** Milliseconds to wait for every server's answer. */
  requestsTimeout: number;
  /** Which rooms get a channel of their own. */
  subscriptionMode: ShardedSubscriptionMode;
}

/** socket.io-adapter's ClusterAdapter message types. */
export enum MessageType {
  BROADCAST = 3,
  SOCKETS_JOIN = 4,
  SOCKETS_LEAVE = 5,
  DISCONNECT_SOCKETS = 6,
  FETCH_SOCKETS = 7,
  FETCH_SOCKETS_RESPONSE = 8,
  SERVER_SIDE_EMIT = 9,
  SERVER_SIDE_EMIT_RESPONSE = 10,
  BROADCAST_CLIENT_COUNT = 11,
  BROADCAST_ACK = 12,
}

/** socket.io's socket ids are 20 characters; the reference routes such rooms like private ones. */
function looksLikeSocketId(room: Room): boolean {
  return room.length === 20;
}

/**
 * One namespace's adapter in a sharded Redis cluster. Like the reference, it has no request
 * for room lists (no `allRooms`), and `allSockets` is a fetch reduced to ids.
 *
 * @example
 * io.adapter(createShardedRedisAdapter(pub, sub, { subscriptionMode: "dynamic" }));
 */
export class ShardedRedisAdapter extends ClusterAdapter {
  /** `P#N#`: the namespace's channel. */
  readonly channel: string;
  /** `P#N#uid#`: this server's answers. */
  readonly responseChannel: string;
  private readonly mode: ShardedSubscriptionMode;

  /**
   * @param nsp - the namespace.
   * @param link - the shared Redis clients.
   * @param opts - resolved options.
   */
  constructor(nsp: AdapterNamespace, link: RedisLink, opts: ResolvedShardedOptions) {
    super(nsp, link, opts.requestsTimeout);
    this.mode = opts.subscriptionMode;
    this.channel = `${opts.channelPrefix}#${nsp.name}#`;
    this.responseChannel = `${this.channel}${this.uid}#`;
    this.roomKind = "sharded";
  }

  protected subscribeInitial(): Promise<boolean> {
    const channels = [this.channel, this.responseChannel];
    for (const room of this.rooms.keys()) {
      const channel = this.roomChannel(room);
      if (channel !== undefined) channels.push(channel);
    }
    // One SSUBSCRIBE per channel: in a Redis Cluster they may live on different shards.
    return Promise.all(channels.map((channel) => this.subs.add("sharded", [channel]))).then((all) => all.every(Boolean));
  }

  /** The number of servers: subscribers of the namespace's channel (`PUBSUB SHARDNUMSUB`). */
  override serverCount(): Promise<number> {
    return this.countServers("SHARDNUMSUB", this.channel);
  }

  protected override roomChannel(room: Room): string | undefined {
    if (this.mode === "dynamic-private" || (this.mode === "dynamic" && !this.sids.has(room))) return `${this.channel}${room}#`;
    return undefined;
  }

  /** Connection state recovery is not implemented over sharded pub/sub: a clear error at startup. */
  override enableRecovery(): void {
    throw new TypeError(
      "roomcast: connectionStateRecovery is not supported with createShardedRedisAdapter yet; use createRedisAdapter, which keeps sessions and missed packets in Redis",
    );
  }

  // ---- outgoing ----

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    super.broadcast(packet, opts);
    if (opts.flags?.local === true) return;
    let channel = this.channel;
    if (opts.rooms.size === 1 && this.mode !== "static") {
      for (const room of opts.rooms) {
        if (this.mode === "dynamic-private" || !looksLikeSocketId(room)) channel = `${this.channel}${room}#`;
      }
    }
    this.send(channel, MessageType.BROADCAST, { packet, opts: toWireOptions(opts, true) }, true);
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (opts.flags?.local !== true) this.send(this.channel, MessageType.SOCKETS_JOIN, { opts: toWireOptions(opts, true), rooms }, false);
    super.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (opts.flags?.local !== true) this.send(this.channel, MessageType.SOCKETS_LEAVE, { opts: toWireOptions(opts, true), rooms }, false);
    super.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (opts.flags?.local !== true) this.send(this.channel, MessageType.DISCONNECT_SOCKETS, { opts: toWireOptions(opts, true), close }, false);
    super.disconnectSockets(opts, close);
  }

  protected sendFetch(requestId: string, opts: BroadcastOptions): void {
    this.send(this.channel, MessageType.FETCH_SOCKETS, { opts: toWireOptions(opts, true), requestId }, false);
  }

  /** The protocol has no id-only request: a fetch whose answers are reduced to ids. */
  protected sendSocketIds(requestId: string, rooms: Set<Room>): void {
    this.send(this.channel, MessageType.FETCH_SOCKETS, { opts: { rooms: [...rooms], except: [] }, requestId }, false);
  }

  protected sendBroadcastWithAck(requestId: string, packet: Packet, opts: BroadcastOptions): void {
    // Always the namespace channel: the server count covers every server, not a room's.
    this.send(this.channel, MessageType.BROADCAST, { packet, requestId, opts: toWireOptions(opts, true) }, true);
  }

  protected sendServerSideEmit(data: unknown[], requestId: string | undefined): void {
    this.send(this.channel, MessageType.SERVER_SIDE_EMIT, requestId === undefined ? { packet: data } : { requestId, packet: data }, true);
  }

  private send(channel: string, type: MessageType, data: Record<string, unknown>, mayHoldBinary: boolean): void {
    let payload: string | Buffer;
    try {
      payload = encodeMessage({ uid: this.uid, nsp: this.nsp.name, type, data }, mayHoldBinary ? data : undefined);
    } catch (err) {
      this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_ENCODE", `message not sent to other servers: ${asError(err).message}`, err));
      return;
    }
    this.publish(channel, payload, true);
  }

  private reply(requesterUid: string, type: MessageType, data: Record<string, unknown>, mayHoldBinary: boolean): void {
    this.send(`${this.channel}${requesterUid}#`, type, data, mayHoldBinary);
  }

  // ---- incoming ----

  protected onRedisMessage(raw: Buffer, _channel: string): void {
    let message: unknown;
    try {
      message = decodeMessage(raw);
    } catch (err) {
      return this.bad("message", err);
    }
    if (!isRecord(message) || !isRecord(message.data)) return this.bad("message");
    if (message.uid === this.uid || message.nsp !== this.nsp.name) return;
    // Answers may come on the namespace channel too (extending classes of the reference do).
    if (this.onAnswer(message.type, message.data)) return;
    if (typeof message.uid !== "string") return this.bad("message");
    this.serve(message.uid, message.type, message.data).catch((err: unknown) => this.bad("message", err));
  }

  private async serve(from: string, type: unknown, data: Record<string, unknown>): Promise<void> {
    const requestId = data.requestId;
    switch (type) {
      case MessageType.BROADCAST: {
        const opts = fromWireOptions(data.opts);
        const packet = data.packet;
        if (opts === undefined || !isEventPacket(packet)) return this.bad("broadcast");
        const local: Packet = { type: packet.type, nsp: this.nsp.name, data: packet.data };
        if (typeof requestId !== "string") return this.deliver(local, opts);
        return this.deliverWithAck(
          local,
          opts,
          (clientCount) => this.reply(from, MessageType.BROADCAST_CLIENT_COUNT, { requestId, clientCount }, false),
          (response) => this.reply(from, MessageType.BROADCAST_ACK, { requestId, packet: response }, true),
        );
      }
      case MessageType.SOCKETS_JOIN:
      case MessageType.SOCKETS_LEAVE: {
        const opts = fromWireOptions(data.opts);
        const rooms = fromWireRooms(data.rooms);
        if (opts === undefined || rooms === undefined) return this.bad("join/leave message");
        if (type === MessageType.SOCKETS_JOIN) this.localAdd(opts, rooms);
        else this.localDel(opts, rooms);
        return;
      }
      case MessageType.DISCONNECT_SOCKETS: {
        const opts = fromWireOptions(data.opts);
        if (opts === undefined) return this.bad("disconnect message");
        return this.localDisconnect(opts, data.close === true);
      }
      case MessageType.FETCH_SOCKETS: {
        const opts = fromWireOptions(data.opts);
        if (opts === undefined || typeof requestId !== "string") return this.bad("fetch message");
        const sockets = await this.localFetch(opts);
        return this.reply(from, MessageType.FETCH_SOCKETS_RESPONSE, { requestId, sockets }, true);
      }
      case MessageType.SERVER_SIDE_EMIT: {
        const packet = data.packet;
        if (!Array.isArray(packet) || typeof packet[0] !== "string") return this.bad("server-side emit");
        const reply =
          typeof requestId === "string"
            ? (response: unknown) => this.reply(from, MessageType.SERVER_SIDE_EMIT_RESPONSE, { requestId, packet: response }, true)
            : undefined;
        return this.receiveServerSideEmit(packet, reply);
      }
      default:
        // Heartbeats and types from newer versions: nothing to do.
        return;
    }
  }

  /** Routes an answer to this server's pending request; false when `type` is not an answer. */
  private onAnswer(type: unknown, data: Record<string, unknown>): boolean {
    const id = data.requestId;
    switch (type) {
      case MessageType.BROADCAST_CLIENT_COUNT:
        if (typeof id === "string" && isClientCount(data.clientCount)) this.acks.onClientCount(id, data.clientCount);
        return true;
      case MessageType.BROADCAST_ACK:
        if (typeof id === "string") this.acks.onAck(id, data.packet);
        return true;
      case MessageType.FETCH_SOCKETS_RESPONSE:
        if (typeof id === "string") this.pending.answer(id, data);
        return true;
      case MessageType.SERVER_SIDE_EMIT_RESPONSE:
        if (typeof id === "string") this.pending.answer(id, { response: data.packet });
        return true;
      default:
        return false;
    }
  }
}
