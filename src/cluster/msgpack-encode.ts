/**
 * The MessagePack encoder behind {@link encode}.
 *
 * Encoding follows notepack.io's choices byte for byte (smallest integer format, float64 for
 * every non-integer, nil for undefined, map entries whose value is undefined or a function
 * left out, Buffers and ArrayBuffer views as bin, Dates as the timestamp extension, `toJSON`
 * honoured), so either side decodes what the other encodes to the same value.
 */
import { MAX_DEPTH, MsgpackError } from "./msgpack-error.ts";

const TIMESTAMP32_MAX_SEC = 0xffffffff;
const TIMESTAMP64_MAX_SEC = 0x3ffffffff;
const TWO_32 = 0x100000000;

/** The growable output of one encode call. */
class Writer {
  buf: Buffer;
  off = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.off++] = v & 0xff;
  }

  head(tag: number, len: number, bytes: 1 | 2 | 4): void {
    this.ensure(1 + bytes);
    this.buf[this.off++] = tag;
    if (bytes === 1) this.buf.writeUInt8(len, this.off);
    else if (bytes === 2) this.buf.writeUInt16BE(len, this.off);
    else this.buf.writeUInt32BE(len, this.off);
    this.off += bytes;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.off);
    this.off += src.length;
  }
}

/**
 * Encodes `value` as MessagePack.
 *
 * @throws {@link MsgpackError} for a BigInt or symbol without `toJSON`, a function outside a
 *   map, a string/bin/array/map over 2^32 - 1 long, or nesting deeper than {@link MAX_DEPTH}.
 *
 * @example
 * decode(encode(["uid", { type: 2, data: ["ev", 1] }])); // the same structure back
 */
export function encode(value: unknown): Buffer {
  const w = new Writer(256);
  write(w, value, 0);
  return Buffer.from(w.buf.buffer, w.buf.byteOffset, w.off);
}

function write(w: Writer, value: unknown, depth: number): void {
  switch (typeof value) {
    case "string":
      return writeString(w, value);
    case "number":
      return writeNumber(w, value);
    case "boolean":
      return w.u8(value ? 0xc3 : 0xc2);
    case "undefined":
      return w.u8(0xc0);
    case "object":
      if (value === null) return w.u8(0xc0);
      if (depth >= MAX_DEPTH) throw new MsgpackError(`nesting deeper than ${MAX_DEPTH}`);
      return writeObject(w, value, depth + 1);
    default:
      // BigInt, symbol, function: only through toJSON, as notepack does.
      return writeViaToJson(w, value, depth);
  }
}

function writeViaToJson(w: Writer, value: unknown, depth: number): void {
  const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  if (typeof toJSON === "function") return write(w, (toJSON as () => unknown).call(value), depth + 1);
  throw new MsgpackError(`cannot encode a value of type ${typeof value}`);
}

function writeString(w: Writer, s: string): void {
  const len = Buffer.byteLength(s, "utf8");
  if (len < 0x20) w.u8(0xa0 | len);
  else if (len < 0x100) w.head(0xd9, len, 1);
  else if (len < 0x10000) w.head(0xda, len, 2);
  else if (len < TWO_32) w.head(0xdb, len, 4);
  else throw new MsgpackError("string too long");
  w.ensure(len);
  w.off += w.buf.write(s, w.off, len, "utf8");
}

function writeNumber(w: Writer, n: number): void {
  if (!Number.isInteger(n)) {
    // NaN, ±Infinity and every fraction: float 64, as notepack (never float 32).
    w.ensure(9);
    w.buf[w.off++] = 0xcb;
    w.buf.writeDoubleBE(n, w.off);
    w.off += 8;
    return;
  }
  if (n >= 0) {
    if (n < 0x80) return w.u8(n);
    if (n < 0x100) return w.head(0xcc, n, 1);
    if (n < 0x10000) return w.head(0xcd, n, 2);
    if (n < TWO_32) return w.head(0xce, n, 4);
    return write64(w, 0xcf, Math.floor(n / TWO_32), n >>> 0);
  }
  if (n >= -0x20) return w.u8(n & 0xff);
  w.ensure(5);
  if (n >= -0x80) {
    w.buf[w.off++] = 0xd0;
    w.buf.writeInt8(n, w.off);
    w.off += 1;
  } else if (n >= -0x8000) {
    w.buf[w.off++] = 0xd1;
    w.buf.writeInt16BE(n, w.off);
    w.off += 2;
  } else if (n >= -0x80000000) {
    w.buf[w.off++] = 0xd2;
    w.buf.writeInt32BE(n, w.off);
    w.off += 4;
  } else {
    write64(w, 0xd3, Math.floor(n / TWO_32), n >>> 0);
  }
}

function write64(w: Writer, tag: number, hi: number, lo: number): void {
  w.ensure(9);
  w.buf[w.off++] = tag;
  w.buf.writeUInt32BE(hi >>> 0, w.off);
  w.buf.writeUInt32BE(lo >>> 0, w.off + 4);
  w.off += 8;
}

function writeObject(w: Writer, value: object, depth: number): void {
  if (Array.isArray(value)) {
    const len = value.length;
    if (len < 0x10) w.u8(0x90 | len);
    else if (len < 0x10000) w.head(0xdc, len, 2);
    else w.head(0xdd, len, 4);
    for (let i = 0; i < len; i++) write(w, value[i], depth);
    return;
  }
  if (value instanceof Date) return writeDate(w, value);
  if (ArrayBuffer.isView(value)) return writeBin(w, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return writeBin(w, new Uint8Array(value));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return write(w, (toJSON as () => unknown).call(value), depth);

  const record = value as Record<string, unknown>;
  const keys: string[] = [];
  for (const key of Object.keys(record)) {
    const v = record[key];
    // Left out, as JSON.stringify and notepack do.
    if (v !== undefined && typeof v !== "function") keys.push(key);
  }
  const len = keys.length;
  if (len < 0x10) w.u8(0x80 | len);
  else if (len < 0x10000) w.head(0xde, len, 2);
  else w.head(0xdf, len, 4);
  for (const key of keys) {
    writeString(w, key);
    write(w, record[key], depth);
  }
}

function writeBin(w: Writer, bytes: Uint8Array): void {
  const len = bytes.length;
  if (len < 0x100) w.head(0xc4, len, 1);
  else if (len < 0x10000) w.head(0xc5, len, 2);
  else if (len < TWO_32) w.head(0xc6, len, 4);
  else throw new MsgpackError("binary too long");
  w.bytes(bytes);
}

/** The timestamp extension (type -1), in the smallest of its three sizes, as notepack. */
function writeDate(w: Writer, date: Date): void {
  const ms = date.getTime();
  // An invalid Date has no instant: nil, as JSON.stringify gives null.
  if (Number.isNaN(ms)) return w.u8(0xc0);
  const s = Math.floor(ms / 1e3);
  const ns = (ms - s * 1e3) * 1e6;
  w.ensure(15);
  const b = w.buf;
  if (s >= 0 && ns >= 0 && s <= TIMESTAMP64_MAX_SEC) {
    if (ns === 0 && s <= TIMESTAMP32_MAX_SEC) {
      b[w.off++] = 0xd6;
      b[w.off++] = 0xff;
      b.writeUInt32BE(s, w.off);
      w.off += 4;
      return;
    }
    b[w.off++] = 0xd7;
    b[w.off++] = 0xff;
    // 30 bits of nanoseconds, then 34 bits of seconds.
    b.writeUInt32BE(((ns << 2) | Math.floor(s / TWO_32)) >>> 0, w.off);
    b.writeUInt32BE(s >>> 0, w.off + 4);
    w.off += 8;
    return;
  }
  b[w.off++] = 0xc7;
  b[w.off++] = 12;
  b[w.off++] = 0xff;
  b.writeUInt32BE(ns >>> 0, w.off);
  b.writeInt32BE(Math.floor(s / TWO_32), w.off + 4);
  b.writeUInt32BE(s >>> 0, w.off + 8);
  w.off += 12;
}
