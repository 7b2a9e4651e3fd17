/**
 * Connection state recovery in memory, for one namespace: the packet log, the disconnected
 * sessions, and the live sessions (so a client that comes back before the server noticed it
 * left can still resume).
 */
import { EventEmitter } from "node:events";
import type { BroadcastOptions } from "../rooms/types.ts";
import { randomId } from "../transport/random-id.ts";
import type { RecoveryOptions } from "./options.ts";
import { PacketLog } from "./packet-log.ts";
import { Replay } from "./replay.ts";
import { SessionStore } from "./session-store.ts";
import type { PendingRestore, RecoverableSocket, SessionRecovery } from "./types.ts";

/** What the adapter's broadcast path calls: one entry per broadcast, never per recipient. */
export interface BroadcastLog {
  /** Logs a broadcast; returns its data with the offset appended (a new array). */
  record(data: readonly unknown[], opts: BroadcastOptions): unknown[];
}

/**
 * Offsets are `<epoch>.<seq>`: the epoch, random per process, tells an offset of this log
 * from one a client kept from a previous server process (which must not be read as a position
 * here), and the sequence number is the position.
 */
const OFFSET = /^(.{8})\.(\d{1,15})$/;

/** The sweep never runs more often than this (a busy log ages out on every append anyway). */
const MIN_SWEEP_MS = 250;

interface LiveSession {
  readonly socket: RecoverableSocket;
  /** The log's last sequence number when the socket (re)connected. */
  readonly since: number;
}

function bySeq(a: number, b: number): number {
  return a - b;
}

/** A restore in memory: a {@link Replay} that remembers where its session started. */
class MemoryReplay extends Replay<number> {
  /** The session's `since` (kept when it resumes). */
  since = 0;
}

/**
 * The in-memory {@link SessionRecovery}.
 *
 * Events: `expire` (pid) when a disconnected session expires unresumed, or is evicted because
 * `maxSessions` are held; `sweep` after each pass of the timer that drops expired sessions and
 * aged packets (so a test can watch the stores shrink).
 *
 * @example
 * const recovery = new MemoryRecovery(options);
 * const data = recovery.record(["chat", "hi"], { rooms: new Set(["lobby"]) }); // ["chat", "hi", "<offset>"]
 */
export class MemoryRecovery extends EventEmitter implements SessionRecovery, BroadcastLog {
  readonly skipMiddlewares: boolean;
  private readonly opts: RecoveryOptions;
  private readonly log: PacketLog;
  private readonly sessions: SessionStore;
  private readonly live = new Map<string, LiveSession>();
  private readonly restores = new Set<MemoryReplay>();
  private readonly epoch = randomId().slice(0, 8);
  private readonly prefix = `${this.epoch}.`;
  private timer: NodeJS.Timeout | undefined = undefined;
  private closed = false;

  /** @param opts - the resolved `connectionStateRecovery` option. */
  constructor(opts: RecoveryOptions) {
    super();
    this.opts = opts;
    this.skipMiddlewares = opts.skipMiddlewares;
    this.log = new PacketLog(opts.maxPackets, opts.retention);
    this.sessions = new SessionStore(opts.maxSessions);
  }

  /** The number of packets in the log. */
  get packetCount(): number {
    return this.log.size;
  }

  /** The number of disconnected sessions kept. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  record(data: readonly unknown[], opts: BroadcastOptions): unknown[] {
    const logged = data.slice();
    logged.push(this.prefix + String(this.log.lastSeq + 1));
    const except = opts.except !== undefined && opts.except.size > 0 ? opts.except : undefined;
    const entry = this.log.append(logged, opts.rooms, except, Date.now());
    if (this.restores.size > 0) for (const replay of this.restores) replay.observe(entry.seq, entry);
    if (this.timer === undefined) this.schedule();
    return logged;
  }

  newPid(): string {
    return randomId();
  }

  restore(pid: string, offset: string | undefined): PendingRestore | undefined {
    if (this.closed) return undefined;
    // The client is back on a new connection while the server still holds the old one.
    this.live.get(pid)?.socket.supersede();
    const now = Date.now();
    const stored = this.sessions.claim(pid, now);
    if (stored === undefined) return undefined;
    let from = stored.since;
    if (offset !== undefined) {
      const seq = this.parseOffset(offset);
      if (seq === undefined) {
        this.sessions.release(pid);
        return undefined;
      }
      // An offset from before this session began is a previous session's (socket.io-client
      // keeps its last offset across a failed recovery): this session starts at `since`.
      from = Math.max(seq, stored.since);
    }
    this.log.expire(now);
    const entries = this.log.after(from);
    if (entries === undefined) {
      // An offset not logged yet is bad input (the session stays); otherwise some packet after
      // it left the log, and what the client missed is unknown for good.
      if (from > this.log.lastSeq) this.sessions.release(pid);
      else this.sessions.remove(pid);
      return undefined;
    }
    const replay = new MemoryReplay(stored.state, bySeq, (done, resumed) => {
      this.restores.delete(done as MemoryReplay);
      if (resumed) this.sessions.remove(pid);
      else this.sessions.release(pid);
    });
    replay.since = stored.since;
    replay.read(entries, this.log.lastSeq);
    this.restores.add(replay);
    return replay;
  }

  attach(socket: RecoverableSocket, restored: PendingRestore | undefined): void {
    if (socket.pid === undefined) return;
    // A resumed session keeps its start: the client's offset, not the replay just sent (it may
    // never arrive), says what it has, and is trusted down to the session's first packet.
    const since = restored instanceof MemoryReplay ? restored.since : this.log.lastSeq;
    this.live.set(socket.pid, { socket, since });
  }

  detach(socket: RecoverableSocket, recoverable: boolean): void {
    const pid = socket.pid;
    if (pid === undefined) return;
    const live = this.live.get(pid);
    if (live?.socket === socket) this.live.delete(pid);
    if (!recoverable || this.closed || live === undefined) return;
    const state = { sid: socket.id, pid, rooms: [...socket.rooms], data: socket.data };
    const evicted = this.sessions.put(state, live.since, Date.now() + this.opts.maxDisconnectionDuration);
    if (evicted !== undefined) this.emit("expire", evicted);
    if (this.timer === undefined) this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const replay of [...this.restores]) replay.cancel();
    this.sessions.clear();
    this.live.clear();
    this.log.clear();
  }

  /** The sequence number of an offset of this log, or undefined. */
  private parseOffset(offset: string): number | undefined {
    const match = OFFSET.exec(offset);
    if (match === null || match[1] !== this.epoch) return undefined;
    return Number(match[2]);
  }

  /** Arms the sweep for the next expiry (a session or the oldest packet), if any. */
  private schedule(): void {
    if (this.closed) return;
    const a = this.sessions.nextExpiry;
    const b = this.log.nextExpiry;
    const next = a === undefined ? b : b === undefined ? a : Math.min(a, b);
    if (next === undefined) return;
    const delay = Math.max(next - Date.now(), MIN_SWEEP_MS);
    this.timer = setTimeout(MemoryRecovery.sweep, delay, this);
    // A sweep only frees memory: it must not keep the process alive.
    this.timer.unref();
  }

  private static sweep(self: MemoryRecovery): void {
    self.timer = undefined;
    const now = Date.now();
    self.log.expire(now);
    self.sessions.expire(now, (pid) => self.emit("expire", pid));
    self.schedule();
    self.emit("sweep");
  }
}
