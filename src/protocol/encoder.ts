/**
 * Socket.IO v5 packet encoder.
 *
 * [SIO5:packet-format] Text part:
 *   `<type digit>[<attachment count>-][<nsp>,][<ack id>][<JSON payload>]`
 * followed, for binary packets, by one Buffer per attachment.
 *
 * Hot path (every broadcast goes through here once): one binary scan, one JSON.stringify, and
 * no copying of the payload unless it actually contains binary.
 */
import { PacketType } from "./packet.ts";
import type { EncodedPacket, Packet } from "./packet.ts";
import { ProtocolError } from "./errors.ts";
import { deconstruct, hasBinary } from "./binary.ts";

/**
 * Encode a packet for Engine.IO: the text part, then its binary attachments (if any), each to
 * be sent as a separate Engine.IO message in this order.
 *
 * [SIO5:binary-upgrade] An EVENT or ACK whose payload contains binary (Buffer, ArrayBuffer,
 * TypedArray, DataView, at any depth) is sent as BINARY_EVENT / BINARY_ACK with placeholders.
 * Conversely a BINARY_* packet without binary is sent as plain EVENT / ACK, since an
 * attachment count of 0 is not a valid binary packet. The caller's data is never modified.
 *
 * @param packet - the packet to encode. `nsp` must start with "/" and contain no ",".
 * @returns `[text, ...attachments]`.
 * @throws {@link ProtocolError} INVALID_TYPE, INVALID_NAMESPACE, INVALID_ACK_ID, or
 *   INVALID_PAYLOAD when the payload cannot be serialised (cycle, BigInt, function…).
 */
export function encodePacket(packet: Packet): EncodedPacket {
  const { nsp, id, data } = packet;
  let type: PacketType = packet.type;

  // [SIO5:packet-types] The type is a single digit; anything else would corrupt the framing.
  if (!Number.isInteger(type) || type < PacketType.CONNECT || type > PacketType.BINARY_ACK) {
    throw new ProtocolError("INVALID_TYPE", `cannot encode packet type ${String(type)}`);
  }
  // [SIO5:namespace] The namespace ends at the first ",", so it cannot contain one.
  if (nsp !== "/" && (nsp.charCodeAt(0) !== 0x2f || nsp.includes(","))) {
    throw new ProtocolError("INVALID_NAMESPACE", "namespace must start with '/' and contain no ','");
  }
  // [SIO5:ack-id] Written as plain decimal digits right before the payload.
  if (id !== undefined && (!Number.isSafeInteger(id) || id < 0)) {
    throw new ProtocolError("INVALID_ACK_ID", "ack id must be a non-negative safe integer");
  }

  let payload: unknown = data;
  let attachments: Buffer[] | undefined;
  if (type >= PacketType.EVENT && type !== PacketType.CONNECT_ERROR) {
    // EVENT, ACK, BINARY_EVENT, BINARY_ACK: only these may carry binary.
    const isAck = type === PacketType.ACK || type === PacketType.BINARY_ACK;
    if (data !== undefined && hasBinary(data)) {
      const parts = deconstruct(data);
      // Re-checked because a toJSON method could answer differently on the second walk.
      if (parts.attachments.length > 0) {
        payload = parts.data;
        attachments = parts.attachments;
      }
    }
    if (attachments !== undefined) {
      // [SIO5:binary-ack] An acknowledgement carrying binary is a BINARY_ACK, like events.
      type = isAck ? PacketType.BINARY_ACK : PacketType.BINARY_EVENT;
    } else {
      type = isAck ? PacketType.ACK : PacketType.EVENT;
    }
  }

  let text: string = String(type);
  // [SIO5:attachments-count]
  if (attachments !== undefined) text += `${attachments.length}-`;
  // [SIO5:namespace] Main namespace is implicit; any other is always followed by ",".
  if (nsp !== "/") text += `${nsp},`;
  if (id !== undefined) text += String(id);
  if (payload !== undefined) text += stringifyPayload(payload);

  return attachments === undefined ? [text] : [text, ...attachments];
}

/** [SIO5:payload-json] JSON.stringify, with its failures turned into ProtocolErrors. */
function stringifyPayload(payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (cause) {
    throw new ProtocolError("INVALID_PAYLOAD", "payload is not serialisable as JSON", { cause });
  }
  // JSON.stringify returns undefined (despite its typing) for functions and symbols.
  if (typeof json !== "string") {
    throw new ProtocolError("INVALID_PAYLOAD", "payload is not serialisable as JSON");
  }
  return json;
}
