/**
 * The `parser` option: socket.io's pluggable codec interface, and roomcast's own codec behind it
 * as the default.
 *
 * A parser is an object with two constructors. `new Encoder().encode(packet)` turns a packet
 * into the Engine.IO messages that carry it (strings go out as text messages, Buffers as binary
 * ones); `new Decoder()` is an event emitter, fed each incoming Engine.IO message through
 * `add(chunk)`, that emits `"decoded"` with every complete packet (`destroy()` releases it when
 * the connection closes). That is the shape of `socket.io-parser` and
 * `socket.io-msgpack-parser`, so either can be passed as is, and the client must use the same
 * one.
 *
 * The server makes ONE encoder (`io.encoder`) and uses it for every packet: a broadcast is
 * encoded once, whatever the parser, and its messages are shared by all recipients.
 */
import { EventEmitter } from "node:events";
import { Decoder as RoomcastDecoder, MAX_NAMESPACE_LENGTH, type DecoderOptions } from "./decoder.ts";
import { encodePacket } from "./encoder.ts";
import { ProtocolError } from "./errors.ts";
import { PacketType, type EncodedPacket, type Packet } from "./packet.ts";
import { validatePayload } from "./validation.ts";

/** What an encoder produces: one Engine.IO message per element, text or binary. */
export type EncodedParts = ReadonlyArray<string | Buffer>;

/** Encodes packets for the wire (socket.io's `Encoder` shape). */
export interface ParserEncoder {
  /** The Engine.IO messages carrying `packet`, in order. */
  encode(packet: Packet): EncodedParts;
}

/** Decodes a connection's incoming messages into packets (socket.io's `Decoder` shape). */
export interface ParserDecoder {
  /** Feeds one Engine.IO message; throws on malformed input. */
  add(chunk: string | Buffer): void;
  /** Registers the listener of complete packets. */
  on(event: "decoded", listener: (packet: Packet) => void): unknown;
  /** Releases the decoder (optional: not every parser has one). */
  destroy?(): void;
}

/** A codec, as the server uses it: two constructors. */
export interface Parser {
  /** Built once per server (`io.encoder`). */
  Encoder: new () => ParserEncoder;
  /** Built once per connection. */
  Decoder: new () => ParserDecoder;
}

/**
 * What the `parser` option accepts: {@link Parser}, loosely typed so that parsers whose own
 * typings are approximate (socket.io-msgpack-parser leaves the packet its `encode` takes untyped)
 * are accepted as socket.io accepts them. What they produce is checked at run time.
 */
export interface ParserOption {
  Encoder: new () => { encode(packet: never): unknown };
  Decoder: new () => { add(chunk: never): unknown; on(event: "decoded", listener: (packet: unknown) => void): unknown; destroy?(): unknown };
}

/**
 * roomcast's own encoder behind the parser interface: `encodePacket` as a method, nothing
 * allocated beyond the encoding itself, so the default path costs what it did before.
 */
export class Encoder implements ParserEncoder {
  /**
   * @param packet - the packet; an EVENT or ACK carrying binary is sent as its BINARY_ form.
   * @returns the text part, then one Buffer per binary attachment.
   */
  encode(packet: Packet): EncodedPacket {
    return encodePacket(packet);
  }
}

/**
 * roomcast's own decoder behind the parser interface, for code that drives a parser by hand.
 * The server itself does not go through it: with the default parser it calls the strict
 * decoder directly (no event per packet).
 */
export class Decoder extends EventEmitter implements ParserDecoder {
  private readonly inner: RoomcastDecoder;

  /** @param opts - limits, see {@link DecoderOptions}. */
  constructor(opts: Partial<DecoderOptions> = {}) {
    super();
    this.inner = new RoomcastDecoder(opts);
  }

  /** Feeds one message; emits `"decoded"` when a packet is complete. Throws a ProtocolError on bad input. */
  add(chunk: string | Buffer): void {
    const packet = this.inner.add(chunk);
    if (packet !== null) this.emit("decoded", packet);
  }

  /** Drops a partially received binary packet. */
  destroy(): void {
    this.inner.reset();
  }
}

/**
 * The default parser: roomcast's Socket.IO v5 codec, byte-compatible with `socket.io-parser`.
 *
 * @example
 * new Server(httpServer, { parser: defaultParser }); // the same as no `parser` option
 */
export const defaultParser: Parser = Object.freeze({ Encoder, Decoder });

/**
 * Checks the `parser` option at construction: an object with `Encoder` and `Decoder`
 * constructors (the encoder instance is checked by the server when it builds it).
 *
 * @throws TypeError otherwise.
 */
export function checkParser(parser: unknown): Parser {
  if (typeof parser !== "object" || parser === null) {
    throw new TypeError("roomcast: option parser must be an object with Encoder and Decoder constructors (e.g. socket.io-msgpack-parser)");
  }
  const { Encoder: E, Decoder: D } = parser as Partial<Parser>;
  if (typeof E !== "function" || typeof D !== "function") {
    throw new TypeError("roomcast: option parser must have Encoder and Decoder constructors");
  }
  return parser as Parser;
}

/**
 * The parts of an encoded packet, as Engine.IO messages: an encoder may return a single part
 * instead of an array, and binary as an ArrayBuffer or a typed array (as socket.io accepts).
 * Returns `encoded` itself, untouched, when it is already an array of strings and Buffers
 * (roomcast's codec always is), so the default path allocates nothing here.
 *
 * @throws TypeError for a part that is neither text nor binary.
 */
export function normalizeEncoded(encoded: unknown): EncodedParts {
  const parts: readonly unknown[] = Array.isArray(encoded) ? encoded : [encoded];
  let copy: Array<string | Buffer> | null = null;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (typeof part === "string" || Buffer.isBuffer(part)) {
      if (copy !== null) copy.push(part);
      continue;
    }
    let bytes: Buffer;
    if (part instanceof ArrayBuffer) bytes = Buffer.from(part);
    else if (ArrayBuffer.isView(part)) bytes = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    else throw new TypeError("roomcast: the parser's encoder produced a part that is neither a string nor binary");
    copy ??= parts.slice(0, i) as Array<string | Buffer>;
    copy.push(bytes);
  }
  return copy ?? (parts as EncodedParts);
}

/**
 * Validates a packet from a custom parser's decoder, as roomcast's own decoder validates what
 * it decodes: the rest of the server trusts every packet it is handed (ARCHITECTURE: validate
 * at the boundary). Extra fields (socket.io-client's msgpack packets carry `options`) are
 * dropped; a `null` ack id counts as none.
 *
 * @param decoded - whatever the decoder emitted.
 * @returns a fresh, valid packet.
 * @throws {@link ProtocolError} when the packet is malformed.
 */
export function validateDecodedPacket(decoded: unknown): Packet {
  if (typeof decoded !== "object" || decoded === null) throw new ProtocolError("INVALID_TYPE", "decoded packet is not an object");
  const { type, nsp, data } = decoded as { type?: unknown; nsp?: unknown; data?: unknown };
  const rawId = (decoded as { id?: unknown }).id;
  // [SIO5:packet-types]
  if (typeof type !== "number" || !Number.isInteger(type) || type < PacketType.CONNECT || type > PacketType.BINARY_ACK) {
    throw new ProtocolError("INVALID_TYPE", "unknown packet type");
  }
  // [SIO5:namespace]
  if (typeof nsp !== "string" || nsp.charCodeAt(0) !== 0x2f || nsp.length > MAX_NAMESPACE_LENGTH) {
    throw new ProtocolError("INVALID_NAMESPACE", "namespace must be a string starting with '/'");
  }
  let id: number | undefined;
  if (rawId !== undefined && rawId !== null) {
    // [SIO5:ack-id]
    if (typeof rawId !== "number" || !Number.isSafeInteger(rawId) || rawId < 0) {
      throw new ProtocolError("INVALID_ACK_ID", "ack id must be a non-negative safe integer");
    }
    id = rawId;
  }
  validatePayload(type as PacketType, data, id);
  const packet: Packet = { type: type as PacketType, nsp };
  if (data !== undefined) packet.data = data;
  if (id !== undefined) packet.id = id;
  return packet;
}
