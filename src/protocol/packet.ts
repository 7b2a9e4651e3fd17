/**
 * Socket.IO v5 packet shapes. Pure data: no I/O.
 *
 * [SIO5:packet-types] A packet's first character is its type digit.
 */

/** Socket.IO v5 packet types. */
export enum PacketType {
  CONNECT = 0,
  DISCONNECT = 1,
  EVENT = 2,
  ACK = 3,
  CONNECT_ERROR = 4,
  BINARY_EVENT = 5,
  BINARY_ACK = 6,
}

/** A decoded (or to-be-encoded) Socket.IO packet. Binary payload parts are Buffers. */
export interface Packet {
  type: PacketType;
  /** Namespace, always starting with "/"; "/" is the main namespace. */
  nsp: string;
  /** JSON payload: CONNECT → object | undefined, EVENT → [name, ...args], ACK → args, CONNECT_ERROR → object. */
  data?: unknown;
  /** Acknowledgement id (EVENT asking for an ack, or ACK answering one). */
  id?: number;
}

/**
 * An encoded packet ready for Engine.IO: the text part first, then one Buffer per binary
 * attachment (each goes out as its own Engine.IO binary message).
 */
export type EncodedPacket = [string, ...Buffer[]];
