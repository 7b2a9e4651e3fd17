/**
 * The msgpack layer of the Redis adapters is notepack.io (what @socket.io/redis-adapter and
 * @socket.io/redis-emitter use) behind a bounded check of received bytes. These tests pin the
 * check: it lets through everything notepack.io encodes, and refuses the inputs that would
 * make notepack.io allocate or loop without bound, or swap an object's prototype.
 */
import { describe, expect, it } from "vitest";
import notepack from "notepack.io";
import { checkMsgpack, decode, encode, MAX_DEPTH, MsgpackError } from "../../src/cluster/msgpack.ts";

const samples: Array<[string, unknown]> = [
  ["scalars", [null, true, false, 0, 127, 128, 65536, 2 ** 32, 2 ** 53 - 1, -1, -33, -129, -32769, -(2 ** 31) - 1, 0.5, Math.PI]],
  ["strings of every header size", ["", "x".repeat(31), "x".repeat(32), "y".repeat(256), "z".repeat(70000), "😀 中文"]],
  ["arrays and maps of every header size", [[], new Array(16).fill(7), new Array(70000).fill(1), { a: { b: [1, { c: null }] } }, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))]],
  ["buffers", [Buffer.alloc(0), Buffer.alloc(300, 9), Buffer.alloc(70000, 5), new Uint8Array([1, 2]).buffer]],
  ["dates (timestamp 32, 64 and 96)", [new Date(0), new Date(1700000000123), new Date(-1000), new Date(2 ** 36 * 1000)]],
  [
    "a broadcast as the redis adapter publishes it",
    ["ab12cd", { type: 5, data: ["chat", { text: "hi" }, Buffer.from("bin")], nsp: "/" }, { rooms: ["r1"], except: ["sid"], flags: { volatile: true } }],
  ],
];

describe("msgpack (notepack.io behind a bounded check)", () => {
  for (const [name, value] of samples) {
    it(`passes notepack.io's encoding of ${name} through, decoded as notepack.io decodes it`, () => {
      const bytes = notepack.encode(value) as Buffer;
      expect(encode(value).equals(bytes)).toBe(true);
      expect(decode(bytes)).toEqual(notepack.decode(bytes));
    });
  }

  it("refuses an ext header claiming 4 GiB (notepack.io alone would allocate it and loop)", () => {
    // ext 32, length 0xffffffff, type 0: notepack.io's legacy ArrayBuffer.
    expect(() => decode(Buffer.from([0xc9, 0xff, 0xff, 0xff, 0xff, 0x00]))).toThrow(MsgpackError);
  });

  it("refuses claimed lengths beyond the bytes left, truncated input and trailing bytes", () => {
    for (const tag of [0xdd, 0xdf, 0xdb, 0xc6, 0xc9]) {
      expect(() => decode(Buffer.from([tag, 0xff, 0xff, 0xff, 0xff, 0x00]))).toThrow(/truncated/);
    }
    const full = encode({ hello: "world", list: [1, 2, 3] });
    for (let cut = 0; cut < full.length; cut++) expect(() => decode(full.subarray(0, cut))).toThrow(MsgpackError);
    expect(() => decode(Buffer.concat([full, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decode(Buffer.from([0xc1]))).toThrow(/unknown format/);
  });

  it("bounds nesting without recursing", () => {
    const deep = Buffer.concat([Buffer.alloc(100_000, 0x91), Buffer.from([0xc0])]);
    expect(() => checkMsgpack(deep)).toThrow(/nesting/);
    let nested: unknown = null;
    for (let i = 0; i < MAX_DEPTH - 1; i++) nested = [nested];
    expect(decode(encode(nested))).toEqual(nested);
  });

  it("refuses a __proto__ key (notepack.io would replace the object's prototype) and non-string keys", () => {
    const proto = Buffer.from([0x81, 0xa9, ...Buffer.from("__proto__"), 0x81, 0xa1, 0x78, 0x01]);
    expect((notepack.decode(proto) as { x?: unknown }).x).toBe(1);
    expect(() => decode(proto)).toThrow(/__proto__/);
    // The same key as str 8, and as an array ["__proto__"] that notepack.io would stringify.
    expect(() => decode(Buffer.from([0x81, 0xd9, 0x09, ...Buffer.from("__proto__"), 0x80]))).toThrow(/__proto__/);
    expect(() => decode(Buffer.from([0x81, 0x91, 0xa9, ...Buffer.from("__proto__"), 0x80]))).toThrow(/not a string/);
    // A __proto__ string as a value is data like any other.
    expect(decode(encode({ k: "__proto__" }))).toEqual({ k: "__proto__" });
  });
});
