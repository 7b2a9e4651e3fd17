/**
 * Shapes shared by both Redis protocols: broadcast options and socket snapshots as they travel
 * between servers, and the checks that turn a decoded message back into typed values.
 *
 * Everything read from Redis is validated here before use: a malformed message yields
 * undefined (the adapter reports it), never an exception deeper in the server.
 */
import { hasBinary } from "../protocol/binary.ts";
import type { SocketDetails } from "../rooms/adapter.ts";
import type { BroadcastFlags, BroadcastOptions, Handshake, Room } from "../rooms/types.ts";
import { decode, encode } from "./msgpack.ts";

/** Broadcast flags on the wire. */
export interface WireFlags extends BroadcastFlags {
  /**
   * roomcast's own: the broadcast went through the recovery log, its offset is its last data
   * element, and every server delivers it, its sender too ([REDIS:recovery-log]).
   */
  logged?: boolean;
}

/** Broadcast options on the wire: `{ rooms, except, flags }` with arrays for sets. */
export interface WireOptions {
  rooms: Room[];
  except: Room[];
  flags?: WireFlags;
}

/** A socket snapshot on the wire (a `fetchSockets` answer). */
export interface WireSocket {
  id: string;
  handshake: Handshake;
  rooms: Room[];
  data: unknown;
}

/** A client count from another node: a whole number, zero or more. */
export function isClientCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A plain object (what JSON.parse and the msgpack decoder produce for maps). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** `opts` as sent to other servers. */
export function toWireOptions(opts: BroadcastOptions, withFlags: boolean): WireOptions {
  const wire: WireOptions = { rooms: [...opts.rooms], except: opts.except === undefined ? [] : [...opts.except] };
  if (withFlags) wire.flags = opts.flags ?? {};
  return wire;
}

/** Room names from the wire: strings, or numbers (socket.io accepts numeric rooms) as strings. */
function roomSet(value: unknown): Set<Room> | undefined {
  if (value === undefined || value === null) return new Set();
  if (!Array.isArray(value)) return undefined;
  const out = new Set<Room>();
  for (const room of value) {
    if (typeof room === "string") out.add(room);
    else if (typeof room === "number") out.add(String(room));
    else return undefined;
  }
  return out;
}

/** The flags a receiving server acts on: volatile, compress, and the ack timeout. */
function wireFlags(value: unknown): BroadcastFlags {
  const flags: BroadcastFlags = {};
  if (!isRecord(value)) return flags;
  if (typeof value.volatile === "boolean") flags.volatile = value.volatile;
  if (typeof value.compress === "boolean") flags.compress = value.compress;
  if (typeof value.timeout === "number" && Number.isFinite(value.timeout) && value.timeout >= 0) flags.timeout = value.timeout;
  return flags;
}

/** Broadcast options from the wire, or undefined when malformed. */
export function fromWireOptions(value: unknown): BroadcastOptions | undefined {
  if (!isRecord(value)) return undefined;
  const rooms = roomSet(value.rooms);
  const except = roomSet(value.except);
  if (rooms === undefined || except === undefined) return undefined;
  return { rooms, except, flags: wireFlags(value.flags) };
}

/** A room list from the wire (socketsJoin / socketsLeave), or undefined when malformed. */
export function fromWireRooms(value: unknown): Room[] | undefined {
  const rooms = roomSet(value);
  return rooms === undefined ? undefined : [...rooms];
}

/** A snapshot of a local socket for another server (rooms as an array). */
export function toWireSocket(socket: SocketDetails): WireSocket {
  return { id: socket.id, handshake: socket.handshake, rooms: [...socket.rooms], data: socket.data };
}

/** A socket snapshot from another server, or undefined when malformed. */
export function fromWireSocket(value: unknown): SocketDetails | undefined {
  if (!isRecord(value) || typeof value.id !== "string" || !isRecord(value.handshake)) return undefined;
  const rooms = roomSet(value.rooms);
  if (rooms === undefined) return undefined;
  // The handshake is the peer's record of the connection, taken as it came (socket.io's shape).
  return { id: value.id, handshake: value.handshake as unknown as Handshake, rooms, data: value.data };
}

/** Whether a Socket.IO packet from another server is an event we can deliver. */
export function isEventPacket(value: unknown): value is { type: number; data: unknown[]; nsp?: unknown; id?: unknown } {
  if (!isRecord(value) || !Array.isArray(value.data) || typeof value.data[0] !== "string") return false;
  // EVENT (2) or BINARY_EVENT (5): the only packets a broadcast carries.
  return value.type === 2 || value.type === 5;
}

/** Parses a request or response: JSON when it starts with "{", msgpack otherwise. */
export function decodeMessage(raw: Buffer): unknown {
  return raw[0] === 0x7b ? (JSON.parse(raw.toString("utf8")) as unknown) : decode(raw);
}

/**
 * Encodes a request or response as `@socket.io/redis-adapter` does: JSON, unless it holds
 * binary (which JSON would mangle), then msgpack. Receivers tell them apart by the first byte.
 */
export function encodeMessage(message: Record<string, unknown>, binaryField: unknown): string | Buffer {
  return binaryField !== undefined && hasBinary(binaryField) ? encode(message) : JSON.stringify(message);
}
