/**
 * WebSocket frames built by roomcast itself, so that one broadcast's frame is built once and
 * the same Buffers are written to every recipient (ws would re-encode the string and rebuild
 * the header per recipient). Only valid for connections without per-message compression.
 *
 * [EIO4:websocket-framing] Each Engine.IO packet is one WebSocket message: a text packet is a
 * text frame holding its type digit then its data (`4hello`); a binary message is a binary
 * frame holding the raw bytes, with no type prefix.
 */
import { FrameBatch, type BatchMember } from "./frame-batch.ts";
import { pollingPartOf } from "./polling-part.ts";
import type { EnginePacket, EnginePacketType } from "./transport.ts";

/** Engine.IO v4 type digits, as character codes. */
const TYPE_CODE: Readonly<Record<EnginePacketType, number>> = {
  open: 0x30,
  close: 0x31,
  ping: 0x32,
  pong: 0x33,
  message: 0x34,
  upgrade: 0x35,
  noop: 0x36,
  error: 0x34, // never sent: servers do not write "error" packets
};

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const FIN = 0x80;

/** Length of an unmasked server frame header for a payload of `length` bytes (RFC 6455 §5.2). */
function headerLength(length: number): number {
  if (length < 126) return 2;
  if (length < 65536) return 4;
  return 10;
}

/** Writes an unmasked frame header at the start of `target`; returns its length. */
function writeHeader(target: Buffer, opcode: number, length: number): number {
  target[0] = FIN | opcode;
  if (length < 126) {
    target[1] = length;
    return 2;
  }
  if (length < 65536) {
    target[1] = 126;
    target.writeUInt16BE(length, 2);
    return 4;
  }
  target[1] = 127;
  // Payloads are bounded far below 2^53 (maxBufferedBytes), so the high word is the quotient.
  target.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
  target.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/**
 * The frame of one packet: one Buffer for a text packet (header and payload together), or a
 * header and the caller's own bytes for a binary message (not copied).
 */
export function buildFrame(packet: EnginePacket): Buffer[] {
  const data = packet.data;
  if (Buffer.isBuffer(data)) {
    const header = Buffer.allocUnsafe(headerLength(data.length));
    writeHeader(header, OPCODE_BINARY, data.length);
    return [header, data];
  }
  const text = data ?? "";
  const payloadLength = 1 + Buffer.byteLength(text, "utf8");
  const frame = Buffer.allocUnsafe(headerLength(payloadLength) + payloadLength);
  const offset = writeHeader(frame, OPCODE_TEXT, payloadLength);
  frame[offset] = TYPE_CODE[packet.type];
  frame.write(text, offset + 1, "utf8");
  return [frame];
}

/**
 * An Engine.IO message shared by every recipient of one broadcast. The first WebSocket
 * recipient builds its frame; the others write the very same Buffers.
 */
export class SharedMessage implements EnginePacket {
  readonly type = "message" as const;
  /** Tells a shared message from a session's own packet ({@link frameOf}) without `instanceof`. */
  readonly shared = true as const;
  /** The WebSocket frame, once a WebSocket recipient has needed it. */
  private frame: Buffer[] | undefined = undefined;
  /** The polling form (see polling-part.ts), once a polling recipient has needed it. */
  private polling: Buffer | undefined = undefined;
  /** @internal The recipients to be written the frame at the end of the tick (frame-batch.ts), if any. */
  batch: FrameBatch | null = null;

  /**
   * @param data - the message: text, or the bytes of a binary attachment.
   * @param options - write options shared by every recipient.
   */
  constructor(
    readonly data: string | Buffer,
    readonly options: { readonly compress: boolean },
  ) {}

  /** The frame, built on first use. */
  wsFrame(): Buffer[] {
    return (this.frame ??= buildFrame(this));
  }

  /**
   * Puts `member` in this message's batch, opening one if none is pending (frame-batch.ts). A
   * method rather than a function of frame-batch.ts: an imported function is read through a
   * checked cell at every call, and this runs once per recipient.
   *
   * @returns the batch's id, for the member's {@link BatchMember.batchId}.
   */
  joinBatch(member: BatchMember): number {
    let batch = this.batch;
    if (batch === null || batch.done === true) batch = this.batch = FrameBatch.open(this);
    batch.add(member);
    return batch.id;
  }

  /** The polling form, built on first use (shared by every polling recipient; never modified). */
  pollingPart(): Buffer {
    return (this.polling ??= pollingPartOf(this));
  }
}

/**
 * Whether `packet` is a broadcast's {@link SharedMessage}. A field test rather than
 * `instanceof`: this runs once per recipient of every broadcast, and V8 only turns
 * `instanceof SharedMessage` into a plain map check when it can prove the class object's shape;
 * when it cannot, every recipient paid a generic `InstanceOf` call (~200 instructions, seen
 * with callgrind as one call per delivered message).
 */
function isShared(packet: EnginePacket): packet is SharedMessage {
  return (packet as { readonly shared?: unknown }).shared === true;
}

/** The frame of `packet`, from the shared cache when it is a broadcast's message. */
export function frameOf(packet: EnginePacket): Buffer[] {
  return isShared(packet) ? packet.wsFrame() : buildFrame(packet);
}
