/**
 * Engine.IO v4 packets and payloads as an attacker writes them [EIO4:packet-format]: a type
 * character and a body, where the type may be any of the seven or none of them, the body any
 * text, a Socket.IO packet, or the `b` + base64 of a binary packet (polling only) with garbage in
 * it. Payloads join packets with the record separator \x1e [EIO4:payload] — or with something
 * else, or with Engine.IO v3's `<length>:` prefixes.
 */
import fc from "fast-check";
import { encodeSio, sioPacket } from "./sio.ts";

/** A packet body: short text (any code points), JSON, or nothing. */
const body: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 16 }) },
  { weight: 2, arbitrary: fc.constant("") },
);

/** Text packets that mean something to the server in one state or another. */
const meaningful = fc.constantFrom("2probe", "3probe", "2", "3", "5", "6", "1", "4", "40", "41", "0", "0{}", "3ping", "4" + "x".repeat(64));

/** One Engine.IO packet as text. */
export const eioPacket: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom("0", "1", "2", "3", "4", "5", "6"), body).map(([t, b]) => `${t}${b}`) },
  { weight: 2, arbitrary: meaningful },
  { weight: 3, arbitrary: sioPacket.map((spec) => `4${encodeSio(spec)}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("7", "9", "x", " ", "\u0000", "😀", "b"), body).map(([t, b]) => `${t}${b}`) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

/** `b` + base64 (a binary packet inside a polling payload), honest or broken. */
export const base64Packet: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ maxLength: 48 }).map((bytes) => `b${Buffer.from(bytes).toString("base64")}`),
  fc.constantFrom("b", "b=", "b===", "b!!!!", "bAAA", "b\u00e9\u00e9", "b AAAA", `b${"A".repeat(4097)}`),
  fc.string({ maxLength: 24 }).map((s) => `b${s}`),
);

/** The packets of a polling payload. */
export const payloadPackets: fc.Arbitrary<string[]> = fc.array(
  fc.oneof({ weight: 4, arbitrary: eioPacket }, { weight: 1, arbitrary: base64Packet }),
  { minLength: 1, maxLength: 6 },
);

/** How packets are joined into a payload. */
export type PayloadJoin = "separator" | "newline" | "none" | "eio3-lengths" | "eio3-lying-lengths";

export const payloadJoin: fc.Arbitrary<PayloadJoin> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<PayloadJoin>("separator") },
  { weight: 1, arbitrary: fc.constantFrom<PayloadJoin>("newline", "none", "eio3-lengths", "eio3-lying-lengths") },
);

/** Joins packets into one payload as `join` says. */
export function joinPayload(packets: readonly string[], join: PayloadJoin): string {
  switch (join) {
    case "separator":
      return packets.join("\x1e");
    case "newline":
      return packets.join("\n");
    case "none":
      return packets.join("");
    case "eio3-lengths":
      return packets.map((p) => `${p.length}:${p}`).join("");
    case "eio3-lying-lengths":
      return packets.map((p) => `${p.length + 3}:${p}`).join("");
  }
}

/** Printable text for header values (no CR/LF: those belong to the raw malformed requests). */
export const headerText: fc.Arbitrary<string> = fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, " "));
