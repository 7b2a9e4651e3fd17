/**
 * The contract between the namespaces layer (which accepts and disconnects sockets) and a
 * recovery implementation (in memory, or in Redis), plus what both implementations share: the
 * shape of a logged packet and the rule deciding whether a resumed socket gets it.
 */
import type { Room, SocketId } from "../rooms/types.ts";

/**
 * Disconnect reasons after which a session is kept for recovery (socket.io's list): the client
 * did not ask to leave. A namespace disconnect (either side) or a parse error ends the session.
 */
export const RECOVERABLE_REASONS: ReadonlySet<string> = new Set([
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "server shutting down",
  "forced server close",
]);

/** What a session keeps of its socket. */
export interface SessionState {
  /** The socket id, given back to the resumed socket. */
  readonly sid: SocketId;
  /** The private session id the client presents to resume. */
  readonly pid: string;
  /** The rooms at disconnect time, the socket's own id included. */
  readonly rooms: readonly Room[];
  /** `socket.data` as last saved. */
  readonly data: unknown;
}

/** One logged packet, as a replay filters it: its data (offset last), rooms and except rooms. */
export interface LoggedPacket {
  /** `[event, ...args, offset]`, exactly as it was delivered. */
  readonly data: unknown[];
  /** Target rooms; empty = every socket of the namespace. */
  readonly rooms: ReadonlySet<Room>;
  /** Rooms whose sockets were excluded, if any. */
  readonly except: ReadonlySet<Room> | undefined;
}

/**
 * Whether a socket that was in `rooms` at disconnect would have received `packet` (socket.io's
 * rule): targeted (no target rooms, or one of its rooms), and not excluded (none of its rooms).
 * Its rooms include its own id, so `socket.broadcast` / `socket.to(room)` skip their sender.
 */
export function isMissed(rooms: ReadonlySet<Room>, packet: LoggedPacket): boolean {
  if (packet.rooms.size > 0) {
    let targeted = false;
    for (const room of packet.rooms) {
      if (rooms.has(room)) {
        targeted = true;
        break;
      }
    }
    if (!targeted) return false;
  }
  if (packet.except !== undefined) for (const room of packet.except) if (rooms.has(room)) return false;
  return true;
}

/** A socket as the recovery layer sees it. */
export interface RecoverableSocket {
  readonly id: SocketId;
  /** Its private session id (set on every socket while recovery is on). */
  readonly pid: string | undefined;
  readonly data: unknown;
  readonly rooms: Set<Room>;
  readonly connected: boolean;
  /**
   * Disconnects this socket because its client resumed the session on a new connection (the
   * server had not noticed the old one was gone). Reason "transport close".
   */
  supersede(): void;
}

/**
 * A session being resumed: found and reserved, its missed packets being gathered until the
 * socket is accepted (middlewares may run in between; packets logged meanwhile are caught too).
 */
export interface PendingRestore {
  readonly session: SessionState;
  /**
   * Ends the restore and returns the data of every packet the client missed, in order, once.
   * Call it in the same synchronous turn as the socket enters its namespace, so that nothing
   * falls between the replay and live delivery.
   */
  finish(): unknown[][];
  /** Abandons the restore (refused by a middleware, connection gone): the session stays resumable. */
  cancel(): void;
}

/**
 * Connection state recovery for one namespace, installed on its adapter. The namespaces layer
 * calls it when sockets connect and disconnect; the adapter logs broadcasts.
 */
export interface SessionRecovery {
  /** Whether a resumed socket skips the namespace middlewares. */
  readonly skipMiddlewares: boolean;
  /** A fresh private session id for a socket that starts a new session. */
  newPid(): string;
  /**
   * Looks up the session `pid` to resume from `offset` (the client's last packet; undefined
   * when it received none). Undefined when it cannot be resumed: unknown or expired session,
   * malformed offset, missed packets no longer all in the log.
   *
   * @param wanted - false once the connection asking went away (a long read stops early).
   */
  restore(pid: string, offset: string | undefined, wanted?: () => boolean): PendingRestore | undefined | Promise<PendingRestore | undefined>;
  /** The socket was accepted (`restored` when it resumed a session): its session is live. */
  attach(socket: RecoverableSocket, restored: PendingRestore | undefined): void;
  /** The socket disconnects (its rooms are still joined); `recoverable`: keep its session. */
  detach(socket: RecoverableSocket, recoverable: boolean): void;
  /** Stops timers; the sessions are forgotten (in memory) or left to expire (Redis). */
  close(): void;
}

/**
 * Runs `then` with a restore's outcome, at once when it is not a promise (the in-memory
 * restore is synchronous, so a resume there takes no extra turn); a rejection is "cannot resume".
 */
export function whenSettled<T>(value: T | Promise<T>, then: (value: T | undefined) => void): void {
  if (!(value instanceof Promise)) return then(value);
  value.then(then, () => then(undefined));
}
