import { describe, it, expect } from "vitest";
import { Encoder as OfficialEncoder } from "socket.io-parser";
import type { Packet as OfficialPacket } from "socket.io-parser";
import {
  Decoder,
  MAX_ACK_ID_DIGITS,
  MAX_NAMESPACE_LENGTH,
  PacketType,
  ProtocolError,
  RESERVED_EVENTS,
  encodePacket,
  isReservedEvent,
} from "../../src/protocol/index.ts";
import type { Packet, ProtocolErrorCode } from "../../src/protocol/index.ts";

function codeOf(fn: () => unknown): ProtocolErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error("expected a ProtocolError, nothing was thrown");
}

/** Decode one text packet with a fresh decoder. */
function decode(text: string): Packet | null {
  return new Decoder().add(text);
}

/** Code thrown when decoding `parts` in order with a fresh decoder. */
function decodeError(...parts: Array<string | Buffer>): ProtocolErrorCode {
  const decoder = new Decoder();
  return codeOf(() => {
    for (const part of parts) decoder.add(part);
  });
}

/** Feed every part; return the last result. */
function decodeAll(parts: ReadonlyArray<string | Buffer>, decoder = new Decoder()): Packet | null {
  let result: Packet | null = null;
  for (const part of parts) result = decoder.add(part);
  return result;
}

/** Binary views as Buffers (copied), toJSON applied: what a peer gets back. */
function normalise(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (ArrayBuffer.isView(value)) {
    return Buffer.from(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  }
  if (value instanceof ArrayBuffer) return Buffer.from(value.slice(0));
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return normalise(Reflect.apply(toJSON, value, [""]));
  if (Array.isArray(value)) return value.map(normalise);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
}

describe("Decoder: examples [SIO5:packet-format]", () => {
  it("[SIO5:event-payload] EVENT in the main namespace", () => {
    expect(decode('2["hello",1]')).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["hello", 1] });
  });

  it("[SIO5:namespace] [SIO5:ack-id] EVENT with namespace and ack id", () => {
    expect(decode('2/admin,12["x"]')).toEqual({ type: PacketType.EVENT, nsp: "/admin", id: 12, data: ["x"] });
  });

  it("[SIO5:connect-payload] CONNECT variants", () => {
    expect(decode("0")).toEqual({ type: PacketType.CONNECT, nsp: "/" });
    expect(decode('0{"sid":"abc"}')).toEqual({ type: PacketType.CONNECT, nsp: "/", data: { sid: "abc" } });
    expect(decode("0/admin,")).toEqual({ type: PacketType.CONNECT, nsp: "/admin" });
    expect(decode('0/admin,{"token":"t"}')).toEqual({ type: PacketType.CONNECT, nsp: "/admin", data: { token: "t" } });
  });

  it("[SIO5:namespace] a namespace without comma is allowed at the end of the packet", () => {
    expect(decode("0/admin")).toEqual({ type: PacketType.CONNECT, nsp: "/admin" });
    expect(decode("1/admin")).toEqual({ type: PacketType.DISCONNECT, nsp: "/admin" });
  });

  it("[SIO5:disconnect-payload] DISCONNECT", () => {
    expect(decode("1")).toEqual({ type: PacketType.DISCONNECT, nsp: "/" });
    expect(decode("1/admin,")).toEqual({ type: PacketType.DISCONNECT, nsp: "/admin" });
  });

  it("[SIO5:ack-payload] ACK", () => {
    expect(decode("35[]")).toEqual({ type: PacketType.ACK, nsp: "/", id: 5, data: [] });
    expect(decode('3/chat,0["ok",{"n":1}]')).toEqual({ type: PacketType.ACK, nsp: "/chat", id: 0, data: ["ok", { n: 1 }] });
  });

  it("[SIO5:connect-error-payload] CONNECT_ERROR as object or string", () => {
    expect(decode('4{"message":"Invalid namespace"}')).toEqual({
      type: PacketType.CONNECT_ERROR,
      nsp: "/",
      data: { message: "Invalid namespace" },
    });
    expect(decode('4/admin,"not authorized"')).toEqual({ type: PacketType.CONNECT_ERROR, nsp: "/admin", data: "not authorized" });
  });

  it("[SIO5:binary-attachments] BINARY_EVENT waits for its attachment, keeps its type", () => {
    const decoder = new Decoder();
    expect(decoder.awaitingAttachments).toBe(false);
    expect(decoder.add('51-["b",{"_placeholder":true,"num":0}]')).toBeNull();
    expect(decoder.awaitingAttachments).toBe(true);
    const buf = Buffer.from([1, 2]);
    const packet = decoder.add(buf);
    expect(packet).toEqual({ type: PacketType.BINARY_EVENT, nsp: "/", data: ["b", Buffer.from([1, 2])] });
    expect((packet?.data as unknown[])[1]).toBe(buf);
    expect(decoder.awaitingAttachments).toBe(false);
  });

  it("[SIO5:binary-attachments] BINARY_ACK with namespace, id and two attachments", () => {
    const decoder = new Decoder();
    expect(decoder.add('62-/chat,7[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]')).toBeNull();
    expect(decoder.add(Buffer.from("a"))).toBeNull();
    expect(decoder.add(Buffer.from("b"))).toEqual({
      type: PacketType.BINARY_ACK,
      nsp: "/chat",
      id: 7,
      data: [Buffer.from("b"), Buffer.from("a")],
    });
  });

  it("[SIO5:binary-attachments] the decoder is reusable across many packets", () => {
    const decoder = new Decoder();
    expect(decodeAll(['2["a"]'], decoder)).toEqual({ type: 2, nsp: "/", data: ["a"] });
    expect(decodeAll(['51-["b",{"_placeholder":true,"num":0}]', Buffer.from([1])], decoder)).toEqual({
      type: 5,
      nsp: "/",
      data: ["b", Buffer.from([1])],
    });
    expect(decodeAll(['2["c"]'], decoder)).toEqual({ type: 2, nsp: "/", data: ["c"] });
  });
});

describe("Decoder: round trips with encodePacket", () => {
  const cases: Array<{ name: string; packet: Packet }> = [
    { name: "event", packet: { type: PacketType.EVENT, nsp: "/", data: ["e", 1, "two", { three: [3] }, null, true] } },
    { name: "event ack id", packet: { type: PacketType.EVENT, nsp: "/", id: 42, data: ["e"] } },
    { name: "event max ack id", packet: { type: PacketType.EVENT, nsp: "/", id: Number.MAX_SAFE_INTEGER, data: ["e"] } },
    { name: "event nsp + id", packet: { type: PacketType.EVENT, nsp: "/a/b-c_d", id: 1, data: ["e"] } },
    { name: "event with digits in data", packet: { type: PacketType.EVENT, nsp: "/", data: ["123", 456] } },
    { name: "connect nsp", packet: { type: PacketType.CONNECT, nsp: "/admin" } },
    { name: "connect auth", packet: { type: PacketType.CONNECT, nsp: "/x", data: { token: "t", n: 1 } } },
    { name: "disconnect", packet: { type: PacketType.DISCONNECT, nsp: "/x" } },
    { name: "ack", packet: { type: PacketType.ACK, nsp: "/", id: 9, data: [] } },
    { name: "connect_error", packet: { type: PacketType.CONNECT_ERROR, nsp: "/x", data: { message: "no", data: { a: 1 } } } },
    { name: "binary top level", packet: { type: PacketType.EVENT, nsp: "/", data: ["b", Buffer.from([1, 2, 3])] } },
    {
      name: "binary nested",
      packet: { type: PacketType.EVENT, nsp: "/n", id: 3, data: ["b", { a: [1, { b: Buffer.from("x") }], c: Buffer.alloc(0) }] },
    },
    {
      name: "binary typed arrays",
      packet: {
        type: PacketType.EVENT,
        nsp: "/",
        data: ["t", new Uint8Array([1]), new Float64Array([Math.PI]), new DataView(new ArrayBuffer(3)), new ArrayBuffer(2)],
      },
    },
    { name: "binary ack", packet: { type: PacketType.ACK, nsp: "/n", id: 0, data: [{ file: Buffer.from("data") }] } },
  ];

  for (const { name, packet } of cases) {
    it(`[SIO5:packet-format] ${name}`, () => {
      const encoded = encodePacket(packet);
      const decoded = decodeAll(encoded);
      const binary = encoded.length > 1;
      const expected: Record<string, unknown> = {
        type: binary ? packet.type + 3 : packet.type, // EVENT(2)→BINARY_EVENT(5), ACK(3)→BINARY_ACK(6)
        nsp: packet.nsp,
      };
      if (packet.data !== undefined) expected["data"] = normalise(packet.data);
      if (packet.id !== undefined) expected["id"] = packet.id;
      expect(decoded).toEqual(expected);
    });
  }

  it("[SIO5:binary-placeholder] decodes what socket.io-parser's encoder produces", () => {
    for (const { packet } of cases) {
      const official: OfficialPacket = { ...packet, type: packet.type as number };
      const parts = new OfficialEncoder().encode(official).map((part: unknown): string | Buffer => {
        if (typeof part === "string") return part;
        if (ArrayBuffer.isView(part)) return Buffer.from(part.buffer, part.byteOffset, part.byteLength);
        if (part instanceof ArrayBuffer) return Buffer.from(part);
        throw new Error("unexpected part");
      });
      const decoded = decodeAll(parts);
      expect(normalise(decoded?.data)).toEqual(normalise(packet.data));
      expect(decoded?.nsp).toBe(packet.nsp);
      expect(decoded?.id).toBe(packet.id);
    }
  });
});

describe("Decoder: packet type [SIO5:packet-types]", () => {
  it("[SIO5:packet-types] rejects an empty string", () => {
    expect(decodeError("")).toBe("INVALID_TYPE");
  });

  it("[SIO5:packet-types] rejects type digits outside 0–6 and non-digits", () => {
    for (const text of ["7", "8[]", "9", "a", "-1", " 2[\"x\"]", "/", "{}"]) {
      expect(decodeError(text)).toBe("INVALID_TYPE");
    }
  });
});

describe("Decoder: attachments count [SIO5:attachments-count]", () => {
  it("[SIO5:attachments-count] rejects a missing count", () => {
    expect(decodeError('5-["b",{"_placeholder":true,"num":0}]')).toBe("INVALID_ATTACHMENTS");
    expect(decodeError("5")).toBe("INVALID_ATTACHMENTS");
  });

  it("[SIO5:attachments-count] rejects a missing '-'", () => {
    expect(decodeError('51["b",{"_placeholder":true,"num":0}]')).toBe("INVALID_ATTACHMENTS");
    expect(decodeError("51")).toBe("INVALID_ATTACHMENTS");
    expect(decodeError("61/x,1[]")).toBe("INVALID_ATTACHMENTS");
  });

  it("[SIO5:attachments-count] rejects non-digits in the count", () => {
    expect(decodeError('5x-["b"]')).toBe("INVALID_ATTACHMENTS");
    expect(decodeError('51x-["b"]')).toBe("INVALID_ATTACHMENTS");
  });

  it("[SIO5:attachments-count] rejects a count of 0", () => {
    expect(decodeError('50-["b"]')).toBe("INVALID_ATTACHMENTS");
    expect(decodeError("60-1[]")).toBe("INVALID_ATTACHMENTS");
  });

  it("[SIO5:attachments-count] accepts exactly maxAttachments (default 10)", () => {
    const placeholders = Array.from({ length: 10 }, (_, num) => ({ _placeholder: true, num }));
    const decoder = new Decoder();
    expect(decoder.add(`510-${JSON.stringify(["e", ...placeholders])}`)).toBeNull();
    let packet: Packet | null = null;
    for (let i = 0; i < 10; i++) {
      expect(packet).toBeNull();
      packet = decoder.add(Buffer.from([i]));
    }
    expect(packet?.data).toEqual(["e", ...Array.from({ length: 10 }, (_, i) => Buffer.from([i]))]);
  });

  it("[SIO5:attachments-count] rejects maxAttachments + 1 before collecting anything", () => {
    const decoder = new Decoder();
    expect(codeOf(() => decoder.add('511-["e"]'))).toBe("TOO_MANY_ATTACHMENTS");
    expect(decoder.awaitingAttachments).toBe(false);
    // Absurd counts fail on the digit that crosses the limit, never parsed as a whole.
    expect(decodeError(`5${"9".repeat(400)}-["e"]`)).toBe("TOO_MANY_ATTACHMENTS");
  });

  it("[SIO5:attachments-count] honours a custom maxAttachments (boundary)", () => {
    const header = (n: number): string =>
      `5${n}-${JSON.stringify(["e", ...Array.from({ length: n }, (_, num) => ({ _placeholder: true, num }))])}`;
    expect(new Decoder({ maxAttachments: 2 }).add(header(2))).toBeNull();
    expect(codeOf(() => new Decoder({ maxAttachments: 2 }).add(header(3)))).toBe("TOO_MANY_ATTACHMENTS");
    expect(codeOf(() => new Decoder({ maxAttachments: 0 }).add(header(1)))).toBe("TOO_MANY_ATTACHMENTS");
  });

  it("rejects invalid options", () => {
    expect(() => new Decoder({ maxAttachments: -1 })).toThrow(RangeError);
    expect(() => new Decoder({ maxAttachments: 1.5 })).toThrow(RangeError);
    expect(() => new Decoder({ maxPacketSize: Number.NaN })).toThrow(RangeError);
  });
});

describe("Decoder: namespace [SIO5:namespace]", () => {
  it(`[SIO5:namespace] accepts a namespace of ${MAX_NAMESPACE_LENGTH} characters`, () => {
    const nsp = `/${"a".repeat(MAX_NAMESPACE_LENGTH - 1)}`;
    expect(decode(`0${nsp},`)?.nsp).toBe(nsp);
    expect(decode(`0${nsp}`)?.nsp).toBe(nsp);
  });

  it("[SIO5:namespace] rejects a namespace longer than the cap", () => {
    const nsp = `/${"a".repeat(MAX_NAMESPACE_LENGTH)}`;
    expect(decodeError(`0${nsp},`)).toBe("INVALID_NAMESPACE");
    expect(decodeError(`0${nsp}`)).toBe("INVALID_NAMESPACE");
    expect(decodeError(`2${nsp}${"b".repeat(100_000)},["e"]`)).toBe("INVALID_NAMESPACE");
  });

  it("[SIO5:namespace] a namespace without comma swallows the rest, so a payload after it fails", () => {
    expect(decodeError('2/admin["x"]')).toBe("INVALID_PAYLOAD");
  });

  it("[SIO5:namespace] an explicit main namespace is accepted", () => {
    expect(decode('2/,["x"]')).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["x"] });
  });
});

describe("Decoder: ack id [SIO5:ack-id]", () => {
  it("[SIO5:ack-id] accepts ids up to Number.MAX_SAFE_INTEGER", () => {
    expect(MAX_ACK_ID_DIGITS).toBe(16);
    expect(decode(`2${Number.MAX_SAFE_INTEGER}["x"]`)?.id).toBe(Number.MAX_SAFE_INTEGER);
    expect(decode(`2${"9".repeat(15)}["x"]`)?.id).toBe(999_999_999_999_999);
  });

  it("[SIO5:ack-id] rejects ids beyond a safe integer (by value and by digit count)", () => {
    expect(decodeError(`2${Number.MAX_SAFE_INTEGER + 1}["x"]`)).toBe("INVALID_ACK_ID");
    expect(decodeError(`2${"9".repeat(MAX_ACK_ID_DIGITS)}["x"]`)).toBe("INVALID_ACK_ID");
    expect(decodeError(`2${"1".repeat(MAX_ACK_ID_DIGITS + 1)}["x"]`)).toBe("INVALID_ACK_ID");
    expect(decodeError(`2${"1".repeat(100_000)}["x"]`)).toBe("INVALID_ACK_ID");
  });

  it("[SIO5:ack-id] rejects 2abc[\"x\"] (neither id nor JSON)", () => {
    expect(decodeError('2abc["x"]')).toBe("INVALID_PAYLOAD");
    expect(decodeError('2/admin,abc["x"]')).toBe("INVALID_PAYLOAD");
  });

  it("[SIO5:ack-id] rejects 42abc[\"x\"] given literally (\"4\" read as the type digit)", () => {
    expect(decodeError('42abc["x"]')).toBe("INVALID_PAYLOAD");
  });

  it("[SIO5:ack-id] rejects ack ids on CONNECT, DISCONNECT and CONNECT_ERROR", () => {
    expect(decodeError('012{"a":1}')).toBe("INVALID_ACK_ID");
    expect(decodeError("012")).toBe("INVALID_ACK_ID");
    expect(decodeError("1/x,3")).toBe("INVALID_ACK_ID");
    expect(decodeError('41{"message":"m"}')).toBe("INVALID_ACK_ID");
  });
});

describe("Decoder: payload [SIO5:payload-json]", () => {
  it("[SIO5:payload-json] rejects invalid JSON", () => {
    for (const text of ['2["x"', "2[x]", "2['x']", '2["x"]]', "0{", "2 ", '2["x"]garbage']) {
      expect(decodeError(text)).toBe("INVALID_PAYLOAD");
    }
  });

  // "42…" is how these look on the wire inside an Engine.IO message ("4" = message). The
  // Socket.IO decoder only sees the part after that "4", i.e. "2{}", "2\"x\"", "2[1]".
  it("[SIO5:event-payload] rejects 42{} (EVENT 2{})", () => {
    expect(decodeError("2{}")).toBe("INVALID_PAYLOAD");
    expect(decodeError("2/admin,{}")).toBe("INVALID_PAYLOAD");
  });

  it('[SIO5:event-payload] rejects 42"x" (EVENT 2"x")', () => {
    expect(decodeError('2"x"')).toBe("INVALID_PAYLOAD");
  });

  it("[SIO5:event-payload] rejects 42[1] (EVENT 2[1], non-string name)", () => {
    expect(decodeError("2[1]")).toBe("INVALID_PAYLOAD");
  });

  it("[SIO5:ack-id] the literal strings 42{} / 42\"x\" / 42[1] are CONNECT_ERROR with an ack id: rejected too", () => {
    expect(decodeError("42{}")).toBe("INVALID_ACK_ID");
    expect(decodeError('42"x"')).toBe("INVALID_ACK_ID");
    expect(decodeError("42[1]")).toBe("INVALID_ACK_ID");
  });

  it("[SIO5:event-payload] rejects an empty array, a missing payload, null and non-string names", () => {
    for (const text of ["2[]", "2", "2/x,", "2null", "2[null]", "2[{}]", '2[["x"]]', "21"]) {
      expect(decodeError(text)).toBe("INVALID_PAYLOAD");
    }
  });

  it("[SIO5:reserved-events] rejects every reserved event name", () => {
    expect([...RESERVED_EVENTS].sort()).toEqual(
      ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"].sort(),
    );
    for (const name of RESERVED_EVENTS) {
      expect(isReservedEvent(name)).toBe(true);
      expect(decodeError(`2${JSON.stringify([name])}`)).toBe("RESERVED_EVENT");
      expect(decodeError(`2/admin,4${JSON.stringify([name, 1])}`)).toBe("RESERVED_EVENT");
      expect(decodeError(`51-${JSON.stringify([name, { _placeholder: true, num: 0 }])}`)).toBe("RESERVED_EVENT");
    }
    expect(isReservedEvent("message")).toBe(false);
    expect(decode('2["Connect"]')?.data).toEqual(["Connect"]);
  });

  it("[SIO5:connect-payload] CONNECT payload must be an object", () => {
    for (const text of ["0[]", "0null", '0"x"', "01", "0true", "0/admin,[]"]) {
      expect(decodeError(text)).toBe(text === "01" ? "INVALID_ACK_ID" : "INVALID_PAYLOAD");
    }
  });

  it("[SIO5:disconnect-payload] DISCONNECT takes no payload", () => {
    expect(decodeError("1{}")).toBe("INVALID_PAYLOAD");
    expect(decodeError('1/admin,["x"]')).toBe("INVALID_PAYLOAD");
  });

  it("[SIO5:ack-payload] ACK needs an id and an array", () => {
    expect(decodeError('3["x"]')).toBe("INVALID_ACK_ID");
    expect(decodeError("3/admin,[]")).toBe("INVALID_ACK_ID");
    expect(decodeError("35{}")).toBe("INVALID_PAYLOAD");
    expect(decodeError("35")).toBe("INVALID_PAYLOAD");
    expect(decodeError('35"x"')).toBe("INVALID_PAYLOAD");
    expect(decodeError('61-[{"_placeholder":true,"num":0}]')).toBe("INVALID_ACK_ID");
  });

  it("[SIO5:connect-error-payload] CONNECT_ERROR needs an object or a string", () => {
    expect(decodeError("4")).toBe("INVALID_PAYLOAD");
    expect(decodeError("4[1]")).toBe("INVALID_PAYLOAD");
    expect(decodeError("4null")).toBe("INVALID_PAYLOAD");
  });

  it("[SIO5:payload-json] keeps '__proto__' as plain data", () => {
    const packet = decode('2["e",{"__proto__":{"polluted":true}}]');
    const arg = (packet?.data as unknown[])[1] as Record<string, unknown>;
    expect(Object.hasOwn(arg, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("[SIO5:binary-placeholder] survives very deep JSON in a binary packet without stack overflow", () => {
    const depth = 200_000;
    const header = `51-["e",{"_placeholder":true,"num":0},${"[".repeat(depth)}${"]".repeat(depth)}]`;
    const decoder = new Decoder();
    expect(decoder.add(header)).toBeNull();
    expect((decoder.add(Buffer.from([1]))?.data as unknown[])[1]).toEqual(Buffer.from([1]));
  });

  it("[SIO5:payload-json] does not resolve placeholders in a plain EVENT", () => {
    expect(decode('2["e",{"_placeholder":true,"num":0}]')?.data).toEqual(["e", { _placeholder: true, num: 0 }]);
  });
});

describe("Decoder: binary sequencing [SIO5:binary-attachments]", () => {
  it("[SIO5:binary-attachments] rejects a Buffer with no binary packet pending", () => {
    expect(decodeError(Buffer.from([1]))).toBe("UNEXPECTED_BINARY");
    expect(decodeError('2["e"]', Buffer.from([1]))).toBe("UNEXPECTED_BINARY");
    expect(decodeError('51-["e",{"_placeholder":true,"num":0}]', Buffer.from([1]), Buffer.from([2]))).toBe(
      "UNEXPECTED_BINARY",
    );
  });

  it("[SIO5:binary-attachments] rejects text while attachments are pending", () => {
    expect(decodeError('52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', Buffer.from([1]), '2["x"]')).toBe(
      "UNEXPECTED_TEXT",
    );
  });

  it("[SIO5:binary-attachments] rejects a non-string, non-Buffer chunk", () => {
    const decoder = new Decoder();
    expect(codeOf(() => decoder.add(new Uint8Array([1]) as unknown as Buffer))).toBe("INVALID_TYPE");
  });

  it("[SIO5:binary-placeholder] validates placeholders once all attachments are in", () => {
    const bad = [
      '51-["e",{"_placeholder":true,"num":1}]',
      '51-["e",{"_placeholder":true,"num":-1}]',
      '51-["e",{"_placeholder":true,"num":"0"}]',
      '51-["e",{"_placeholder":true,"num":0.5}]',
      '51-["e",{"_placeholder":true}]',
      '51-["e",{"_placeholder":true,"num":0,"x":1}]',
      '51-["e"]',
      '52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]',
    ];
    for (const header of bad) {
      const count = Number(header[1]);
      const buffers = Array.from({ length: count }, () => Buffer.from([0]));
      expect(decodeError(header, ...buffers)).toBe("INVALID_PLACEHOLDER");
    }
  });

  it("[SIO5:binary-attachments] resets after a throw, so the next packet decodes cleanly", () => {
    const decoder = new Decoder();
    expect(decoder.add('52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')).toBeNull();
    expect(codeOf(() => decoder.add('2["x"]'))).toBe("UNEXPECTED_TEXT");
    expect(decoder.awaitingAttachments).toBe(false);
    expect(decoder.add('2["y"]')).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["y"] });
  });

  it("[SIO5:binary-attachments] reset() drops a pending binary packet", () => {
    const decoder = new Decoder();
    decoder.add('51-["e",{"_placeholder":true,"num":0}]');
    decoder.reset();
    expect(decoder.awaitingAttachments).toBe(false);
    expect(codeOf(() => decoder.add(Buffer.from([1])))).toBe("UNEXPECTED_BINARY");
  });

  it("[SIO5:binary-attachments] enforces maxPacketSize over text plus attachments", () => {
    const header = '51-["e",{"_placeholder":true,"num":0}]';
    expect(codeOf(() => new Decoder({ maxPacketSize: 5 }).add(header))).toBe("PACKET_TOO_LARGE");
    const decoder = new Decoder({ maxPacketSize: header.length + 4 });
    expect(decoder.add(header)).toBeNull();
    expect(codeOf(() => decoder.add(Buffer.alloc(5)))).toBe("PACKET_TOO_LARGE");
    const ok = new Decoder({ maxPacketSize: header.length + 4 });
    ok.add(header);
    expect(ok.add(Buffer.alloc(4))?.data).toEqual(["e", Buffer.alloc(4)]);
  });
});
