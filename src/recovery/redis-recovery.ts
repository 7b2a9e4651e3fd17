/**
 * Connection state recovery on a Redis cluster, for one namespace: the packet log is a Redis
 * Stream and the sessions are Redis hashes (layout: src/cluster/recovery-commands.ts), so a
 * client can resume on any server — also after its server died, since nothing is saved at the
 * moment a server goes: rooms are written as they change, `data` when the socket connects, on
 * every refresh where it changed, and when it disconnects.
 */
import { EventEmitter } from "node:events";
import type { Packet } from "../protocol/packet.ts";
import type { BroadcastOptions, Room, SocketId } from "../rooms/types.ts";
import { randomId } from "../transport/random-id.ts";
import { asError, RedisAdapterError } from "../cluster/errors.ts";
import { encode } from "../cluster/msgpack.ts";
import { OFFSET_LENGTH, type RecoveryCommands, type WriteOutcome } from "../cluster/recovery-commands.ts";
import type { RecoveryOptions } from "./options.ts";
import { canonicalOffset, compareOffsets, isOffset, padOffset, parseSession } from "./redis-entries.ts";
import { LogReader, type ReadOutcome } from "./redis-read.ts";
import { Replay } from "./replay.ts";
import type { LoggedPacket, PendingRestore, RecoverableSocket, SessionRecovery } from "./types.ts";

/** What the Redis adapter offers its recovery. */
export interface RedisRecoveryHost {
  /** The adapter's id (a session's `=n`). */
  readonly uid: string;
  /** A channel only this server subscribes: read barriers come back on it. */
  readonly ownChannel: string;
  /** How long to wait for Redis during a restore, ms. */
  readonly requestsTimeout: number;
  /** Whether the publisher can take commands now. */
  publisherReady(): boolean;
  /** Delivers a packet to this server's sockets, without logging it. */
  deliverLocal(packet: Packet, opts: BroadcastOptions): void;
  /** Joins `rooms` locally for socket `sid`; resolves once they are subscribed (bounded). */
  join(sid: SocketId, rooms: Set<Room>): Promise<void> | void;
  /** Leaves every room locally. */
  leaveAll(sid: SocketId): void;
  /** Reports an error through the adapter's `error` event. */
  reportError(err: RedisAdapterError): void;
  /** Reports, once per outage, that packets are delivered locally only. */
  reportDropped(): void;
  /** Counts one message published to Redis (the metrics' cluster counter). */
  countPublished(): void;
}

/** Recovery settings of a Redis adapter. */
export interface RedisRecoverySettings extends RecoveryOptions {
  /** How often (ms) a connected socket's session is refreshed and its changed `data` saved. */
  readonly refreshInterval: number;
}

/** A connected socket's session. */
interface LiveSession {
  readonly socket: RecoverableSocket;
  readonly pid: string;
  /** This connection's token: only the owner writes the session. */
  readonly owner: string;
  /** `data` as last saved, encoded. */
  saved: Buffer | undefined;
  /** A write failed or was skipped: the next refresh rewrites everything. */
  dirty: boolean;
}

/** Private ids are roomcast's random ids; anything else cannot be a session of ours. */
const PID = /^[A-Za-z0-9_-]{20}$/;

class RedisReplay extends Replay<string> {
  /** The token this restore took the session over with. */
  owner = "";
}

/**
 * The Redis {@link SessionRecovery}: one per namespace adapter.
 *
 * Events: `refreshed` once the writes of a refresh round (every connected socket's session)
 * have completed.
 *
 * @example
 * // Installed by RedisAdapter.enableRecovery; nothing to call by hand.
 */
export class RedisRecovery extends EventEmitter implements SessionRecovery {
  readonly skipMiddlewares: boolean;
  private readonly host: RedisRecoveryHost;
  private readonly commands: RecoveryCommands;
  private readonly opts: RedisRecoverySettings;
  private readonly live = new Map<SocketId, LiveSession>();
  private readonly pids = new Map<string, LiveSession>();
  private readonly restores = new Set<RedisReplay>();
  private readonly reader: LogReader;
  /** Stands for the offset in a logged message until the log script writes the real one. */
  private readonly placeholder = (randomId() + randomId()).slice(0, OFFSET_LENGTH);
  private readonly placeholderBytes = Buffer.from(this.placeholder);
  /** The last logged packet this server received (a new session starts after it). */
  private lastSeen: string | undefined = undefined;
  /** Packets went out unlogged (Redis unreachable): the next log entry marks the loss. */
  private gap = false;
  private timer: NodeJS.Timeout | undefined = undefined;
  private closed = false;

  /**
   * @param host - the adapter.
   * @param commands - the namespace's Redis commands.
   * @param opts - the recovery option and the refresh interval.
   */
  constructor(host: RedisRecoveryHost, commands: RecoveryCommands, opts: RedisRecoverySettings) {
    super();
    this.host = host;
    this.commands = commands;
    this.opts = opts;
    this.skipMiddlewares = opts.skipMiddlewares;
    this.reader = new LogReader(commands, { ownChannel: host.ownChannel, requestsTimeout: host.requestsTimeout, maxPackets: opts.maxPackets });
  }

  private get liveTtl(): number {
    return this.opts.maxDisconnectionDuration + 2 * this.opts.refreshInterval;
  }

  private get logTtl(): number {
    return this.opts.retention + 2 * this.opts.refreshInterval;
  }

  // ---- the log ----

  /**
   * Logs and publishes a broadcast: every server (this one too) delivers it when it comes
   * back from Redis, with its offset. While Redis is unreachable it is delivered here only,
   * unlogged, and the loss is marked in the log when Redis is back.
   *
   * @param build - encodes the broadcast message for `packet` (`[uid, packet, opts]`).
   */
  log(packet: Packet, opts: BroadcastOptions, channel: string, build: (packet: Packet) => Buffer): void {
    if (this.closed || !this.host.publisherReady()) {
      this.host.reportDropped();
      return this.unlogged(packet, opts);
    }
    const data = (packet.data as unknown[]).slice();
    data.push(this.placeholder);
    let message: Buffer;
    try {
      message = build({ type: packet.type, nsp: packet.nsp, data });
    } catch (err) {
      this.host.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_ENCODE", `broadcast not logged nor sent to other servers: ${asError(err).message}`, err));
      return this.unlogged(packet, opts);
    }
    const at = message.indexOf(this.placeholderBytes);
    if (at < 0) return this.unlogged(packet, opts);
    const gap = this.gap;
    this.gap = false;
    const { maxPackets, retention } = this.opts;
    this.host.countPublished();
    this.commands.log(message, at, channel, gap, maxPackets, retention, this.logTtl).catch((err: unknown) => {
      this.host.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_COMMAND", `broadcast not logged: ${asError(err).message}`, err));
      this.unlogged(packet, opts);
    });
  }

  private unlogged(packet: Packet, opts: BroadcastOptions): void {
    this.gap = true;
    this.host.deliverLocal(packet, opts);
  }

  /** A logged packet reached this server (from any server): `offset` is its last data element. */
  onLogged(offset: string, packet: LoggedPacket): void {
    this.lastSeen = offset;
    if (this.restores.size > 0) for (const replay of this.restores) replay.observe(offset, packet);
  }

  /** A message on the server's own channel: true when it was a read barrier (consumed). */
  onBarrier(message: Buffer): boolean {
    return this.reader.onBarrier(message);
  }

  // ---- sessions ----

  newPid(): string {
    return randomId();
  }

  async restore(pid: string, offset: string | undefined, wanted: () => boolean = () => true): Promise<PendingRestore | undefined> {
    if (!PID.test(pid) || (offset !== undefined && !isOffset(offset))) return undefined;
    if (this.closed || !this.host.publisherReady()) return undefined;
    // The client is back on a new connection while this server still holds the old one: the
    // old socket's final save is queued before the takeover below.
    this.pids.get(pid)?.socket.supersede();
    const owner = randomId();
    const fields = await this.commands.restore(pid, owner, this.host.uid, this.liveTtl);
    if (fields === undefined) return undefined;
    const session = parseSession(pid, fields);
    if (session.sid === "") {
      void this.write(() => this.commands.save(pid, owner, 0, this.logTtl, {}));
      return undefined;
    }
    const since = padOffset(fields.get("=s")?.toString("latin1") ?? "0-0");
    // An offset from before this session began is a previous session's.
    const from = offset === undefined || compareOffsets(offset, since) < 0 ? since : offset;
    const replay = new RedisReplay(session, compareOffsets, (done, resumed) => {
      this.restores.delete(done as RedisReplay);
      if (resumed) return;
      // Not resumed after all (refused, connection gone): the rooms joined for it here are left
      // (unless a socket with its id is connected again), the session waits for another try.
      if (!this.live.has(session.sid)) this.host.leaveAll(session.sid);
      void this.write(() => this.commands.save(pid, owner, this.opts.maxDisconnectionDuration, this.logTtl, {}));
    });
    replay.owner = owner;
    let outcome: ReadOutcome = "failed";
    try {
      // Rooms joined before the read, so every later packet for them reaches this server.
      await this.host.join(session.sid, new Set(session.rooms));
      this.restores.add(replay);
      outcome = await this.reader.read(replay, from, offset, wanted);
    } catch (err) {
      this.host.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_COMMAND", `session not restored: ${asError(err).message}`, err));
    }
    if (outcome === "ok") return replay;
    this.restores.delete(replay);
    this.host.leaveAll(session.sid);
    // Missed packets gone: the session can never be resumed. Redis failing, or an offset the
    // log never gave (a forged one must not end another's session): it may be, later.
    const ttl = outcome === "lost" ? 0 : this.opts.maxDisconnectionDuration;
    void this.write(() => this.commands.save(pid, owner, ttl, this.logTtl, {}));
    return undefined;
  }

  attach(socket: RecoverableSocket, restored: PendingRestore | undefined): void {
    const pid = socket.pid;
    if (pid === undefined || this.closed) return;
    const owner = restored instanceof RedisReplay ? restored.owner : randomId();
    const live: LiveSession = { socket, pid, owner, saved: undefined, dirty: false };
    this.live.set(socket.id, live);
    this.pids.set(pid, live);
    if (this.timer === undefined) this.schedule();
    if (restored instanceof RedisReplay) {
      // The session keeps its start (`=s`): the client's offset, not the replay just sent (it
      // may never arrive), says what it has, and is trusted down to the session's first packet.
      void this.persist(live, () => this.commands.save(pid, owner, this.liveTtl, this.logTtl, {}));
      return;
    }
    void this.create(live);
  }

  detach(socket: RecoverableSocket, recoverable: boolean): void {
    const live = this.live.get(socket.id);
    if (live === undefined || live.socket !== socket) return;
    this.live.delete(socket.id);
    this.pids.delete(live.pid);
    const { pid, owner } = live;
    if (!recoverable) {
      void this.write(() => this.commands.save(pid, owner, 0, this.logTtl, {}));
      return;
    }
    const save = { data: this.encodeData(socket), rooms: live.dirty ? socket.rooms : undefined };
    void this.write(() => this.commands.save(pid, owner, this.opts.maxDisconnectionDuration, this.logTtl, save));
  }

  /** Socket `sid` joined (`op` "+") or left ("-") rooms: written at once. */
  onRooms(sid: SocketId, op: "+" | "-", rooms: Iterable<Room>): void {
    const live = this.live.get(sid);
    if (live === undefined) return;
    void this.persist(live, () => this.commands.rooms(live.pid, live.owner, this.liveTtl, op, rooms));
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const replay of [...this.restores]) replay.cancel();
    this.reader.close();
    this.live.clear();
    this.pids.clear();
  }

  // ---- writes ----

  private create(live: LiveSession): Promise<void> {
    const data = this.encodeData(live.socket);
    live.saved = data;
    const { pid, owner, socket } = live;
    return this.persist(live, async () => {
      await this.commands.create(pid, owner, this.host.uid, socket.id, data, this.liveTtl, this.lastSeen === undefined ? "" : canonicalOffset(this.lastSeen), socket.rooms);
      return "ok";
    });
  }

  /** A write for a connected socket: on failure the session is marked for a full rewrite. */
  private persist(live: LiveSession, send: () => Promise<WriteOutcome>): Promise<void> {
    return this.write(send).then((outcome) => {
      if (outcome === "ok") return;
      if (outcome === "taken") return live.socket.supersede();
      live.dirty = true;
      if (outcome === "gone" && this.live.get(live.socket.id) === live) void this.create(live);
    });
  }

  /** Sends a write unless Redis is unreachable; resolves with its outcome ("failed": not written). */
  private async write(send: () => Promise<WriteOutcome>): Promise<WriteOutcome | "failed"> {
    if (!this.host.publisherReady()) return "failed";
    try {
      return await send();
    } catch (err) {
      this.host.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_COMMAND", `session not saved: ${asError(err).message}`, err));
      return "failed";
    }
  }

  private schedule(): void {
    this.timer = setInterval(() => this.refresh(), this.opts.refreshInterval);
    this.timer.unref();
  }

  /** Refreshes every connected socket's session; saves `data` where it changed. */
  private refresh(): void {
    if (this.live.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const writes: Array<Promise<void>> = [];
    for (const live of this.live.values()) {
      const data = this.encodeData(live.socket);
      const changed = live.saved === undefined || !data.equals(live.saved);
      const rooms = live.dirty ? live.socket.rooms : undefined;
      live.dirty = false;
      const save = { data: changed ? data : undefined, rooms };
      writes.push(
        this.persist(live, async () => {
          const outcome = await this.commands.save(live.pid, live.owner, this.liveTtl, this.logTtl, save);
          if (outcome === "ok") live.saved = data;
          return outcome;
        }),
      );
    }
    void Promise.all(writes).then(() => this.emit("refreshed"));
  }

  // ---- encoding ----

  private encodeData(socket: RecoverableSocket): Buffer {
    try {
      return encode(socket.data);
    } catch (err) {
      this.host.reportError(new RedisAdapterError("ROOMCAST_ERR_REDIS_ENCODE", `socket.data not saved: ${asError(err).message}`, err));
      return encode(null);
    }
  }
}
