/**
 * The chat's events, both directions. The client → server listeners take `unknown` arguments on
 * purpose: whatever a browser sends is validated before use (see validate.ts).
 */

/** A chat line as other members of the room receive it. */
export interface ChatMessage {
  /** The sender's nickname. */
  from: string;
  /** The message text (validated, at most {@link LIMITS.text} characters). */
  text: string;
  /** The room it was said in. */
  room: string;
}

/** Someone entered or left the room the receiver is in. */
export interface RoomNotice {
  /** The room concerned. */
  room: string;
  /** Who came or went. */
  nick: string;
  /** Whether they joined or left. */
  kind: "join" | "leave";
}

/** One line of the live room list, or a change to it. */
export interface RoomSummary {
  /** The room's name as users typed it. */
  name: string;
  /** How many sockets are in it. */
  members: number;
}

/** The acknowledgement of a successful `join`. */
export interface JoinReply {
  /** The room joined (trimmed). */
  room: string;
  /** The nickname in use (given, kept from before, or a generated guest name). */
  nick: string;
  /** How many sockets are in the room, the joiner included. */
  count: number;
  /** Nicknames in the room, sorted, at most {@link LIMITS.membersListed}. */
  members: string[];
}

/** The acknowledgement of a refused `join` or `chat message`. */
export interface ErrorReply {
  /** Why the request was refused, for display. */
  error: string;
}

/** Events a browser may send; arguments are untrusted, hence `unknown`. */
export interface ClientToServerEvents {
  /** `join(room, nick?, ack?)`: enter `room` (leaving the previous one), optionally renaming. */
  join: (...args: unknown[]) => void;
  /** `chat message(text, ack?)`: say `text` in the current room. */
  "chat message": (...args: unknown[]) => void;
}

/** Events the server sends. */
export interface ServerToClientEvents {
  /** A message from another member of the receiver's room. */
  "chat message": (msg: ChatMessage) => void;
  /** A join or leave in the receiver's room. */
  notice: (notice: RoomNotice) => void;
  /**
   * The whole room list (the busiest {@link LIMITS.roomsListed}), replacing what the receiver
   * had: sent on connection, and to everyone instead of a `rooms changed` longer than the list.
   */
  rooms: (rooms: RoomSummary[]) => void;
  /**
   * The rooms whose member count changed since the last update, each with its new count
   * (`members: 0`: the room is gone); sent to everyone after changes, at most once per second
   * (the server's `roomListInterval`), at most {@link LIMITS.roomsListed} rooms.
   */
  "rooms changed": (changes: RoomSummary[]) => void;
  /** On the `/stats` namespace: the server's figures, once per interval (see stats.ts). */
  stats: (sample: StatsSample) => void;
}

/** One sample of the live stats (`/stats` namespace). */
export interface StatsSample {
  /** When it was taken (ms since the epoch, server clock). */
  t: number;
  /** Open Engine.IO connections by transport. */
  connections: { polling: number; websocket: number };
  /** Chat users: sockets of the main namespace. */
  sockets: number;
  /** Named rooms of the main namespace. */
  rooms: number;
  /** Events received from clients since the server started. */
  received: number;
  /** Events delivered to clients since the server started. */
  sent: number;
}

/** What the server keeps per socket. */
export interface ChatSocketData {
  /** Nickname, set by the first `join`. */
  nick?: string;
  /** Current room, if any. */
  room?: string;
}
