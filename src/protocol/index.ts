/**
 * Socket.IO v5 packet codec: public entry point. Pure data transforms, no I/O.
 */
export { PacketType } from "./packet.ts";
export type { Packet, EncodedPacket } from "./packet.ts";
export { ProtocolError } from "./errors.ts";
export type { ProtocolErrorCode } from "./errors.ts";
export { encodePacket } from "./encoder.ts";
export {
  Decoder,
  DEFAULT_DECODER_OPTIONS,
  MAX_ACK_ID_DIGITS,
  MAX_NAMESPACE_LENGTH,
} from "./decoder.ts";
export type { DecoderOptions } from "./decoder.ts";
export {
  MAX_BINARY_DEPTH,
  deconstruct,
  hasBinary,
  isBinary,
  reconstruct,
} from "./binary.ts";
export type { BinaryLike, BinaryPlaceholder, DeconstructedData } from "./binary.ts";
export { RESERVED_EVENTS, isPlainObject, isReservedEvent, validatePayload } from "./validation.ts";
