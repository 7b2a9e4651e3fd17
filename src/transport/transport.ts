/**
 * The contract between an Engine.IO session ({@link EngineSocket}) and the wire carrying it.
 *
 * The session owns everything that outlives a transport (sid, heartbeat, write buffer, close
 * reason); a transport only moves encoded packets. Keeping the seam this narrow is what lets a
 * session start on HTTP long-polling and move to WebSocket (the upgrade) without either side
 * knowing the other's internals.
 */
import type { Packet as ParserPacket } from "engine.io-parser";
import type { TransportName } from "./options.ts";

export type { TransportName } from "./options.ts";

/** Engine.IO v4 packet types, plus `"error"`, which engine.io-parser yields for an undecodable packet. */
export type EnginePacketType = "open" | "close" | "ping" | "pong" | "message" | "upgrade" | "noop" | "error";

/**
 * One Engine.IO packet. `data` is a string for text packets, a Buffer for binary messages.
 * Shaped so that it can be handed to engine.io-parser as is.
 */
export interface EnginePacket {
  type: EnginePacketType;
  data?: string | Buffer;
  /** Per-packet write options; `compress` only matters when permessage-deflate was negotiated. */
  options?: { compress: boolean };
}

/** Write options shared by every packet that allows per-message compression (frozen: no allocation per send). */
export const COMPRESS: Readonly<{ compress: boolean }> = Object.freeze({ compress: true });
/** Write options shared by every packet sent uncompressed. */
export const NO_COMPRESS: Readonly<{ compress: boolean }> = Object.freeze({ compress: false });
/** The noop packet that releases a held GET; frozen and shared. */
export const NOOP: EnginePacket = Object.freeze({ type: "noop" });

/**
 * What a {@link Transport} reports to: the session it carries, or an upgrade probing it.
 *
 * One owner set through `transport.sink` rather than four EventEmitter listeners: a transport
 * has exactly one owner at a time, and the emitter (its listener table, four bound functions,
 * an emit per packet) cost 0.56 KB of heap per connection (heap snapshots, 1000 idle
 * connections: 7.06 → 6.50 KB each).
 */
export interface TransportSink {
  /** A packet arrived and was decoded (its type is `"error"` when it could not be decoded). */
  onTransportPacket(packet: EnginePacket): void;
  /** The transport failed (socket error, frame too large, ...); a close follows or has happened. */
  onTransportError(err: Error): void;
  /** The underlying connection is gone. Reported at most once. */
  onTransportClose(): void;
  /** Everything handed to {@link Transport.send} has been written; `writable` is true again. */
  onTransportDrain(): void;
}

/**
 * What both transports (websocket and HTTP long-polling) implement.
 *
 * Contract:
 * - What happens to the transport is reported to its `sink` (null: nobody listens, and the
 *   report is dropped).
 * - `send(packets)` writes the packets in order. Callers send only while `writable` is true.
 * - `onTransportDrain` is reported whenever `writable` may have become true again or sent
 *   packets have been written (their send callbacks are due). Over WebSocket that is when every
 *   pending frame has been written; over polling, when a response has been written and when a
 *   new GET arrives.
 * - `close(final)` is idempotent and closes after what was already sent. With `final` (a
 *   server-initiated close) the transport first delivers those packets and then tells the client
 *   the session is over, even if, over polling, that has to wait (a bounded time) for the next GET.
 * - `discard()` ends a transport that an upgrade replaced: a request still waiting is released
 *   with a noop and nothing else is sent.
 * - `onTransportError` is always followed (now or later) by `onTransportClose`.
 */
export interface Transport {
  /** Which transport this is. */
  readonly name: TransportName;
  /** Who hears this transport's packets, errors, close and drains; set by its owner. */
  sink: TransportSink | null;
  /** True when a send would be written now (nothing pending from the previous send). */
  readonly writable: boolean;
  /**
   * Encodes and writes packets, in order. With `notifyWritten`, a drain follows once they are
   * written (the session has send callbacks waiting for it).
   */
  send(packets: readonly EnginePacket[], notifyWritten?: boolean): void;
  /**
   * Optional: writes one packet, exactly as `send([packet], notifyWritten)` would, without the
   * list. The session calls it for the usual broadcast recipient (one packet queued in the tick,
   * nobody listening to `flush`); a transport without it is sent a list of one.
   */
  sendOne?(packet: EnginePacket, notifyWritten?: boolean): void;
  /**
   * Optional: true when {@link Transport.writeFrame} may be used (a WebSocket carrying frames
   * roomcast builds itself, i.e. without per-message compression). Fixed for a transport's life.
   */
  readonly rawFrames?: boolean;
  /**
   * Optional (with {@link Transport.rawFrames}): writes a broadcast's shared WebSocket frame now,
   * if the connection takes it without waiting; returns false, having written nothing, if it
   * cannot (the caller queues the message instead, like every other send).
   */
  writeFrame?(frame: readonly Buffer[]): boolean;
  /**
   * Closes after what was already sent; `final` packets (a server-initiated close) are delivered
   * first and followed by the close signal. Idempotent.
   */
  close(final?: readonly EnginePacket[]): void;
  /** Ends a transport the session upgraded away from; see the contract above. Idempotent. */
  discard(): void;
  /**
   * Ends the connection at once, dropping whatever is unwritten, with no close handshake: for a
   * peer that does not read, which a graceful close would wait for. Idempotent.
   */
  destroy(): void;
}

/**
 * Narrows engine.io-parser's untyped packet to ours: data is only ever a string or a Buffer here
 * (binary is decoded as a Node Buffer).
 *
 * @param packet - a packet from `decodePacket` / `decodePayload`.
 */
export function fromParser(packet: ParserPacket): EnginePacket {
  const data: unknown = packet.data;
  if (typeof data === "string" || Buffer.isBuffer(data)) return { type: packet.type, data };
  return { type: packet.type };
}
