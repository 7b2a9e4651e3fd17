/**
 * WebSocket frames built by hand for a raw TCP socket (RFC 6455 §5.2), so that a client frame can
 * be wrong: unmasked, with reserved bits or opcodes, a length that lies.
 */

/** What to put in a frame header. */
export interface FrameSpec {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  /** RSV1-3 bits (0-7). */
  rsv?: number;
  /** Clients must mask; false sends an unmasked frame (a protocol error). */
  mask?: boolean;
}

/** A fixed masking key: deterministic bytes on the wire, replayable from a seed. */
const MASK = [0x37, 0xfa, 0x21, 0x3d];

/** Encodes one client frame. */
export function clientFrame(spec: FrameSpec): Buffer {
  const { opcode, payload, fin = true, rsv = 0, mask = true } = spec;
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len < 65_536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  head[1] = (mask ? 0x80 : 0) | (lenBytes === 0 ? len : lenBytes === 2 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  else if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  const body = Buffer.from(payload);
  if (mask) {
    MASK.forEach((b, i) => (head[2 + lenBytes + i] = b));
    for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (MASK[i % 4] as number);
  }
  return Buffer.concat([head, body]);
}

/** A masked text frame. */
export function textFrame(text: string): Buffer {
  return clientFrame({ opcode: 1, payload: Buffer.from(text) });
}
