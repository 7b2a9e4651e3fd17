/**
 * Socket.IO v5 packet decoder, one instance per connection.
 *
 * Input comes from an untrusted peer, so the decoder is strict: anything the official encoder
 * would not produce throws a {@link ProtocolError}, and the caller closes the connection with
 * reason "parse error". Every limit is checked before the work it guards (attachment count
 * before collecting attachments, namespace length before slicing it).
 */
import { PacketType } from "./packet.ts";
import type { Packet } from "./packet.ts";
import { ProtocolError } from "./errors.ts";
import { reconstruct } from "./binary.ts";
import { validatePayload } from "./validation.ts";

/** Decoder limits. */
export interface DecoderOptions {
  /** Most binary attachments one packet may announce. Default 10. [SIO5:attachments-count] */
  maxAttachments: number;
  /**
   * Most total size of one packet: text length (UTF-16 code units) plus attachment bytes.
   * Default `Infinity`, since Engine.IO already caps each message (`maxHttpBufferSize`); set
   * it to also cap a binary packet's sum of attachments.
   */
  maxPacketSize: number;
}

/** Defaults for {@link DecoderOptions}. */
export const DEFAULT_DECODER_OPTIONS: Readonly<DecoderOptions> = Object.freeze({
  maxAttachments: 10,
  maxPacketSize: Number.POSITIVE_INFINITY,
});

/** Longest namespace accepted, in characters (including the leading "/"). [SIO5:namespace] */
export const MAX_NAMESPACE_LENGTH = 256;

/**
 * [SIO5:ack-id] Longest ack id accepted, in digits: as many as `Number.MAX_SAFE_INTEGER` has. The digit cap
 * stops the scan early; the value is then also checked to be a safe integer, so every id the
 * encoder accepts decodes, and no id is silently rounded.
 */
export const MAX_ACK_ID_DIGITS = String(Number.MAX_SAFE_INTEGER).length;

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_DASH = 0x2d;
const CHAR_SLASH = 0x2f;
const CHAR_COMMA = 0x2c;

/** A binary packet whose text part has arrived and whose attachments are being collected. */
interface PendingBinary {
  packet: Packet;
  expected: number;
  buffers: Buffer[];
  size: number;
}

/**
 * Turns Engine.IO messages back into Socket.IO packets.
 *
 * A text message is a whole packet, except BINARY_EVENT / BINARY_ACK, whose text part is
 * followed by one Engine.IO binary message per attachment; `add` returns `null` until the last
 * one arrives. Not re-entrant across connections: use one Decoder per connection.
 */
export class Decoder {
  readonly #maxAttachments: number;
  readonly #maxPacketSize: number;
  #pending: PendingBinary | null = null;

  /**
   * @param opts - limits; missing fields take {@link DEFAULT_DECODER_OPTIONS}.
   * @throws RangeError when a limit is not a non-negative number.
   */
  constructor(opts: Partial<DecoderOptions> = {}) {
    const maxAttachments = opts.maxAttachments ?? DEFAULT_DECODER_OPTIONS.maxAttachments;
    const maxPacketSize = opts.maxPacketSize ?? DEFAULT_DECODER_OPTIONS.maxPacketSize;
    if (!Number.isInteger(maxAttachments) || maxAttachments < 0) {
      throw new RangeError("maxAttachments must be a non-negative integer");
    }
    if (Number.isNaN(maxPacketSize) || maxPacketSize < 0) {
      throw new RangeError("maxPacketSize must be a non-negative number");
    }
    this.#maxAttachments = maxAttachments;
    this.#maxPacketSize = maxPacketSize;
  }

  /** True while a binary packet's text part has arrived but not all its attachments. */
  get awaitingAttachments(): boolean {
    return this.#pending !== null;
  }

  /**
   * Feed one Engine.IO message.
   *
   * Binary packets keep type BINARY_EVENT / BINARY_ACK in the result (with attachments back in
   * place); callers handle them exactly like EVENT / ACK.
   *
   * @param chunk - a text message (a packet's text part) or a binary message (an attachment).
   * @returns the completed packet, or `null` while a binary packet awaits more attachments.
   * @throws {@link ProtocolError} on any malformed input; the decoder is reset first, so a
   *   pending binary packet is dropped.
   */
  add(chunk: string | Buffer): Packet | null {
    try {
      if (typeof chunk === "string") return this.#addText(chunk);
      if (Buffer.isBuffer(chunk)) return this.#addAttachment(chunk);
      // Only reachable from untyped callers; say so rather than misparse.
      throw new ProtocolError("INVALID_TYPE", "chunk must be a string or a Buffer");
    } catch (err) {
      this.reset();
      throw err;
    }
  }

  /** Drop any partially received binary packet (e.g. when the connection closes). */
  reset(): void {
    this.#pending = null;
  }

  #addText(str: string): Packet | null {
    // [SIO5:binary-attachments] Attachments of a binary packet follow its text part with
    // nothing in between; a text message here means the peer lost track.
    if (this.#pending !== null) {
      throw new ProtocolError("UNEXPECTED_TEXT", "text packet received while awaiting binary attachments");
    }
    const len = str.length;
    if (len > this.#maxPacketSize) {
      throw new ProtocolError("PACKET_TOO_LARGE", "packet exceeds maxPacketSize");
    }

    // [SIO5:packet-types] First character: type digit 0–6.
    if (len === 0) throw new ProtocolError("INVALID_TYPE", "empty packet");
    const type = (str.charCodeAt(0) - CHAR_0) as PacketType;
    if (!(type >= PacketType.CONNECT && type <= PacketType.BINARY_ACK)) {
      throw new ProtocolError("INVALID_TYPE", "unknown packet type");
    }
    let i = 1;

    // [SIO5:attachments-count] Binary types: decimal count, then "-". The count is checked
    // against the limit digit by digit, so a huge number is refused before it is even parsed
    // whole, and long before anything is collected.
    let attachments = 0;
    const isBinary = type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK;
    if (isBinary) {
      const start = i;
      for (; i < len; i++) {
        const c = str.charCodeAt(i);
        if (c < CHAR_0 || c > CHAR_9) break;
        attachments = attachments * 10 + (c - CHAR_0);
        if (attachments > this.#maxAttachments) {
          // Worded as socket.io-parser words it: apps match on the message.
          throw new ProtocolError("TOO_MANY_ATTACHMENTS", "too many attachments");
        }
      }
      if (i === start) {
        // "Illegal attachments" for each malformed count, as socket.io-parser says.
        throw new ProtocolError("INVALID_ATTACHMENTS", "Illegal attachments");
      }
      if (i >= len || str.charCodeAt(i) !== CHAR_DASH) {
        throw new ProtocolError("INVALID_ATTACHMENTS", "Illegal attachments");
      }
      // A binary packet with nothing attached is not something any encoder sends.
      if (attachments === 0) {
        throw new ProtocolError("INVALID_ATTACHMENTS", "Illegal attachments");
      }
      i++;
    }

    // [SIO5:namespace] Starts with "/" and runs to the next ","; without a "," it runs to the
    // end of the packet (e.g. "0/admin"). Otherwise the main namespace "/".
    let nsp = "/";
    if (i < len && str.charCodeAt(i) === CHAR_SLASH) {
      const start = i;
      // Scan at most one char past the limit: no need to read further to know it's too long.
      const stop = Math.min(len, start + MAX_NAMESPACE_LENGTH + 1);
      while (i < stop && str.charCodeAt(i) !== CHAR_COMMA) i++;
      if (i - start > MAX_NAMESPACE_LENGTH) {
        throw new ProtocolError("INVALID_NAMESPACE", `namespace longer than ${MAX_NAMESPACE_LENGTH} characters`);
      }
      nsp = str.slice(start, i);
      if (i < len) i++; // skip the ","
    }

    // [SIO5:ack-id] A run of digits right before the payload, capped so the number is exact;
    // whatever follows must be valid JSON, so "2abc[…]" fails as a payload.
    let id: number | undefined;
    const idStart = i;
    while (i < len) {
      const c = str.charCodeAt(i);
      if (c < CHAR_0 || c > CHAR_9) break;
      i++;
      if (i - idStart > MAX_ACK_ID_DIGITS) {
        throw new ProtocolError("INVALID_ACK_ID", `ack id longer than ${MAX_ACK_ID_DIGITS} digits`);
      }
    }
    if (i > idStart) {
      id = Number(str.slice(idStart, i));
      if (!Number.isSafeInteger(id)) {
        throw new ProtocolError("INVALID_ACK_ID", "ack id is not a safe integer");
      }
    }

    // [SIO5:payload-json] The rest is one JSON value.
    let data: unknown;
    if (i < len) {
      try {
        data = JSON.parse(str.slice(i));
      } catch (cause) {
        throw new ProtocolError("INVALID_PAYLOAD", "payload is not valid JSON", { cause });
      }
    }

    validatePayload(type, data, id);

    const packet: Packet = { type, nsp };
    if (data !== undefined) packet.data = data;
    if (id !== undefined) packet.id = id;

    if (!isBinary) return packet;
    this.#pending = { packet, expected: attachments, buffers: [], size: len };
    return null;
  }

  #addAttachment(buffer: Buffer): Packet | null {
    const pending = this.#pending;
    // [SIO5:binary-attachments] Binary messages only ever follow a binary packet's text part.
    if (pending === null) {
      throw new ProtocolError("UNEXPECTED_BINARY", "binary message received with no binary packet pending");
    }
    pending.size += buffer.length;
    if (pending.size > this.#maxPacketSize) {
      throw new ProtocolError("PACKET_TOO_LARGE", "packet exceeds maxPacketSize");
    }
    pending.buffers.push(buffer);
    if (pending.buffers.length < pending.expected) return null;

    this.#pending = null;
    // [SIO5:binary-placeholder] Placeholders are validated here, against the full set.
    pending.packet.data = reconstruct(pending.packet.data, pending.buffers);
    return pending.packet;
  }
}
