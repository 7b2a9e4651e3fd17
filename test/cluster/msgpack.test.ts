/**
 * The MessagePack codec against notepack.io (what @socket.io/redis-adapter and
 * @socket.io/redis-emitter use): byte-identical encodings, round trips both ways, and bounded
 * decoding of malformed input.
 */
import { describe, expect, it } from "vitest";
import notepack from "notepack.io";
import { decode, encode, MAX_DEPTH, MsgpackError } from "../../src/cluster/msgpack.ts";

const samples: Array<[string, unknown]> = [
  ["nil", null],
  ["booleans", [true, false]],
  ["positive fixint edges", [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]],
  ["negative int edges", [-1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1]],
  ["floats", [0.5, -1.25, Math.PI, 1e300, -1e-300, Number.MAX_VALUE]],
  ["strings of every header size", ["", "a", "x".repeat(31), "x".repeat(32), "y".repeat(255), "y".repeat(256), "z".repeat(70000)]],
  ["utf-8", ["é", "€", "😀 emoji", "中文字符", "\u0000nul"]],
  ["arrays of every header size", [[], [1, 2, 3], new Array(16).fill(7), new Array(70000).fill(1)]],
  ["maps", { a: 1, b: "two", c: [3], d: { e: null }, many: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])) }],
  ["buffers", [Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.alloc(300, 9), Buffer.alloc(70000, 5)]],
  [
    "a broadcast as the redis adapter publishes it",
    ["ab12cd", { type: 2, data: ["chat", { text: "hi", n: 3 }, Buffer.from("bin")], nsp: "/" }, { rooms: ["r1"], except: ["sid"], flags: { volatile: true } }],
  ],
  ["dates (timestamp 32, 64 and 96)", [new Date(0), new Date(1700000000000), new Date(1700000000123), new Date(-1000), new Date(2 ** 36 * 1000)]],
];

describe("msgpack", () => {
  for (const [name, value] of samples) {
    it(`encodes ${name} byte for byte as notepack.io`, () => {
      expect(encode(value).equals(notepack.encode(value))).toBe(true);
    });

    it(`decodes notepack.io's ${name} to what notepack.io decodes`, () => {
      const bytes = notepack.encode(value);
      expect(decode(bytes)).toEqual(notepack.decode(bytes));
    });

    it(`encodes ${name} so that notepack.io decodes the same value`, () => {
      expect(notepack.decode(encode(value))).toEqual(notepack.decode(notepack.encode(value)));
    });
  }

  it("leaves out map entries that are undefined or functions, encodes undefined elsewhere as nil", () => {
    const value = { a: undefined, b: () => 1, c: 1, d: [undefined] };
    expect(encode(value).equals(notepack.encode(value))).toBe(true);
    expect(decode(encode(value))).toEqual({ c: 1, d: [null] });
  });

  it("encodes Uint8Arrays and ArrayBuffers as bin, and honours toJSON, as notepack does", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const value = { u8: bytes, ab: bytes.buffer, j: { toJSON: () => "json" } };
    expect(encode(value).equals(notepack.encode(value))).toBe(true);
    expect(decode(encode(value))).toEqual({ u8: Buffer.from([1, 2, 3]), ab: Buffer.from([1, 2, 3]), j: "json" });
  });

  it("encodes a wider typed array as its raw bytes (notepack truncates each element to a byte)", () => {
    const floats = new Float32Array([1.5, -2]);
    expect(decode(encode([floats]))).toEqual([Buffer.from(floats.buffer)]);
    // The difference, pinned: notepack.io's Buffer.from(typedArray) copies element values.
    expect(notepack.decode(notepack.encode([floats]))).toEqual([Buffer.from([1, 254])]);
  });

  it("decodes notepack's legacy undefined (fixext 1 type 0) and float 32", () => {
    expect(decode(Buffer.from([0x91, 0xd4, 0x00, 0x00]))).toEqual([undefined]);
    expect(decode(Buffer.from([0xca, 0x3f, 0xc0, 0x00, 0x00]))).toBe(1.5);
  });

  it("decodes unknown extensions to [type, data] like notepack", () => {
    const bytes = Buffer.from([0xd5, 0x05, 0xaa, 0xbb]);
    expect(decode(bytes)).toEqual(notepack.decode(bytes));
  });

  it("keeps a __proto__ key as data instead of replacing the prototype", () => {
    const bytes = Buffer.from([0x81, 0xa9, ...Buffer.from("__proto__"), 0x81, 0xa1, 0x78, 0x01]);
    const out = decode(bytes) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect((out as { x?: unknown }).x).toBeUndefined();
  });

  it("rejects truncated input, trailing bytes and unknown format bytes with a MsgpackError", () => {
    const full = encode({ hello: "world", list: [1, 2, 3] });
    for (let cut = 0; cut < full.length; cut++) {
      expect(() => decode(full.subarray(0, cut))).toThrow(MsgpackError);
    }
    expect(() => decode(Buffer.concat([full, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decode(Buffer.from([0xc1]))).toThrow(/unknown format/);
  });

  it("refuses huge claimed lengths before allocating", () => {
    // array 32 claiming 4 billion elements, map 32 claiming as many entries, str 32 / bin 32 likewise.
    for (const tag of [0xdd, 0xdf, 0xdb, 0xc6]) {
      expect(() => decode(Buffer.from([tag, 0xff, 0xff, 0xff, 0xff, 0x00]))).toThrow(/truncated/);
    }
  });

  it("bounds nesting both ways instead of overflowing the stack", () => {
    const deep = Buffer.alloc(MAX_DEPTH + 10, 0x91);
    expect(() => decode(Buffer.concat([deep, Buffer.from([0xc0])]))).toThrow(/nesting/);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => encode(cyclic)).toThrow(/nesting/);
    let nested: unknown = null;
    for (let i = 0; i < MAX_DEPTH - 1; i++) nested = [nested];
    expect(decode(encode(nested))).toEqual(nested);
  });

  it("refuses BigInt and symbols without toJSON, as notepack does", () => {
    expect(() => encode({ n: 1n })).toThrow(MsgpackError);
    expect(() => encode([Symbol("s")])).toThrow(MsgpackError);
  });

  it("encodes an invalid Date as nil", () => {
    expect(decode(encode([new Date(Number.NaN)]))).toEqual([null]);
  });
});
