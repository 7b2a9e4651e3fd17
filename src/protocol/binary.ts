/**
 * Binary payload handling: finding binary values in event arguments, swapping them for
 * placeholders before encoding, and putting the received attachments back after decoding.
 *
 * [SIO5:binary-placeholder] A binary packet carries its JSON with each binary value replaced by
 * `{"_placeholder":true,"num":N}`, N counting from 0 in order of appearance; the N-th binary
 * attachment (sent as its own Engine.IO binary message) is the value that goes there.
 *
 * All walks mirror what JSON.stringify would serialise (array items 0..length-1, own enumerable
 * string keys, `toJSON` applied first), so the encoder finds exactly the binaries that would
 * otherwise have been mangled into `{"type":"Buffer","data":[…]}`.
 */
import { ProtocolError } from "./errors.ts";

/**
 * [SIO5:binary-placeholder] Deepest nesting level the walks look into. Deeper values are treated as containing no binary
 * (and no placeholders), so a hostile or accidental deep structure cannot overflow the stack.
 * Encoder and decoder use the same limit, so anything that round-trips stays consistent.
 */
export const MAX_BINARY_DEPTH = 1000;

/** The binary value kinds the codec sends as attachments. */
export type BinaryLike = ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

/** The placeholder object that stands for attachment `num` in a binary packet's JSON. */
export interface BinaryPlaceholder {
  _placeholder: true;
  num: number;
}

/** Result of {@link deconstruct}. */
export interface DeconstructedData {
  /** The input with every binary value swapped for a {@link BinaryPlaceholder}. */
  data: unknown;
  /** The binary values as Buffers, in placeholder order (index = `num`). */
  attachments: Buffer[];
}

/**
 * Whether a value is sent as a binary attachment: a Buffer, an ArrayBuffer/SharedArrayBuffer,
 * or any ArrayBuffer view (TypedArray, DataView).
 *
 * @param value - any value.
 */
export function isBinary(value: unknown): value is BinaryLike {
  // isView first: it covers Buffer and every TypedArray/DataView, and works across realms.
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof SharedArrayBuffer
  );
}

/**
 * Whether `value` contains binary anywhere JSON.stringify would look, down to
 * {@link MAX_BINARY_DEPTH} levels. Stops at the first binary found.
 *
 * @param value - typically an EVENT's `[name, ...args]` or an ACK's args.
 */
export function hasBinary(value: unknown): boolean {
  return containsBinary(value, "", 0);
}

/**
 * Swap every binary value in `data` for a placeholder and collect the binaries as Buffers.
 *
 * The input is never modified: containers on the path to a binary are shallow-copied, and
 * subtrees without binary are shared as-is (the result is only read, by JSON.stringify).
 * ArrayBuffers and views are wrapped as Buffers over the same memory, not copied.
 *
 * @param data - the payload to deconstruct.
 */
export function deconstruct(data: unknown): DeconstructedData {
  const attachments: Buffer[] = [];
  const out = replaceBinaries(data, "", 0, attachments);
  return { data: out, attachments };
}

/**
 * Put attachments back in place of their placeholders in a decoded binary packet's payload.
 *
 * Strict [SIO5:binary-placeholder]: an object with `_placeholder: true` must have exactly the
 * keys `_placeholder` and `num`, `num` must be an integer in `[0, attachments.length)`, each
 * attachment must be referenced exactly once. Anything else throws INVALID_PLACEHOLDER. The
 * input is not modified; containers holding a placeholder are shallow-copied.
 *
 * @param data - the JSON payload as parsed from the packet's text part.
 * @param attachments - the Buffers received after the text part, in order.
 * @throws {@link ProtocolError} INVALID_PLACEHOLDER.
 */
export function reconstruct(data: unknown, attachments: readonly Buffer[]): unknown {
  const used = new Uint8Array(attachments.length);
  const out = fillPlaceholders(data, 0, attachments, used);
  // An unreferenced attachment means sender and receiver disagree on the packet's layout.
  const unused = used.indexOf(0);
  if (unused !== -1) {
    throw new ProtocolError("INVALID_PLACEHOLDER", `attachment ${unused} is never referenced`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Keys of a container as JSON.stringify passes them to `toJSON`: numbers for array items. */
type Key = string | number;

/**
 * What JSON.stringify would serialise in place of `value`: the result of its `toJSON` method
 * if it has one, else `value` itself. (Date is the common case; Buffer also has `toJSON`, so
 * callers check for binary before calling this.)
 */
function applyToJSON(value: object, key: Key): unknown {
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== "function") return value;
  // JSON.stringify passes the property key as a string ("" at the root).
  const result: unknown = Reflect.apply(toJSON, value, [String(key)]);
  return result;
}

function containsBinary(value: unknown, key: Key, depth: number): boolean {
  if (typeof value !== "object" || value === null || depth > MAX_BINARY_DEPTH) return false;
  if (isBinary(value)) return true;
  const serialised = applyToJSON(value, key);
  if (serialised !== value) {
    if (typeof serialised !== "object" || serialised === null) return false;
    if (isBinary(serialised)) return true;
  }
  return childrenContainBinary(serialised as object, depth + 1);
}

function childrenContainBinary(container: object, depth: number): boolean {
  if (Array.isArray(container)) {
    const items: readonly unknown[] = container;
    for (let i = 0; i < items.length; i++) {
      if (containsBinary(items[i], i, depth)) return true;
    }
    return false;
  }
  const record = container as Record<string, unknown>;
  // for…in + hasOwn visits the same keys as Object.keys without allocating the key array.
  for (const key in record) {
    if (Object.hasOwn(record, key) && containsBinary(record[key], key, depth)) return true;
  }
  return false;
}

/** Shallow-wrap a binary value as a Buffer sharing its memory. */
function toBuffer(value: BinaryLike): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (ArrayBuffer.isView(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return Buffer.from(value);
}

/** Returns `value` itself when nothing below it changed, else a rewritten copy. */
function replaceBinaries(value: unknown, key: Key, depth: number, out: Buffer[]): unknown {
  if (typeof value !== "object" || value === null || depth > MAX_BINARY_DEPTH) return value;
  if (isBinary(value)) return makePlaceholder(value, out);
  const serialised = applyToJSON(value, key);
  if (serialised !== value) {
    // A primitive toJSON result serialises identically whether we keep it or the original.
    if (typeof serialised !== "object" || serialised === null) return value;
    if (isBinary(serialised)) return makePlaceholder(serialised, out);
  }
  const replaced = replaceInChildren(serialised as object, depth + 1, out);
  // Nothing replaced: keep the original so JSON.stringify sees exactly what the user passed.
  return replaced ?? value;
}

function makePlaceholder(value: BinaryLike, out: Buffer[]): BinaryPlaceholder {
  const placeholder: BinaryPlaceholder = { _placeholder: true, num: out.length };
  out.push(toBuffer(value));
  return placeholder;
}

/** Copy-on-write over a container's children; `undefined` when no child changed. */
function replaceInChildren(container: object, depth: number, out: Buffer[]): object | undefined {
  if (Array.isArray(container)) {
    const items: readonly unknown[] = container;
    let copy: unknown[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const child = items[i];
      if (typeof child !== "object" || child === null) continue;
      const next = replaceBinaries(child, i, depth, out);
      if (next !== child) {
        copy ??= items.slice();
        copy[i] = next;
      }
    }
    return copy;
  }
  const record = container as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (typeof child !== "object" || child === null) continue;
    const next = replaceBinaries(child, key, depth, out);
    if (next !== child) {
      copy ??= { ...record };
      setOwn(copy, key, next);
    }
  }
  return copy;
}

function fillPlaceholders(
  value: unknown,
  depth: number,
  attachments: readonly Buffer[],
  used: Uint8Array,
): unknown {
  if (typeof value !== "object" || value === null || depth > MAX_BINARY_DEPTH) return value;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    let copy: unknown[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const child = items[i];
      if (typeof child !== "object" || child === null) continue;
      const next = fillPlaceholders(child, depth + 1, attachments, used);
      if (next !== child) {
        copy ??= items.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, "_placeholder") && record["_placeholder"] === true) {
    return resolvePlaceholder(record, attachments, used);
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (typeof child !== "object" || child === null) continue;
    const next = fillPlaceholders(child, depth + 1, attachments, used);
    if (next !== child) {
      copy ??= { ...record };
      setOwn(copy, key, next);
    }
  }
  return copy ?? value;
}

function resolvePlaceholder(
  record: Record<string, unknown>,
  attachments: readonly Buffer[],
  used: Uint8Array,
): Buffer {
  // Extra keys would mean either a malformed placeholder or user data shaped like one; in a
  // binary packet we cannot tell which, so refuse rather than guess.
  if (Object.keys(record).length !== 2 || !Object.hasOwn(record, "num")) {
    throw new ProtocolError("INVALID_PLACEHOLDER", "placeholder must have exactly _placeholder and num");
  }
  const num = record["num"];
  if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= attachments.length) {
    throw new ProtocolError("INVALID_PLACEHOLDER", "placeholder num out of range");
  }
  // Senders emit one attachment per occurrence, so a reused number is a malformed packet.
  if (used[num] === 1) {
    throw new ProtocolError("INVALID_PLACEHOLDER", `attachment ${num} is referenced twice`);
  }
  used[num] = 1;
  const attachment = attachments[num];
  if (attachment === undefined) {
    throw new ProtocolError("INVALID_PLACEHOLDER", "placeholder num out of range");
  }
  return attachment;
}

/**
 * Assign an own data property. Plain assignment to "__proto__" (a legal JSON key) would set
 * the object's prototype instead, so that one key goes through defineProperty.
 */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
