/**
 * Payload rules per packet type, shared by the decoder (incoming packets) and the server's
 * emit (reserved names). Pure checks: they throw or return, never transform.
 */
import { PacketType } from "./packet.ts";
import { ProtocolError } from "./errors.ts";

/**
 * [SIO5:reserved-events] Event names the server side uses for its own lifecycle (and Node's
 * EventEmitter for listener bookkeeping). A peer must not be able to fire them remotely, and
 * user code must not emit them as ordinary events.
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

/**
 * Whether `name` is one of {@link RESERVED_EVENTS}.
 *
 * @param name - an event name.
 */
export function isReservedEvent(name: string): boolean {
  return RESERVED_EVENTS.has(name);
}

/**
 * Whether `value` is a JSON object: not null, not an array, with `Object.prototype` or a null
 * prototype (so class instances, Dates, Maps … are excluded).
 *
 * @param value - any value.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Check a decoded packet's payload and ack id against its type. Placeholders in binary packets
 * are still unresolved here; they are objects, so they can never pass as an event name.
 *
 * @param type - the packet type (already known to be 0–6).
 * @param data - the parsed JSON payload, `undefined` when the packet had none.
 * @param id - the ack id, `undefined` when the packet had none.
 * @throws {@link ProtocolError} INVALID_PAYLOAD, INVALID_ACK_ID or RESERVED_EVENT.
 */
export function validatePayload(type: PacketType, data: unknown, id: number | undefined): void {
  switch (type) {
    case PacketType.CONNECT:
      // [SIO5:connect-payload] Optional auth object; no ack ids on connection packets.
      rejectAckId(id, type);
      if (data !== undefined && !isPlainObject(data)) {
        throw new ProtocolError("INVALID_PAYLOAD", "CONNECT payload must be an object");
      }
      return;
    case PacketType.DISCONNECT:
      // [SIO5:disconnect-payload] A bare type (plus namespace); nothing else.
      rejectAckId(id, type);
      if (data !== undefined) {
        throw new ProtocolError("INVALID_PAYLOAD", "DISCONNECT takes no payload");
      }
      return;
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT:
      // [SIO5:event-payload] `[name, ...args]` with a string name; the id, if any, asks for an ack.
      if (!Array.isArray(data) || data.length === 0) {
        throw new ProtocolError("INVALID_PAYLOAD", "EVENT payload must be a non-empty array");
      }
      {
        const name: unknown = data[0];
        // [SIO5:event-name]
        if (typeof name !== "string") {
          throw new ProtocolError("INVALID_PAYLOAD", "EVENT name must be a string");
        }
        // [SIO5:reserved-events]
        if (isReservedEvent(name)) {
          throw new ProtocolError("RESERVED_EVENT", `event name "${name}" is reserved`);
        }
      }
      return;
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      // [SIO5:ack-payload] An ACK answers a specific EVENT, so it needs that event's id.
      if (id === undefined) {
        throw new ProtocolError("INVALID_ACK_ID", "ACK without an id");
      }
      if (!Array.isArray(data)) {
        throw new ProtocolError("INVALID_PAYLOAD", "ACK payload must be an array");
      }
      return;
    case PacketType.CONNECT_ERROR:
      // [SIO5:connect-error-payload] `{message, data?}` from v3+ servers; a bare string from
      // older ones. Servers never receive it, but decoding it keeps the codec symmetric.
      rejectAckId(id, type);
      if (typeof data !== "string" && !isPlainObject(data)) {
        throw new ProtocolError("INVALID_PAYLOAD", "CONNECT_ERROR payload must be an object or a string");
      }
      return;
    default: {
      // Unreachable for callers that checked the type digit; kept so a bad cast fails loudly.
      const unknownType: never = type;
      throw new ProtocolError("INVALID_TYPE", `unknown packet type ${String(unknownType)}`);
    }
  }
}

/** [SIO5:ack-id] Only EVENT and ACK packets (and their binary forms) carry an ack id. */
function rejectAckId(id: number | undefined, type: PacketType): void {
  if (id !== undefined) {
    throw new ProtocolError("INVALID_ACK_ID", `packet type ${type} cannot carry an ack id`);
  }
}
