import { describe, it, expect } from "vitest";
import {
  MAX_BINARY_DEPTH,
  ProtocolError,
  deconstruct,
  hasBinary,
  isBinary,
  reconstruct,
} from "../../src/protocol/index.ts";
import type { ProtocolErrorCode } from "../../src/protocol/index.ts";

function codeOf(fn: () => unknown): ProtocolErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error("expected a ProtocolError, nothing was thrown");
}

/** `levels` arrays nested inside each other, with `leaf` at the bottom. */
function nest(levels: number, leaf: unknown): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const placeholder = (num: number): { _placeholder: true; num: number } => ({ _placeholder: true, num });

describe("isBinary / hasBinary [SIO5:binary-placeholder]", () => {
  it("[SIO5:binary-placeholder] recognises every binary kind", () => {
    const kinds: unknown[] = [
      Buffer.from([1]),
      new ArrayBuffer(2),
      new SharedArrayBuffer(2),
      new Uint8Array(1),
      new Int32Array(1),
      new Float64Array(1),
      new BigInt64Array(1),
      new DataView(new ArrayBuffer(1)),
    ];
    for (const kind of kinds) {
      expect(isBinary(kind)).toBe(true);
      expect(hasBinary(kind)).toBe(true);
    }
  });

  it("[SIO5:binary-placeholder] finds nothing in plain JSON values", () => {
    for (const value of [undefined, null, 1, "s", true, [], {}, ["a", { b: [1, null] }], new Date(0)]) {
      expect(hasBinary(value)).toBe(false);
    }
  });

  it("[SIO5:binary-placeholder] finds binary nested in arrays and objects", () => {
    expect(hasBinary(["e", { a: { b: [1, 2, new Uint16Array(1)] } }])).toBe(true);
    expect(hasBinary({ x: [{ y: new ArrayBuffer(0) }] })).toBe(true);
  });

  it("[SIO5:binary-placeholder] applies toJSON first, like JSON.stringify", () => {
    // toJSON hides a Buffer: JSON would never see it.
    expect(hasBinary({ buf: Buffer.from([1]), toJSON: () => ({ safe: true }) })).toBe(false);
    // toJSON reveals one.
    expect(hasBinary({ toJSON: () => ({ buf: Buffer.from([1]) }) })).toBe(true);
    expect(hasBinary([{ toJSON: () => new Uint8Array(1) }])).toBe(true);
  });

  it("[SIO5:binary-placeholder] looks down to MAX_BINARY_DEPTH and treats deeper as no binary", () => {
    expect(hasBinary(nest(MAX_BINARY_DEPTH, Buffer.from([1])))).toBe(true);
    expect(hasBinary(nest(MAX_BINARY_DEPTH + 1, Buffer.from([1])))).toBe(false);
  });

  it("[SIO5:binary-placeholder] does not overflow the stack on very deep nesting", () => {
    const deep = nest(200_000, Buffer.from([1]));
    expect(hasBinary(deep)).toBe(false);
    expect(deconstruct(deep).attachments).toEqual([]);
  });
});

describe("deconstruct [SIO5:binary-placeholder]", () => {
  it("[SIO5:binary-placeholder] replaces binaries in order of appearance", () => {
    const a = Buffer.from([1]);
    const b = Buffer.from([2]);
    const { data, attachments } = deconstruct(["e", a, { x: [b] }]);
    expect(data).toEqual(["e", placeholder(0), { x: [placeholder(1)] }]);
    expect(attachments[0]).toBe(a);
    expect(attachments[1]).toBe(b);
  });

  it("[SIO5:binary-placeholder] wraps ArrayBuffers and views without copying", () => {
    const ab = new ArrayBuffer(4);
    const backing = new ArrayBuffer(16);
    const view = new Float32Array(backing, 4, 2);
    const dv = new DataView(backing, 12, 4);
    const { attachments } = deconstruct([ab, view, dv]);
    expect(attachments.every((att) => Buffer.isBuffer(att))).toBe(true);
    const [fromAb, fromView, fromDv] = attachments;
    expect(fromAb?.buffer).toBe(ab);
    expect(fromAb?.byteLength).toBe(4);
    expect(fromView?.buffer).toBe(backing);
    expect([fromView?.byteOffset, fromView?.byteLength]).toEqual([4, 8]);
    expect(fromDv?.buffer).toBe(backing);
    expect([fromDv?.byteOffset, fromDv?.byteLength]).toEqual([12, 4]);
    // Same memory: a write through the original shows up in the attachment.
    view[0] = 1;
    expect(fromView?.readFloatLE(0)).toBe(1);
  });

  it("[SIO5:binary-placeholder] does not mutate the input and shares untouched subtrees", () => {
    const untouched = { big: [1, 2, 3] };
    const withBin = { buf: Buffer.from([7]), other: "x" };
    const input = ["e", untouched, withBin];
    const { data } = deconstruct(input);
    expect(input[2]).toBe(withBin);
    expect(Buffer.isBuffer(withBin.buf)).toBe(true);
    expect(data).not.toBe(input);
    expect((data as unknown[])[1]).toBe(untouched);
    expect((data as unknown[])[2]).toEqual({ buf: placeholder(0), other: "x" });
  });

  it("[SIO5:binary-placeholder] returns the very same value when there is no binary", () => {
    const input = ["e", { a: [1, { b: 2 }] }, new Date(0)];
    const { data, attachments } = deconstruct(input);
    expect(data).toBe(input);
    expect(attachments).toEqual([]);
  });

  it("[SIO5:binary-placeholder] uses the toJSON result when it contains binary", () => {
    const obj = { toJSON: () => ({ payload: Buffer.from([3]) }) };
    const { data, attachments } = deconstruct(["e", obj]);
    expect(data).toEqual(["e", { payload: placeholder(0) }]);
    expect(attachments).toEqual([Buffer.from([3])]);
  });

  it("[SIO5:binary-placeholder] keeps a '__proto__' own key as data, not as a prototype", () => {
    const input: unknown = JSON.parse('{"__proto__":{"x":1},"a":1}');
    (input as Record<string, unknown>)["b"] = Buffer.from([1]);
    const { data } = deconstruct(input);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(JSON.stringify(data)).toBe('{"__proto__":{"x":1},"a":1,"b":{"_placeholder":true,"num":0}}');
  });
});

describe("reconstruct [SIO5:binary-placeholder]", () => {
  it("[SIO5:binary-placeholder] puts attachments back at any depth", () => {
    const a = Buffer.from([1]);
    const b = Buffer.from([2]);
    const out = reconstruct(["e", { x: [placeholder(1)] }, placeholder(0)], [a, b]);
    expect(out).toEqual(["e", { x: [b] }, a]);
    const arr = out as unknown[];
    expect(arr[2]).toBe(a);
  });

  it("[SIO5:binary-placeholder] does not mutate its input", () => {
    const input = ["e", { p: placeholder(0) }];
    const snapshot = JSON.stringify(input);
    reconstruct(input, [Buffer.from([1])]);
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  it("[SIO5:binary-placeholder] leaves look-alikes without _placeholder: true alone", () => {
    const out = reconstruct(["e", { _placeholder: false, num: 0 }, { num: 0 }, placeholder(0)], [Buffer.from([1])]);
    expect(out).toEqual(["e", { _placeholder: false, num: 0 }, { num: 0 }, Buffer.from([1])]);
  });

  it("[SIO5:binary-placeholder] rejects a num that is not an integer in range", () => {
    const atts = [Buffer.from([1])];
    for (const num of [1, -1, 0.5, "0", null, Number.NaN]) {
      expect(codeOf(() => reconstruct([{ _placeholder: true, num }], atts))).toBe("INVALID_PLACEHOLDER");
    }
  });

  it("[SIO5:binary-placeholder] rejects missing num and extra keys", () => {
    const atts = [Buffer.from([1])];
    expect(codeOf(() => reconstruct([{ _placeholder: true }], atts))).toBe("INVALID_PLACEHOLDER");
    expect(codeOf(() => reconstruct([{ _placeholder: true, num: 0, extra: 1 }], atts))).toBe("INVALID_PLACEHOLDER");
    expect(codeOf(() => reconstruct([{ _placeholder: true, nun: 0 }], atts))).toBe("INVALID_PLACEHOLDER");
  });

  it("[SIO5:binary-placeholder] rejects unused and reused attachments", () => {
    const two = [Buffer.from([1]), Buffer.from([2])];
    expect(codeOf(() => reconstruct([placeholder(0)], two))).toBe("INVALID_PLACEHOLDER");
    expect(codeOf(() => reconstruct([placeholder(0), placeholder(0), placeholder(1)], two))).toBe("INVALID_PLACEHOLDER");
  });

  it("[SIO5:binary-placeholder] ignores placeholders deeper than MAX_BINARY_DEPTH (so the attachment is unused)", () => {
    const atts = [Buffer.from([1])];
    expect(reconstruct(nest(MAX_BINARY_DEPTH, placeholder(0)), atts)).toEqual(nest(MAX_BINARY_DEPTH, atts[0]));
    expect(codeOf(() => reconstruct(nest(MAX_BINARY_DEPTH + 1, placeholder(0)), atts))).toBe("INVALID_PLACEHOLDER");
  });

  it("[SIO5:binary-placeholder] keeps a '__proto__' own key as data when rebuilding", () => {
    const input: unknown = JSON.parse('{"__proto__":{"polluted":true},"p":{"_placeholder":true,"num":0}}');
    const out = reconstruct(input, [Buffer.from([1])]) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(out["p"]).toEqual(Buffer.from([1]));
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("[SIO5:binary-placeholder] round-trips deconstruct → JSON → reconstruct", () => {
    const input = ["e", { a: Buffer.from("x"), b: [new Uint8Array([1, 2]), { c: new ArrayBuffer(1) }] }, 3];
    const { data, attachments } = deconstruct(input);
    const parsed: unknown = JSON.parse(JSON.stringify(data));
    expect(reconstruct(parsed, attachments)).toEqual([
      "e",
      { a: Buffer.from("x"), b: [Buffer.from([1, 2]), { c: Buffer.from([0]) }] },
      3,
    ]);
  });
});
