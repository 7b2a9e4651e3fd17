/**
 * MessagePack for the Redis adapters: notepack.io, the codec `@socket.io/redis-adapter` and
 * `@socket.io/redis-emitter` use (same version range), so what roomcast publishes is byte for
 * byte what they publish (Buffers as bin, Dates as timestamps, undefined map values left out).
 *
 * notepack.io trusts its input: a 6-byte ext header claiming 4 GiB makes it allocate and loop
 * that long, and a `__proto__` key replaces the decoded object's prototype. Messages from Redis
 * are data from the network, so {@link decode} first walks the bytes without building anything
 * ({@link checkMsgpack}: every length within the bytes that remain, nesting bounded, no
 * `__proto__` key) and only then lets notepack.io decode them.
 */
import notepack from "notepack.io";

/** Deepest nesting of arrays and maps a received message may have. */
export const MAX_DEPTH = 512;

/** Why a buffer was refused before decoding. */
export class MsgpackError extends Error {
  /** @param message - what is wrong with the bytes. */
  constructor(message: string) {
    super(message);
    this.name = "MsgpackError";
  }
}

/**
 * Encodes `value` as notepack.io does.
 *
 * @throws on what msgpack cannot carry (a BigInt, a symbol) and on cycles (a RangeError).
 */
export function encode(value: unknown): Buffer {
  return notepack.encode(value) as Buffer;
}

/**
 * Decodes one message (bin as Buffer, maps as plain objects), after {@link checkMsgpack}.
 *
 * @throws MsgpackError on malformed, truncated or oversized input, or trailing bytes.
 */
export function decode(bytes: Buffer): unknown {
  checkMsgpack(bytes);
  return notepack.decode(bytes) as unknown;
}

const PROTO = Buffer.from("__proto__");

/** The shape of one encoded item: header bytes, payload bytes, and elements that follow. */
interface Item {
  /** Bytes of the header, payload included for fixed-size items. */
  head: number;
  /** Payload bytes after the header (str, bin, ext). */
  body: number;
  /** Elements that follow (array: n, map: 2n). */
  children: number;
}

function readLength(bytes: Buffer, at: number, size: 1 | 2 | 4): number {
  if (at + size > bytes.length) throw new MsgpackError("truncated");
  return size === 1 ? bytes[at] ?? 0 : size === 2 ? bytes.readUInt16BE(at) : bytes.readUInt32BE(at);
}

// Fixed payload sizes after the prefix byte: nil/bools 0, floats/ints/fixext as per the spec.
// prettier-ignore
const FIXED: Record<number, number> = {
  0xc0: 0, 0xc2: 0, 0xc3: 0, 0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8,
  0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9, 0xd8: 17,
};

function item(bytes: Buffer, at: number): Item {
  const prefix = bytes[at];
  if (prefix === undefined) throw new MsgpackError("truncated");
  if (prefix < 0x80 || prefix >= 0xe0) return { head: 1, body: 0, children: 0 };
  if (prefix < 0x90) return { head: 1, body: 0, children: 2 * (prefix & 0x0f) };
  if (prefix < 0xa0) return { head: 1, body: 0, children: prefix & 0x0f };
  if (prefix < 0xc0) return { head: 1, body: prefix & 0x1f, children: 0 };
  const fixed = FIXED[prefix];
  if (fixed !== undefined) return { head: 1 + fixed, body: 0, children: 0 };
  switch (prefix) {
    case 0xc4: case 0xd9: return { head: 2, body: readLength(bytes, at + 1, 1), children: 0 };
    case 0xc5: case 0xda: return { head: 3, body: readLength(bytes, at + 1, 2), children: 0 };
    case 0xc6: case 0xdb: return { head: 5, body: readLength(bytes, at + 1, 4), children: 0 };
    // ext 8/16/32: the type byte follows the length.
    case 0xc7: return { head: 3, body: readLength(bytes, at + 1, 1), children: 0 };
    case 0xc8: return { head: 4, body: readLength(bytes, at + 1, 2), children: 0 };
    case 0xc9: return { head: 6, body: readLength(bytes, at + 1, 4), children: 0 };
    case 0xdc: return { head: 3, body: 0, children: readLength(bytes, at + 1, 2) };
    case 0xdd: return { head: 5, body: 0, children: readLength(bytes, at + 1, 4) };
    case 0xde: return { head: 3, body: 0, children: 2 * readLength(bytes, at + 1, 2) };
    case 0xdf: return { head: 5, body: 0, children: 2 * readLength(bytes, at + 1, 4) };
    default: throw new MsgpackError(`unknown format byte 0x${prefix.toString(16)}`);
  }
}

/**
 * Checks that `bytes` hold exactly one well-formed MessagePack value that notepack.io can
 * decode in time and memory proportional to its length. Iterative: a stack of element counts,
 * so hostile nesting cannot overflow the call stack here.
 *
 * @throws MsgpackError when it does not.
 */
export function checkMsgpack(bytes: Buffer): void {
  // Per open container: elements still to read, and whether it is a map (keys at even counts).
  const remaining: number[] = [];
  const isMap: boolean[] = [];
  let at = 0;
  do {
    const top = remaining.length - 1;
    const start = at;
    const prefix = bytes[start] ?? 0;
    const { head, body, children } = item(bytes, start);
    at += head + body;
    if (at > bytes.length) throw new MsgpackError("truncated");
    if (top >= 0) {
      // notepack.io assigns `object[key]`: a non-string key is stringified (an array ["x"]
      // becomes "x"), and "__proto__" would replace the prototype. Objects only have string keys.
      if (isMap[top] === true && (remaining[top] ?? 0) % 2 === 0) {
        if (!isStrPrefix(prefix)) throw new MsgpackError("a map key that is not a string");
        if (body === PROTO.length && bytes.subarray(start + head, at).equals(PROTO)) throw new MsgpackError("a map key __proto__");
      }
      remaining[top] = (remaining[top] ?? 0) - 1;
    }
    if (children > 0) {
      // Each element takes at least one byte: a count beyond the bytes left is a lie.
      if (children > bytes.length - at) throw new MsgpackError("truncated");
      if (remaining.length >= MAX_DEPTH) throw new MsgpackError(`nesting deeper than ${MAX_DEPTH}`);
      remaining.push(children);
      isMap.push(isMapPrefix(prefix));
    }
    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) {
      remaining.pop();
      isMap.pop();
    }
  } while (remaining.length > 0);
  if (at !== bytes.length) throw new MsgpackError(`${bytes.length - at} trailing bytes`);
}

function isStrPrefix(prefix: number): boolean {
  return (prefix >= 0xa0 && prefix < 0xc0) || prefix === 0xd9 || prefix === 0xda || prefix === 0xdb;
}

function isMapPrefix(prefix: number): boolean {
  return (prefix >= 0x80 && prefix < 0x90) || prefix === 0xde || prefix === 0xdf;
}
