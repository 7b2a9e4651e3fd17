/**
 * The MessagePack decoder behind {@link decode}: bounds-checked, depth-limited, allocation
 * checked against the input's remaining bytes. Results match notepack.io's: bin → Buffer (a
 * view, no copy), timestamp extension → Date, notepack's legacy fixext 0 → undefined, other
 * extensions → `[type, Buffer]`, map keys as strings.
 */
import { MAX_DEPTH, MsgpackError } from "./msgpack-error.ts";

const TWO_32 = 0x100000000;

class Reader {
  readonly buf: Buffer;
  off = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** Throws unless `n` more bytes are there: the check every read and allocation follows. */
  need(n: number): void {
    if (this.off + n > this.buf.length) throw new MsgpackError("truncated input");
  }

  u8(): number {
    this.need(1);
    return this.buf[this.off++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  bin(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  str(n: number): string {
    this.need(n);
    const v = this.buf.toString("utf8", this.off, this.off + n);
    this.off += n;
    return v;
  }
}

/**
 * Decodes one MessagePack value that must span the whole buffer.
 *
 * @throws {@link MsgpackError} on truncated input, trailing bytes, an unknown format byte,
 *   or nesting deeper than {@link MAX_DEPTH}.
 *
 * @example
 * decode(Buffer.from([0x92, 0x01, 0xa1, 0x61])); // [1, "a"]
 */
export function decode(buf: Buffer): unknown {
  const r = new Reader(buf);
  const value = read(r, 0);
  if (r.off !== buf.length) throw new MsgpackError(`${buf.length - r.off} trailing bytes`);
  return value;
}

function read(r: Reader, depth: number): unknown {
  const b = r.u8();
  if (b < 0x80) return b;
  if (b >= 0xe0) return b - 0x100;
  if (b < 0x90) return readMap(r, b & 0x0f, depth);
  if (b < 0xa0) return readArray(r, b & 0x0f, depth);
  if (b < 0xc0) return r.str(b & 0x1f);
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return r.bin(r.u8());
    case 0xc5:
      return r.bin(r.u16());
    case 0xc6:
      return r.bin(r.u32());
    case 0xc7:
      return readExt(r, r.u8());
    case 0xc8:
      return readExt(r, r.u16());
    case 0xc9:
      return readExt(r, r.u32());
    case 0xca: {
      r.need(4);
      const v = r.buf.readFloatBE(r.off);
      r.off += 4;
      return v;
    }
    case 0xcb: {
      r.need(8);
      const v = r.buf.readDoubleBE(r.off);
      r.off += 8;
      return v;
    }
    case 0xcc:
      return r.u8();
    case 0xcd:
      return r.u16();
    case 0xce:
      return r.u32();
    case 0xcf:
      return r.u32() * TWO_32 + r.u32();
    case 0xd0:
      return (r.u8() << 24) >> 24;
    case 0xd1:
      return (r.u16() << 16) >> 16;
    case 0xd2:
      return r.u32() | 0;
    case 0xd3:
      return (r.u32() | 0) * TWO_32 + r.u32();
    case 0xd4:
      return readExt(r, 1);
    case 0xd5:
      return readExt(r, 2);
    case 0xd6:
      return readExt(r, 4);
    case 0xd7:
      return readExt(r, 8);
    case 0xd8:
      return readExt(r, 16);
    case 0xd9:
      return r.str(r.u8());
    case 0xda:
      return r.str(r.u16());
    case 0xdb:
      return r.str(r.u32());
    case 0xdc:
      return readArray(r, r.u16(), depth);
    case 0xdd:
      return readArray(r, r.u32(), depth);
    case 0xde:
      return readMap(r, r.u16(), depth);
    case 0xdf:
      return readMap(r, r.u32(), depth);
    default:
      // 0xc1 is "never used" in the spec.
      throw new MsgpackError(`unknown format byte 0x${b.toString(16)}`);
  }
}

function readArray(r: Reader, len: number, depth: number): unknown[] {
  if (depth >= MAX_DEPTH) throw new MsgpackError(`nesting deeper than ${MAX_DEPTH}`);
  // Each element takes at least one byte: a claimed length beyond that is a lie, caught
  // before the array is allocated.
  r.need(len);
  const out = new Array<unknown>(len);
  for (let i = 0; i < len; i++) out[i] = read(r, depth + 1);
  return out;
}

function readMap(r: Reader, len: number, depth: number): Record<string, unknown> {
  if (depth >= MAX_DEPTH) throw new MsgpackError(`nesting deeper than ${MAX_DEPTH}`);
  r.need(len * 2);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < len; i++) {
    const key = String(read(r, depth + 1));
    const value = read(r, depth + 1);
    if (key === "__proto__") {
      // A plain assignment would replace the object's prototype instead of adding a key.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** An extension value of `len` data bytes (its type byte comes first). */
function readExt(r: Reader, len: number): unknown {
  r.need(1);
  const type = r.buf.readInt8(r.off);
  r.off += 1;
  if (type === -1) return readTimestamp(r, len);
  if (type === 0 && len === 1) {
    // notepack's old encoding of undefined: fixext 1, type 0, one padding byte.
    r.bin(1);
    return undefined;
  }
  return [type, r.bin(len)];
}

function readTimestamp(r: Reader, len: number): Date {
  if (len === 4) return new Date(r.u32() * 1e3);
  if (len === 8) {
    const hi = r.u32();
    const lo = r.u32();
    const s = (hi & 0x3) * TWO_32 + lo;
    return new Date(s * 1e3 + (hi >>> 2) / 1e6);
  }
  if (len === 12) {
    const ns = r.u32();
    const hi = r.u32() | 0;
    const lo = r.u32();
    return new Date((hi * TWO_32 + lo) * 1e3 + ns / 1e6);
  }
  throw new MsgpackError(`timestamp extension of ${len} bytes`);
}
