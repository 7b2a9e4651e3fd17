import { describe, it, expect } from "vitest";
import { Encoder as OfficialEncoder, Decoder as OfficialDecoder } from "socket.io-parser";
import type { Packet as OfficialPacket } from "socket.io-parser";
import { encodePacket, Decoder, PacketType, ProtocolError } from "../../src/protocol/index.ts";
import type { EncodedPacket, Packet, ProtocolErrorCode } from "../../src/protocol/index.ts";

/** Run `fn` and return the ProtocolError code it throws (fails the test if it doesn't). */
function codeOf(fn: () => unknown): ProtocolErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error("expected a ProtocolError, nothing was thrown");
}

/** Copy binary views into plain Buffers so Buffer/TypedArray/ArrayBuffer compare by bytes. */
function bytes(value: unknown): Buffer {
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (value instanceof ArrayBuffer) return Buffer.from(value.slice(0));
  throw new Error("not binary");
}

/** The value a peer sees after a JSON + attachments round trip: binaries as Buffers, toJSON applied. */
function normalise(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return bytes(value);
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return normalise(Reflect.apply(toJSON, value, [""]));
  if (Array.isArray(value)) return value.map(normalise);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
}

function officialEncode(packet: Packet): unknown[] {
  const official: OfficialPacket = { ...packet, type: packet.type as number };
  return new OfficialEncoder().encode(official);
}

function officialDecode(parts: readonly (string | Buffer)[]): OfficialPacket | undefined {
  const decoder = new OfficialDecoder();
  let decoded: OfficialPacket | undefined;
  decoder.on("decoded", (p: OfficialPacket) => {
    decoded = p;
  });
  for (const part of parts) decoder.add(part);
  return decoded;
}

/** EVENT/ACK for their binary forms, other types unchanged. */
function baseType(type: PacketType): PacketType {
  if (type === PacketType.BINARY_EVENT) return PacketType.EVENT;
  if (type === PacketType.BINARY_ACK) return PacketType.ACK;
  return type;
}

function ourDecode(parts: EncodedPacket): Packet | null {
  const decoder = new Decoder();
  let result: Packet | null = null;
  for (const part of parts) result = decoder.add(part);
  return result;
}

describe("encodePacket: examples [SIO5:packet-format]", () => {
  it("[SIO5:event-payload] EVENT in the main namespace", () => {
    expect(encodePacket({ type: PacketType.EVENT, nsp: "/", data: ["hello", 1] })).toEqual(['2["hello",1]']);
  });

  it("[SIO5:namespace] [SIO5:ack-id] EVENT with namespace and ack id", () => {
    expect(encodePacket({ type: PacketType.EVENT, nsp: "/admin", id: 12, data: ["x"] })).toEqual(['2/admin,12["x"]']);
  });

  it("[SIO5:connect-payload] CONNECT with payload", () => {
    expect(encodePacket({ type: PacketType.CONNECT, nsp: "/", data: { sid: "abc" } })).toEqual(['0{"sid":"abc"}']);
  });

  it("[SIO5:namespace] DISCONNECT keeps the trailing comma after a namespace", () => {
    expect(encodePacket({ type: PacketType.DISCONNECT, nsp: "/admin" })).toEqual(["1/admin,"]);
  });

  it("[SIO5:namespace] CONNECT to a namespace without payload keeps the trailing comma", () => {
    expect(encodePacket({ type: PacketType.CONNECT, nsp: "/admin" })).toEqual(["0/admin,"]);
  });

  it("[SIO5:packet-format] bare packets in the main namespace are just the type digit", () => {
    expect(encodePacket({ type: PacketType.CONNECT, nsp: "/" })).toEqual(["0"]);
    expect(encodePacket({ type: PacketType.DISCONNECT, nsp: "/" })).toEqual(["1"]);
  });

  it("[SIO5:binary-upgrade] EVENT with a Buffer becomes BINARY_EVENT with placeholder + attachment", () => {
    const buf = Buffer.from([1, 2]);
    const out = encodePacket({ type: PacketType.EVENT, nsp: "/", data: ["b", buf] });
    expect(out).toEqual(['51-["b",{"_placeholder":true,"num":0}]', Buffer.from([1, 2])]);
    expect(out[1]).toBe(buf); // Buffers are passed through, not copied
  });

  it("[SIO5:ack-payload] ACK with id and empty args", () => {
    expect(encodePacket({ type: PacketType.ACK, nsp: "/", id: 5, data: [] })).toEqual(["35[]"]);
  });

  it("[SIO5:connect-error-payload] CONNECT_ERROR", () => {
    expect(encodePacket({ type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "Invalid namespace" } })).toEqual([
      '4{"message":"Invalid namespace"}',
    ]);
  });

  it("[SIO5:ack-id] ack id 0 is written", () => {
    expect(encodePacket({ type: PacketType.EVENT, nsp: "/", id: 0, data: ["e"] })).toEqual(['20["e"]']);
  });
});

describe("encodePacket: binary [SIO5:binary-upgrade] [SIO5:binary-placeholder]", () => {
  it("[SIO5:binary-upgrade] ACK with binary becomes BINARY_ACK, with namespace and id", () => {
    const out = encodePacket({ type: PacketType.ACK, nsp: "/chat", id: 7, data: [Buffer.from("hi")] });
    expect(out).toEqual(['61-/chat,7[{"_placeholder":true,"num":0}]', Buffer.from("hi")]);
  });

  it("[SIO5:binary-placeholder] numbers attachments in order of appearance, at any depth", () => {
    const a = Buffer.from([1]);
    const b = new Uint8Array([2, 3]);
    const c = new ArrayBuffer(1);
    const out = encodePacket({ type: PacketType.EVENT, nsp: "/", data: ["e", { x: [a, { y: b }] }, c] });
    expect(out[0]).toBe(
      '53-["e",{"x":[{"_placeholder":true,"num":0},{"y":{"_placeholder":true,"num":1}}]},{"_placeholder":true,"num":2}]',
    );
    expect(out.slice(1).map(bytes)).toEqual([Buffer.from([1]), Buffer.from([2, 3]), Buffer.from([0])]);
  });

  it("[SIO5:binary-placeholder] typed arrays go out as Buffers over the same memory (no copy)", () => {
    const backing = new ArrayBuffer(8);
    const view = new Uint16Array(backing, 2, 2);
    view[0] = 0x0102;
    const out = encodePacket({ type: PacketType.EVENT, nsp: "/", data: ["e", view] });
    const att = out[1];
    expect(Buffer.isBuffer(att)).toBe(true);
    expect(att?.buffer).toBe(backing);
    expect(att?.byteOffset).toBe(2);
    expect(att?.byteLength).toBe(4);
  });

  it("[SIO5:binary-upgrade] a BINARY_EVENT without binary is sent as a plain EVENT", () => {
    expect(encodePacket({ type: PacketType.BINARY_EVENT, nsp: "/", data: ["x"] })).toEqual(['2["x"]']);
    expect(encodePacket({ type: PacketType.BINARY_ACK, nsp: "/", id: 1, data: [] })).toEqual(["31[]"]);
  });

  it("[SIO5:binary-upgrade] only EVENT/ACK are upgraded; CONNECT data is plain JSON", () => {
    const out = encodePacket({ type: PacketType.CONNECT, nsp: "/", data: { b: Buffer.from([1]) } });
    expect(out).toEqual(['0{"b":{"type":"Buffer","data":[1]}}']);
  });

  it("[SIO5:binary-upgrade] honours toJSON like JSON.stringify (Date stays a string, toJSON hiding a Buffer wins)", () => {
    const hidden = { secret: Buffer.from([9]), toJSON: () => "hidden" };
    const out = encodePacket({ type: PacketType.EVENT, nsp: "/", data: ["e", new Date(0), hidden] });
    expect(out).toEqual(['2["e","1970-01-01T00:00:00.000Z","hidden"]']);
  });

  it("[SIO5:binary-upgrade] does not mutate the caller's data", () => {
    const buf = Buffer.from([1, 2, 3]);
    const inner = { buf, list: [buf, "s"] };
    const args = ["e", inner, [new Uint8Array([4])]];
    // JSON captures every byte (Buffer via toJSON, Uint8Array as index keys) and every key.
    const snapshot = JSON.stringify(args);
    encodePacket({ type: PacketType.EVENT, nsp: "/", data: args });
    expect(JSON.stringify(args)).toBe(snapshot);
    expect(Object.keys(inner)).toEqual(["buf", "list"]);
    expect(args[1]).toBe(inner);
    expect(inner.buf).toBe(buf);
    expect(inner.list[0]).toBe(buf);
  });
});

describe("encodePacket: errors", () => {
  it("[SIO5:packet-types] rejects an unknown type", () => {
    expect(codeOf(() => encodePacket({ type: 7 as PacketType, nsp: "/" }))).toBe("INVALID_TYPE");
    expect(codeOf(() => encodePacket({ type: -1 as PacketType, nsp: "/" }))).toBe("INVALID_TYPE");
    expect(codeOf(() => encodePacket({ type: 1.5 as PacketType, nsp: "/" }))).toBe("INVALID_TYPE");
  });

  it("[SIO5:namespace] rejects namespaces that would corrupt the framing", () => {
    expect(codeOf(() => encodePacket({ type: PacketType.CONNECT, nsp: "admin" }))).toBe("INVALID_NAMESPACE");
    expect(codeOf(() => encodePacket({ type: PacketType.CONNECT, nsp: "" }))).toBe("INVALID_NAMESPACE");
    expect(codeOf(() => encodePacket({ type: PacketType.CONNECT, nsp: "/a,b" }))).toBe("INVALID_NAMESPACE");
  });

  it("[SIO5:ack-id] rejects ack ids that are not non-negative safe integers", () => {
    for (const id of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(codeOf(() => encodePacket({ type: PacketType.EVENT, nsp: "/", id, data: ["e"] }))).toBe("INVALID_ACK_ID");
    }
  });

  it("[SIO5:payload-json] rejects payloads JSON cannot serialise", () => {
    const cyclic: unknown[] = ["e"];
    cyclic.push(cyclic);
    expect(codeOf(() => encodePacket({ type: PacketType.EVENT, nsp: "/", data: cyclic }))).toBe("INVALID_PAYLOAD");
    expect(codeOf(() => encodePacket({ type: PacketType.EVENT, nsp: "/", data: ["e", 1n] }))).toBe("INVALID_PAYLOAD");
    expect(codeOf(() => encodePacket({ type: PacketType.CONNECT, nsp: "/", data: () => 1 }))).toBe("INVALID_PAYLOAD");
  });

  it("[SIO5:payload-json] turns JSON.stringify's stack overflow on absurd nesting into INVALID_PAYLOAD", () => {
    let deep: unknown = Buffer.from([1]);
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(codeOf(() => encodePacket({ type: PacketType.EVENT, nsp: "/", data: ["e", deep] }))).toBe("INVALID_PAYLOAD");
  });
});

// A dozen-plus packets covering every type, namespaces, ack ids and binary placements.
const crossCheckPackets: Array<{ name: string; packet: Packet }> = [
  { name: "event", packet: { type: PacketType.EVENT, nsp: "/", data: ["hello", 1] } },
  { name: "event+nsp+id", packet: { type: PacketType.EVENT, nsp: "/admin", id: 12, data: ["x"] } },
  { name: "event id 0", packet: { type: PacketType.EVENT, nsp: "/", id: 0, data: ["x", null, true, { a: [1, 2] }] } },
  { name: "connect+data", packet: { type: PacketType.CONNECT, nsp: "/", data: { sid: "abc" } } },
  { name: "connect nsp bare", packet: { type: PacketType.CONNECT, nsp: "/admin" } },
  { name: "connect nsp+auth", packet: { type: PacketType.CONNECT, nsp: "/admin", data: { token: "t" } } },
  { name: "disconnect nsp", packet: { type: PacketType.DISCONNECT, nsp: "/admin" } },
  { name: "disconnect main", packet: { type: PacketType.DISCONNECT, nsp: "/" } },
  { name: "ack", packet: { type: PacketType.ACK, nsp: "/", id: 5, data: [] } },
  { name: "ack args", packet: { type: PacketType.ACK, nsp: "/chat", id: 99, data: ["ok", { n: 1 }] } },
  { name: "connect_error", packet: { type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "Invalid namespace" } } },
  { name: "unicode", packet: { type: PacketType.EVENT, nsp: "/", data: ["u", "✓ é \u2028 😀", new Date(0)] } },
  { name: "binary event", packet: { type: PacketType.EVENT, nsp: "/", data: ["b", Buffer.from([1, 2])] } },
  {
    name: "binary ack nested",
    packet: { type: PacketType.ACK, nsp: "/chat", id: 7, data: [{ a: [Buffer.from("x"), new Uint8Array([5, 6])] }, "s"] },
  },
  {
    name: "binary deep typed",
    packet: { type: PacketType.EVENT, nsp: "/", id: 3, data: ["ev", { deep: { x: [1, { y: new Float32Array([1.5]) }] } }] },
  },
  {
    name: "binary multi kinds",
    packet: {
      type: PacketType.EVENT,
      nsp: "/n",
      data: ["m", Buffer.from("a"), new ArrayBuffer(3), new DataView(new ArrayBuffer(2))],
    },
  },
];

describe("cross-check with socket.io-parser", () => {
  for (const { name, packet } of crossCheckPackets) {
    it(`[SIO5:packet-format] ${name}: same encoding as socket.io-parser`, () => {
      const ours = encodePacket(packet);
      const theirs = officialEncode(packet);
      expect(ours[0]).toBe(theirs[0]);
      expect(ours.length).toBe(theirs.length);
      expect(ours.slice(1).map(bytes)).toEqual(theirs.slice(1).map(bytes));
    });

    it(`[SIO5:packet-format] ${name}: socket.io-parser decodes our encoding`, () => {
      const decoded = officialDecode(encodePacket(packet));
      expect(decoded).toBeDefined();
      const { attachments: _ignored, ...rest } = decoded ?? { type: -1, nsp: "" };
      // socket.io-parser reports reassembled binary packets as plain EVENT / ACK.
      const expected: Record<string, unknown> = { type: baseType(packet.type), nsp: packet.nsp };
      if (packet.data !== undefined) expected["data"] = normalise(packet.data);
      if (packet.id !== undefined) expected["id"] = packet.id;
      expect(normalise(rest)).toEqual(expected);
    });

    it(`[SIO5:packet-format] ${name}: round-trips through our decoder`, () => {
      const decoded = ourDecode(encodePacket(packet));
      const expected: Record<string, unknown> = { type: encodePacket(packet)[0].charCodeAt(0) - 48, nsp: packet.nsp };
      if (packet.data !== undefined) expected["data"] = normalise(packet.data);
      if (packet.id !== undefined) expected["id"] = packet.id;
      expect(normalise(decoded)).toEqual(expected);
    });
  }
});
