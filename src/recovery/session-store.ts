/**
 * The disconnected sessions of one namespace, in memory, until they expire.
 */
import type { SessionState } from "./types.ts";

/** A session kept after its socket disconnected. */
export interface StoredSession {
  readonly state: SessionState;
  /** Sequence number of the last packet logged when the socket (re)connected. */
  readonly since: number;
  /** When it can no longer be resumed (ms since the epoch). */
  readonly expiresAt: number;
  /** True while a restore holds it (a second client presenting the same pid is refused). */
  claimed: boolean;
}

/**
 * Sessions by private id, at most `maxSessions`. Every session lives the same duration after
 * its disconnect, so the Map's insertion order is expiry order: expiring is popping from the
 * front, no scan, a session stored again (a second disconnect) is moved to the back, and when
 * the store is full the oldest one (the next to expire) makes room.
 */
export class SessionStore {
  private readonly sessions = new Map<string, StoredSession>();

  /** @param maxSessions - the most sessions held. */
  constructor(private readonly maxSessions: number) {}

  /** The number of sessions held. */
  get size(): number {
    return this.sessions.size;
  }

  /** When the oldest session expires, or undefined when there is none. */
  get nextExpiry(): number | undefined {
    for (const session of this.sessions.values()) return session.expiresAt;
    return undefined;
  }

  /**
   * Keeps a disconnected session until `expiresAt`.
   *
   * @returns the private id of the session evicted to make room, if any.
   */
  put(state: SessionState, since: number, expiresAt: number): string | undefined {
    this.sessions.delete(state.pid);
    let evicted: string | undefined;
    if (this.sessions.size >= this.maxSessions) {
      for (const pid of this.sessions.keys()) {
        evicted = pid;
        break;
      }
      if (evicted !== undefined) this.sessions.delete(evicted);
    }
    this.sessions.set(state.pid, { state, since, expiresAt, claimed: false });
    return evicted;
  }

  /** Reserves the session `pid` for a restore; undefined if unknown, expired or already reserved. */
  claim(pid: string, now: number): StoredSession | undefined {
    const session = this.sessions.get(pid);
    if (session === undefined || session.claimed) return undefined;
    if (session.expiresAt <= now) {
      this.sessions.delete(pid);
      return undefined;
    }
    session.claimed = true;
    return session;
  }

  /** Gives a reserved session back (the restore was abandoned). */
  release(pid: string): void {
    const session = this.sessions.get(pid);
    if (session !== undefined) session.claimed = false;
  }

  /** Forgets the session `pid` (it was resumed, or can no longer be). */
  remove(pid: string): void {
    this.sessions.delete(pid);
  }

  /** Forgets the sessions expired at `now`; calls `onExpire` with each one's private id. */
  expire(now: number, onExpire: (pid: string) => void): void {
    for (const [pid, session] of this.sessions) {
      if (session.expiresAt > now) return;
      this.sessions.delete(pid);
      onExpire(pid);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.sessions.clear();
  }
}
