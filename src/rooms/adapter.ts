/**
 * The in-memory adapter: room membership for one namespace and fan-out of broadcasts.
 */
import { EventEmitter } from "node:events";
import type { Packet } from "../protocol/packet.ts";
import { Encoder, type EncodedParts, type ParserEncoder } from "../protocol/parser.ts";
import { MemoryRecovery, type BroadcastLog } from "../recovery/memory-recovery.ts";
import type { RecoveryOptions } from "../recovery/options.ts";
import type { SessionRecovery } from "../recovery/types.ts";
import { RoomIndex } from "./room-index.ts";
import { collectTargets, forEachTarget } from "./targets.ts";
import type {
  AckCallback,
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  BroadcastOptions,
  Handshake,
  Room,
  SocketId,
  WriteOptions,
} from "./types.ts";

/**
 * What `fetchSockets` yields per socket: a local {@link AdapterSocket} satisfies it, and a
 * cluster adapter can build one from a peer's reply.
 */
export interface SocketDetails {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: ReadonlySet<Room>;
  readonly data: unknown;
}

/** The acknowledgement callback of a server-side emit: errors first, then every server's answers. */
export type ServerSideAck = (err: Error | null, responses: unknown[]) => void;

/**
 * Per-broadcast state handed to the per-recipient visitor. A class so every broadcast has
 * the same object shape; the packet is encoded at the first recipient, never before.
 */
class Fanout {
  readonly packet: Packet;
  readonly encoder: ParserEncoder;
  encoded: EncodedParts | undefined = undefined;
  readonly writeOpts: WriteOptions;
  readonly ackId: number;
  readonly ack: AckCallback | undefined;

  constructor(packet: Packet, encoder: ParserEncoder, writeOpts: WriteOptions, ackId: number, ack: AckCallback | undefined) {
    this.packet = packet;
    this.encoder = encoder;
    this.writeOpts = writeOpts;
    this.ackId = ackId;
    this.ack = ack;
  }
}

/** Used when the namespace has no server to take an encoder from (a bare AdapterNamespace). */
const DEFAULT_ENCODER: ParserEncoder = new Encoder();

function writePacket(socket: AdapterSocket, fanout: Fanout): void {
  let encoded = fanout.encoded;
  if (encoded === undefined) encoded = fanout.encoded = fanout.encoder.encode(fanout.packet);
  socket.client.writeToEngine(encoded, fanout.writeOpts);
}

function writePacketWithAck(socket: AdapterSocket, fanout: Fanout): void {
  let encoded = fanout.encoded;
  // Encoded before any ack is registered: a packet that cannot be encoded leaves no callback behind.
  if (encoded === undefined) encoded = fanout.encoded = fanout.encoder.encode(fanout.packet);
  // Registered before the write, so even a synchronous answer finds its callback.
  if (fanout.ack !== undefined) socket.registerAck(fanout.ackId, fanout.ack);
  socket.client.writeToEngine(encoded, fanout.writeOpts);
}

/** {@link writePacket} for a broadcast someone observes: outgoing listeners first, as socket.io. */
function writePacketObserved(socket: AdapterSocket, fanout: Fanout): void {
  let encoded = fanout.encoded;
  if (encoded === undefined) encoded = fanout.encoded = fanout.encoder.encode(fanout.packet);
  socket.notifyOutgoingListeners?.(fanout.packet);
  socket.client.writeToEngine(encoded, fanout.writeOpts);
}

/** {@link writePacketWithAck} for a broadcast someone observes. */
function writePacketWithAckObserved(socket: AdapterSocket, fanout: Fanout): void {
  let encoded = fanout.encoded;
  if (encoded === undefined) encoded = fanout.encoded = fanout.encoder.encode(fanout.packet);
  if (fanout.ack !== undefined) socket.registerAck(fanout.ackId, fanout.ack);
  socket.notifyOutgoingListeners?.(fanout.packet);
  socket.client.writeToEngine(encoded, fanout.writeOpts);
}

function addId(socket: AdapterSocket, ids: Set<SocketId>): void {
  ids.add(socket.id);
}


function isServerSideAck(value: unknown): value is ServerSideAck {
  return typeof value === "function";
}

/**
 * The in-memory adapter of one namespace: keeps the room index and delivers broadcasts to
 * the sockets of this process. Subclass it for multi-node setups and override `broadcast`,
 * `broadcastWithAck`, `serverCount`, `fetchSockets`, `addSockets`, `delSockets`,
 * `disconnectSockets` and `serverSideEmit`.
 *
 * Emits `create-room` (room), `join-room` (room, id), `leave-room` (room, id) and
 * `delete-room` (room).
 *
 * @example
 * const adapter = new Adapter(nsp);
 * adapter.on("create-room", (room) => console.log("room created", room));
 * adapter.addAll(socket.id, new Set([socket.id, "lobby"]));
 * adapter.rooms.get("lobby")?.size; // 1
 */
export class Adapter extends EventEmitter {
  /** The namespace this adapter serves. */
  readonly nsp: AdapterNamespace;
  /** room → ids of its sockets (shared with the index; read it, change it through addAll/del). */
  readonly rooms: Map<Room, Set<SocketId>>;
  /** socket id → its rooms (shared with the index; read it, change it through addAll/del). */
  readonly sids: Map<SocketId, Set<Room>>;
  /** The server's encoder (`io.encoder`), as socket.io adapters hold it: one per server. */
  readonly encoder: ParserEncoder;
  protected readonly index: RoomIndex;
  /** Connection state recovery of this namespace, once {@link enableRecovery} was called. */
  recovery: SessionRecovery | undefined = undefined;
  /** The in-memory packet log the broadcast path feeds (undefined: recovery off, or kept elsewhere). */
  protected packetLog: BroadcastLog | undefined = undefined;

  /** @param nsp - the namespace whose sockets this adapter delivers to. */
  constructor(nsp: AdapterNamespace) {
    super();
    this.nsp = nsp;
    this.encoder = nsp.server?.encoder ?? DEFAULT_ENCODER;
    this.index = new RoomIndex({
      onCreate: (room) => this.emit("create-room", room),
      onJoin: (room, id) => this.emit("join-room", room, id),
      onLeave: (room, id) => this.emit("leave-room", room, id),
      onDelete: (room) => this.emit("delete-room", room),
    });
    this.rooms = this.index.rooms;
    this.sids = this.index.sids;
  }

  /** Prepares the adapter (a cluster adapter connects here). Nothing to do in memory. */
  init(): Promise<void> | void {}

  /** Releases the adapter's resources (in memory: the recovery log and sessions, if any). */
  close(): Promise<void> | void {
    this.recovery?.close();
  }

  /**
   * Turns connection state recovery on for this namespace (the server calls it when the
   * `connectionStateRecovery` option is set). In memory: sessions and a packet log in this
   * process. Cluster adapters override it to keep them where every server can read them.
   */
  enableRecovery(opts: RecoveryOptions): void {
    const recovery = new MemoryRecovery(opts);
    this.recovery = recovery;
    this.packetLog = recovery;
  }

  /** The number of servers in the cluster: always 1 in memory. */
  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  /** Puts socket `id` in each of `rooms`. */
  addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void {
    for (const room of rooms) this.index.add(id, room);
  }

  /** Takes socket `id` out of `room`. */
  del(id: SocketId, room: Room): Promise<void> | void {
    this.index.remove(id, room);
  }

  /** Takes socket `id` out of every room (on disconnect). */
  delAll(id: SocketId): void {
    this.index.removeAll(id);
  }

  /**
   * Sends `packet` to every recipient of `opts`, encoding it once, at the first recipient.
   *
   * @param packet - its `nsp` is overwritten with this namespace's name.
   * @param opts - rooms, except rooms, and flags (`volatile` and `compress` reach the write).
   *   With connection state recovery on, a broadcast that is not volatile is logged and its
   *   data gets its offset as last element (socket.io's format, which the client reads back),
   *   before the encoding: once per broadcast, whatever the parser, and the outgoing
   *   listeners see it as socket.io's do.
   */
  broadcast(packet: Packet, opts: BroadcastOptions): void {
    packet.nsp = this.nsp.name;
    const flags = opts.flags;
    // [SIO5:recovery-offset] One log entry per broadcast; volatile packets are not kept.
    const log = this.packetLog;
    if (log !== undefined && flags?.volatile !== true) packet.data = log.record(packet.data as unknown[], opts);
    // Asked once per broadcast: with nobody observing, recipients are not even asked.
    const observed = this.nsp.observesOutgoing?.() === true;
    const writeOpts: WriteOptions = { volatile: flags?.volatile, compress: flags?.compress, observed };
    const fanout = new Fanout(packet, this.encoder, writeOpts, -1, undefined);
    const count = forEachTarget(this.rooms, this.nsp.sockets, opts, observed ? writePacketObserved : writePacket, fanout, this.index.memberCache);
    // Once per broadcast, after resolution: nothing is counted inside the per-recipient loop.
    const metrics = this.nsp.metrics;
    if (metrics) metrics.eventsSent += count;
  }

  /**
   * Sends `packet` asking every recipient for an acknowledgement.
   *
   * @param clientCountCallback - called once, after the writes, with the number of recipients.
   * @param ack - registered on each recipient under one fresh ack id; runs with each answer.
   */
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (count: number) => void,
    ack: AckCallback,
  ): void {
    packet.nsp = this.nsp.name;
    const id = this.nsp.nextAckId();
    packet.id = id;
    const flags = opts.flags;
    const observed = this.nsp.observesOutgoing?.() === true;
    const writeOpts: WriteOptions = { volatile: flags?.volatile, compress: flags?.compress, observed };
    const count = forEachTarget(
      this.rooms,
      this.nsp.sockets,
      opts,
      observed ? writePacketWithAckObserved : writePacketWithAck,
      new Fanout(packet, this.encoder, writeOpts, id, ack),
      this.index.memberCache,
    );
    const metrics = this.nsp.metrics;
    if (metrics) metrics.eventsSent += count;
    clientCountCallback(count);
  }

  /**
   * How long a broadcast with acks waits for its answers: its `timeout` flag, or indefinitely
   * (undefined) in memory, where every answer can still arrive. Cluster adapters bound it.
   */
  ackTimeout(flags: BroadcastFlags | undefined): number | undefined {
    return flags?.timeout;
  }

  /** The ids of the sockets in any of `rooms`, or of every socket when `rooms` is empty. */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    forEachTarget(this.rooms, this.nsp.sockets, { rooms }, addId, ids, this.index.memberCache);
    return Promise.resolve(ids);
  }

  /** The rooms socket `id` is in, or undefined if it is in none. */
  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.sids.get(id);
  }

  /** The recipients of `opts` (in memory: the local socket objects themselves). */
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    return Promise.resolve(collectTargets(this.rooms, this.nsp.sockets, opts, this.index.memberCache));
  }

  /** Makes every recipient of `opts` join `rooms`. */
  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const socket of collectTargets(this.rooms, this.nsp.sockets, opts, this.index.memberCache)) void socket.join(rooms);
  }

  /** Makes every recipient of `opts` leave `rooms`. */
  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const socket of collectTargets(this.rooms, this.nsp.sockets, opts, this.index.memberCache)) {
      for (const room of rooms) void socket.leave(room);
    }
  }

  /** Disconnects every recipient of `opts`; `close` also closes their connections. */
  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const socket of collectTargets(this.rooms, this.nsp.sockets, opts, this.index.memberCache)) socket.disconnect(close);
  }

  /**
   * Sends an event to the other servers of the cluster. In memory there are none: if the
   * last element is an acknowledgement callback it receives `(null, [])` on the next tick.
   *
   * @param packet - `[eventName, ...args]`, optionally ending with a {@link ServerSideAck}.
   */
  serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (isServerSideAck(last)) process.nextTick(last, null, []);
  }
}
