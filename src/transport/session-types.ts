/**
 * The types of an Engine.IO session ({@link EngineSocket}): its states, close reasons, events
 * and construction record. Kept apart from the class so that the class file holds behaviour only.
 */
import type { IncomingMessage } from "node:http";
import type { EngineSocket } from "./engine-socket.ts";
import type { Heartbeats } from "./heartbeat.ts";
import type { EngineOptions, TransportName } from "./options.ts";
import type { EnginePacket, Transport } from "./transport.ts";
import type { WriteCoalescer } from "./write-coalescer.ts";

/** Lifecycle of a session. A session is never reopened once `"closed"`. */
export type EngineSocketState = "opening" | "open" | "closing" | "closed";

/** Why a session closed, as given to the `close` event. */
export type CloseReason =
  /** The client closed: an Engine.IO `1` packet, or the connection went away. */
  | "transport close"
  /**
   * The connection failed (socket error, message above maxHttpBufferSize, overlapping polls,
   * write buffer above maxBufferedBytes...); the `close` event's description says which.
   */
  | "transport error"
  /** No pong within pingTimeout of a ping. */
  | "ping timeout"
  /** The client sent a packet or payload that does not decode. */
  | "parse error"
  /** {@link EngineSocket.close} was called. */
  | "forced close"
  /** The server was closed. */
  | "server shutting down";

/** Events of an {@link EngineSocket}, as a listener-argument map. */
export type EngineSocketEvents = {
  /** A message from the client: text as a string, binary as a Buffer. */
  message: [data: string | Buffer];
  /** Any packet received (before it is acted on). */
  packet: [packet: EnginePacket];
  /** A packet was created for this session alone and queued (before it is buffered); messages shared by a broadcast (`sendShared`) do not fire it. */
  packetCreate: [packet: EnginePacket];
  /** The client showed it is alive (a pong, or a ping of its own). */
  heartbeat: [];
  /** The buffered packets are about to be handed to the transport. */
  flush: [packets: EnginePacket[]];
  /** Everything sent has been written and nothing is buffered. */
  drain: [];
  /** An upgrade probe was answered on `transport` (the client sent `2probe`). */
  upgrading: [transport: Transport];
  /** The session moved to `transport` (the client sent `5`). */
  upgrade: [transport: Transport];
  /** The transport failed; emitted only if someone listens (a `close` always follows). */
  error: [err: Error];
  /** The session is over. Emitted exactly once. */
  close: [reason: CloseReason, description?: unknown];
};

/**
 * The one consumer of a session's messages and close, called directly before the `message` and
 * `close` events: the Socket.IO client of the connection, which always listens. Direct calls
 * spare every connection two closures and two entries in its listener table.
 */
export interface SessionConsumer {
  /** A message from the client: text as a string, binary as a Buffer. */
  onEngineMessage(data: string | Buffer): void;
  /** The session is over (called once, before the `close` event). */
  onEngineClose(reason: CloseReason, description?: unknown): void;
}

/** Per-message send options. */
export interface SendOptions {
  /** Allow permessage-deflate for this message (if negotiated). Default true. */
  compress?: boolean;
}

/** What a session needs from its server; passed by {@link EngineServer}. */
export interface EngineSocketInit {
  /** The session id (see {@link generateSessionId}). */
  id: string;
  /** The request that opened the session (the handshake request). */
  request: IncomingMessage;
  /** The transport the session starts on. */
  transport: Transport;
  /** Heartbeat timings, the announced payload limit and the write-buffer bound. */
  opts: Pick<EngineOptions, "pingInterval" | "pingTimeout" | "maxHttpBufferSize" | "maxBufferedBytes">;
  /** Transports the client may upgrade to from this one, announced in the open packet. */
  upgrades: readonly TransportName[];
  /**
   * Called once when the session closes, just before its `close` event (the server forgets the
   * session there). One function for all sessions, instead of a `close` listener each.
   */
  closed?: (session: EngineSocket) => void;
  /** The server's write windows when `writeDelay` is set (shared by all its sessions). */
  coalescer?: WriteCoalescer | null;
  /**
   * The server's heartbeat queues (shared by all its sessions; their interval and timeout are
   * the session's). Without them the session makes its own from `opts`.
   */
  heartbeats?: Heartbeats;
}
