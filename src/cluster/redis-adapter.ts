/**
 * The Redis adapter speaking `@socket.io/redis-adapter`'s classic protocol (see
 * classic-protocol.ts), so roomcast servers, socket.io servers using `createAdapter`, and
 * `@socket.io/redis-emitter` processes form one cluster.
 */
import type { Packet } from "../protocol/packet.ts";
import type { RecoveryOptions } from "../recovery/options.ts";
import { RedisRecovery } from "../recovery/redis-recovery.ts";
import type { AdapterNamespace, BroadcastOptions, Room, SocketId } from "../rooms/types.ts";
import { ClassicChannels, RequestType } from "./classic-protocol.ts";
import { ClusterAdapter } from "./cluster-adapter.ts";
import { asError, RedisAdapterError } from "./errors.ts";
import { decode, encode } from "./msgpack.ts";
import { connectionScripts } from "./lua-script.ts";
import type { RedisLink } from "./redis-link.ts";
import { RecoveryCommands, RecoveryKeys } from "./recovery-commands.ts";
import { decodeMessage, encodeMessage, fromWireOptions, fromWireRooms, isClientCount, isEventPacket, isRecord, toWireOptions } from "./wire.ts";

/** How a server hears broadcasts. */
export type ClassicSubscriptionMode = "pattern" | "per-room";

/** Options of {@link RedisAdapter}, with defaults filled in. */
export interface ResolvedRedisAdapterOptions {
  /** Channel prefix. */
  key: string;
  /** Milliseconds to wait for every server's answer. */
  requestsTimeout: number;
  /** Answer requesters on their own response channel. */
  publishOnSpecificResponseChannel: boolean;
  /** How broadcasts are heard. */
  subscriptionMode: ClassicSubscriptionMode;
  /** Connection state recovery: how often (ms) a connected socket's session is refreshed. */
  sessionRefreshInterval: number;
}

function collectRooms(answer: Record<string, unknown>, out: Set<Room>): void {
  if (!Array.isArray(answer.rooms)) return;
  for (const room of answer.rooms) if (typeof room === "string") out.add(room);
}

/**
 * One namespace's adapter in a classic Redis cluster.
 *
 * In "pattern" mode (the default, as the reference adapter) it subscribes `K#N#*` and so
 * receives every broadcast of the namespace, dropping those for rooms it does not have before
 * decoding them. In "per-room" mode it subscribes `K#N#` plus `K#N#room#` for each room that
 * has a socket on this server (socket ids included: `io.to(id)` is published there), so a
 * broadcast to one room only reaches the servers where that room lives; `await
 * socket.join(room)` then resolves once the room's subscription is active (or after
 * `requestsTimeout` when Redis is away).
 *
 * @example
 * io.adapter(createRedisAdapter(pub, sub, { subscriptionMode: "per-room" }));
 * const adapter = io.of("/").adapter as RedisAdapter;
 * await adapter.allRooms();
 */
export class RedisAdapter extends ClusterAdapter {
  /** The channel names of this namespace. */
  readonly channels: ClassicChannels;
  private readonly opts: ResolvedRedisAdapterOptions;
  private readonly perRoom: boolean;
  /** Connection state recovery in Redis, once enabled. */
  private redisRecovery: RedisRecovery | undefined = undefined;

  /**
   * @param nsp - the namespace.
   * @param link - the shared Redis clients.
   * @param opts - resolved options.
   */
  constructor(nsp: AdapterNamespace, link: RedisLink, opts: ResolvedRedisAdapterOptions) {
    super(nsp, link, opts.requestsTimeout);
    this.opts = opts;
    this.perRoom = opts.subscriptionMode === "per-room";
    this.channels = new ClassicChannels(opts.key, nsp.name, this.uid);
  }

  protected subscribeInitial(): Promise<boolean> {
    const ch = this.channels;
    const plain = [ch.request, ch.response, ch.ownResponse];
    if (this.perRoom) {
      plain.push(ch.broadcast);
      for (const room of this.rooms.keys()) plain.push(ch.room(room));
      return this.subs.add("channel", plain);
    }
    return Promise.all([this.subs.add("channel", plain), this.subs.add("pattern", [ch.pattern])]).then(
      ([a, b]) => a && b,
    );
  }

  /** The number of servers: subscribers of this namespace's request channel (`PUBSUB NUMSUB`). */
  override serverCount(): Promise<number> {
    return this.countServers("NUMSUB", this.channels.request);
  }

  /** In per-room mode, `K#N#room#` for every room with a socket here. */
  protected override roomChannel(room: Room): string | undefined {
    return this.perRoom ? this.channels.room(room) : undefined;
  }

  // ---- connection state recovery ----

  /**
   * Keeps sessions and the packet log in Redis (src/cluster/recovery-commands.ts), so a client
   * can resume on any server of the cluster, also after its server died.
   */
  override enableRecovery(opts: RecoveryOptions): void {
    const keys = new RecoveryKeys(this.opts.key, this.nsp.name);
    const commands = new RecoveryCommands(connectionScripts(this.link.pub), keys);
    const recovery = new RedisRecovery(this.recoveryHost(), commands, { ...opts, refreshInterval: this.opts.sessionRefreshInterval });
    this.redisRecovery = recovery;
    this.recovery = recovery;
  }

  private recoveryHost(): ConstructorParameters<typeof RedisRecovery>[0] {
    return {
      uid: this.uid,
      ownChannel: this.channels.ownResponse,
      requestsTimeout: this.requestsTimeout,
      publisherReady: () => !this.closed && this.link.pub.isReady(),
      deliverLocal: (packet, opts) => this.deliver(packet, opts),
      join: (sid, rooms) => this.addAll(sid, rooms),
      leaveAll: (sid) => this.delAll(sid),
      reportError: (err) => this.reportError(err),
      reportDropped: () => this.reportDropped("broadcasts are delivered on this server only, and not logged"),
      countPublished: () => {
        const metrics = this.nsp.metrics;
        if (metrics) metrics.clusterPublished++;
      },
    };
  }

  /** Joins locally (and subscribes); with recovery on, the rooms are written to the session at once. */
  override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void {
    const joined = super.addAll(id, rooms);
    this.redisRecovery?.onRooms(id, "+", rooms);
    return joined;
  }

  /** Leaves locally; with recovery on, the room is removed from the session at once. */
  override del(id: SocketId, room: Room): Promise<void> | void {
    const left = super.del(id, room);
    this.redisRecovery?.onRooms(id, "-", [room]);
    return left;
  }

  // ---- outgoing ----

  /** `K#N#room#` when exactly one room is targeted [REDIS:channels], else `K#N#`. */
  private broadcastChannel(opts: BroadcastOptions): string {
    let channel = this.channels.broadcast;
    if (opts.rooms.size === 1) for (const room of opts.rooms) channel = this.channels.room(room);
    return channel;
  }

  /**
   * Delivers to this server's sockets, then publishes `[uid, packet, opts]` for the others.
   * With recovery on, a broadcast that is neither volatile nor local is logged instead: the log
   * script publishes it with its offset, and this server delivers it when it comes back
   * ([REDIS:recovery-log]), so every server delivers logged packets in the log's order.
   */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const recovery = this.redisRecovery;
    if (recovery !== undefined && opts.flags?.volatile !== true && opts.flags?.local !== true) {
      packet.nsp = this.nsp.name;
      const wire = toWireOptions(opts, true);
      // [SIO5:recovery-offset] `logged` tells every server (this one too) to deliver it.
      wire.flags = { ...wire.flags, logged: true };
      // Per-room mode: on the namespace channel, which every server holds from init(). This
      // server delivers a logged packet only when it comes back, and a room it has just joined
      // (a socket's own room at connect) may not be subscribed yet.
      const channel = this.perRoom ? this.channels.broadcast : this.broadcastChannel(opts);
      recovery.log(packet, opts, channel, (logged) => encode([this.uid, logged, wire]));
      return;
    }
    super.broadcast(packet, opts);
    if (opts.flags?.local === true) return;
    let message: Buffer;
    try {
      message = encode([this.uid, packet, toWireOptions(opts, true)]);
    } catch (err) {
      this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_ENCODE", `broadcast not sent to other servers: ${asError(err).message}`, err));
      return;
    }
    this.publish(this.broadcastChannel(opts), message, false);
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (opts.flags?.local !== true) this.sendRequest({ type: RequestType.REMOTE_JOIN, opts: toWireOptions(opts, false), rooms });
    super.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (opts.flags?.local !== true) this.sendRequest({ type: RequestType.REMOTE_LEAVE, opts: toWireOptions(opts, false), rooms });
    super.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (opts.flags?.local !== true) this.sendRequest({ type: RequestType.REMOTE_DISCONNECT, opts: toWireOptions(opts, false), close });
    super.disconnectSockets(opts, close);
  }

  /** The rooms of every server. */
  async allRooms(): Promise<Set<Room>> {
    const local = new Set(this.rooms.keys());
    const expected = (await this.serverCount()) - 1;
    if (expected <= 0) return local;
    return this.request("allRooms", expected, this.requestsTimeout, local, collectRooms, (requestId) =>
      this.sendRequest({ requestId, type: RequestType.ALL_ROOMS }),
    );
  }

  protected sendFetch(requestId: string, opts: BroadcastOptions): void {
    this.sendRequest({ requestId, type: RequestType.REMOTE_FETCH, opts: toWireOptions(opts, false) });
  }

  protected sendSocketIds(requestId: string, rooms: Set<Room>): void {
    this.sendRequest({ requestId, type: RequestType.SOCKETS, rooms: [...rooms] });
  }

  protected sendBroadcastWithAck(requestId: string, packet: Packet, opts: BroadcastOptions): void {
    const message = { uid: this.uid, requestId, type: RequestType.BROADCAST, packet, opts: toWireOptions(opts, true) };
    this.publishEncoded(this.channels.request, () => encode(message));
  }

  protected sendServerSideEmit(data: unknown[], requestId: string | undefined): void {
    this.sendRequest({ requestId, type: RequestType.SERVER_SIDE_EMIT, data }, data);
  }

  /** Publishes a request (JSON, or msgpack when `binary` holds binary). */
  private sendRequest(fields: Record<string, unknown>, binary?: unknown): void {
    const message = { uid: this.uid, ...fields };
    this.publishEncoded(this.channels.request, () => encodeMessage(message, binary));
  }

  private publishEncoded(channel: string, build: () => string | Buffer): void {
    let payload: string | Buffer;
    try {
      payload = build();
    } catch (err) {
      this.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_ENCODE", `message not sent to other servers: ${asError(err).message}`, err));
      return;
    }
    this.publish(channel, payload, false);
  }

  private respond(request: Record<string, unknown>, build: () => string | Buffer): void {
    this.publishEncoded(this.channels.responseTo(request.uid, this.opts.publishOnSpecificResponseChannel), build);
  }

  // ---- incoming ----

  protected onRedisMessage(message: Buffer, channel: string): void {
    const ch = this.channels;
    if (channel === ch.ownResponse && this.redisRecovery?.onBarrier(message) === true) return;
    if (channel.startsWith(ch.broadcast)) this.onBroadcast(message, channel);
    else if (channel === ch.request) this.onRequest(message);
    else if (channel === ch.response || channel === ch.ownResponse) this.onResponse(message);
  }

  private onBroadcast(message: Buffer, channel: string): void {
    const room = this.channels.roomOf(channel);
    // A room with no socket here: nothing to deliver, so not even decoded (pattern mode's cost).
    if (room !== "" && !this.rooms.has(room)) return;
    let value: unknown;
    try {
      value = decode(message);
    } catch (err) {
      return this.bad("broadcast", err);
    }
    if (!Array.isArray(value) || value.length < 3) return this.bad("broadcast");
    const [uid, packet, wireOpts] = value as [unknown, unknown, unknown];
    // A logged broadcast is delivered by every server, its sender too (see broadcast()).
    const logged = isRecord(wireOpts) && isRecord(wireOpts.flags) && wireOpts.flags.logged === true;
    if (uid === this.uid && !logged) return;
    if (!isEventPacket(packet)) return this.bad("broadcast packet");
    const nsp = packet.nsp ?? "/";
    if (nsp !== this.nsp.name) return;
    const opts = fromWireOptions(wireOpts);
    if (opts === undefined) return this.bad("broadcast options");
    const offset = packet.data[packet.data.length - 1];
    if (logged && this.redisRecovery !== undefined && typeof offset === "string") {
      this.redisRecovery.onLogged(offset, { data: packet.data, rooms: opts.rooms, except: opts.except !== undefined && opts.except.size > 0 ? opts.except : undefined });
    }
    this.deliver({ type: packet.type, nsp, data: packet.data }, opts);
  }

  private onRequest(message: Buffer): void {
    let request: unknown;
    try {
      request = decodeMessage(message);
    } catch (err) {
      return this.bad("request", err);
    }
    if (!isRecord(request)) return this.bad("request");
    if (request.uid === this.uid) return;
    this.serve(request).catch((err: unknown) => this.bad("request", err));
  }

  private async serve(req: Record<string, unknown>): Promise<void> {
    const requestId = req.requestId;
    const hasId = typeof requestId === "string";
    switch (req.type) {
      case RequestType.SOCKETS: {
        const rooms = fromWireRooms(req.rooms);
        if (!hasId || rooms === undefined) return this.bad("SOCKETS request");
        const ids = await this.localSocketIds(new Set(rooms));
        return this.respond(req, () => JSON.stringify({ requestId, sockets: [...ids] }));
      }
      case RequestType.ALL_ROOMS:
        if (!hasId) return this.bad("ALL_ROOMS request");
        return this.respond(req, () => JSON.stringify({ requestId, rooms: [...this.rooms.keys()] }));
      case RequestType.REMOTE_JOIN:
      case RequestType.REMOTE_LEAVE: {
        const opts = fromWireOptions(req.opts);
        const rooms = fromWireRooms(req.rooms);
        if (opts === undefined || rooms === undefined) return this.bad("join/leave request");
        if (req.type === RequestType.REMOTE_JOIN) this.localAdd(opts, rooms);
        else this.localDel(opts, rooms);
        return;
      }
      case RequestType.REMOTE_DISCONNECT: {
        const opts = fromWireOptions(req.opts);
        if (opts === undefined) return this.bad("disconnect request");
        return this.localDisconnect(opts, req.close === true);
      }
      case RequestType.REMOTE_FETCH: {
        const opts = fromWireOptions(req.opts);
        if (!hasId || opts === undefined) return this.bad("REMOTE_FETCH request");
        const sockets = await this.localFetch(opts);
        return this.respond(req, () => encodeMessage({ requestId, sockets }, sockets));
      }
      case RequestType.SERVER_SIDE_EMIT: {
        const data = req.data;
        if (!Array.isArray(data) || typeof data[0] !== "string") return this.bad("SERVER_SIDE_EMIT request");
        const reply = hasId
          ? (response: unknown) => this.respond(req, () => encodeMessage({ type: RequestType.SERVER_SIDE_EMIT, requestId, data: response }, response))
          : undefined;
        return this.receiveServerSideEmit(data, reply);
      }
      case RequestType.BROADCAST: {
        const opts = fromWireOptions(req.opts);
        const packet = req.packet;
        if (!hasId || opts === undefined || !isEventPacket(packet)) return this.bad("BROADCAST request");
        const local: Packet = { type: packet.type, nsp: this.nsp.name, data: packet.data };
        return this.deliverWithAck(
          local,
          opts,
          (clientCount) => this.respond(req, () => JSON.stringify({ type: RequestType.BROADCAST_CLIENT_COUNT, requestId, clientCount })),
          (response) => this.respond(req, () => encode({ type: RequestType.BROADCAST_ACK, requestId, packet: response })),
        );
      }
      default:
        // A request type from a newer version: not ours to answer.
        return;
    }
  }

  private onResponse(message: Buffer): void {
    let response: unknown;
    try {
      response = decodeMessage(message);
    } catch (err) {
      return this.bad("response", err);
    }
    if (!isRecord(response) || typeof response.requestId !== "string") return;
    const id = response.requestId;
    if (this.acks.has(id)) {
      // A count from another node is data from the network: anything but a whole number ≥ 0
      // (NaN, negative) would hang the broadcast or end it early.
      if (response.type === RequestType.BROADCAST_CLIENT_COUNT && isClientCount(response.clientCount)) {
        this.acks.onClientCount(id, response.clientCount);
      } else if (response.type === RequestType.BROADCAST_ACK) {
        this.acks.onAck(id, response.packet);
      }
      return;
    }
    if (response.type === RequestType.SERVER_SIDE_EMIT) this.pending.answer(id, { response: response.data });
    else this.pending.answer(id, response);
  }
}
