/**
 * Socket.IO v5 packets as an attacker writes them [SIO5:packet-format]:
 * `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`, with every field free to lie: types out of
 * range, namespaces unknown or malformed, ack ids huge, negative or not numbers, JSON of any
 * shape, placeholders pointing nowhere, attachment counts that do not match the binary frames
 * that follow, reserved and unusual event names. The text is built by hand (never by our
 * encoder) so that it can be wrong.
 */
import fc from "fast-check";
import { PROBE_ACK_ID } from "../wire/ws-session.ts";

/** A Socket.IO packet to send, field by field (each field already as text). */
export interface SioPacketSpec {
  /** "0".."6", or something else. */
  type: string;
  /** The attachment count as written before "-", when there is one. */
  attachments?: string;
  /** The namespace as written before ",", when there is one. */
  nsp?: string;
  /** The ack id as written. */
  ackId?: string;
  /** The payload as written (JSON or not). */
  data?: string;
  /** Binary frames sent after the text (whatever `attachments` claims). */
  binaries: Uint8Array[];
  /** A last-moment edit of the text: a cut, an inserted or a removed character. */
  mutation?: Mutation;
}

/** An edit applied to an encoded text at `pos` (modulo its length). */
export interface Mutation {
  op: "truncate" | "insert" | "delete" | "duplicate";
  pos: number;
  ch: string;
}

/**
 * Event names worth trying: EventEmitter's own (`error`, `newListener`), Socket.IO's reserved
 * ones, Object.prototype's members, the target's handlers, and the empty string.
 */
export const EVENT_NAMES = [
  "error",
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "prototype",
  "ping",
  "fuzz:probe",
  "join",
  "leave",
  "echo",
  "relay",
  "kick",
  "",
] as const;

/** Namespaces: the target's (`/`, `/admin`, dynamic `/dyn-<n>`), unknown and malformed ones. */
export const NAMESPACES = ["/", "/admin", "/dyn-1", "/dyn-42", "/dyn-007", "/unknown", "/dyn-x", "admin", "/dyn-1/", "//", "/ad min", "/é"] as const;

/** A long text, built from a shrinkable length. */
function longText(min: number, max: number, ch = "x"): fc.Arbitrary<string> {
  return fc.integer({ min, max }).map((n) => ch.repeat(n));
}

/** Event names: mostly the interesting list, then random, very long, and not strings at all. */
export const eventName: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...EVENT_NAMES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 1, arbitrary: longText(1_000, 200_000) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(42, -1, 1.5, null, true, {}, [], ["nested"], { toString: "x" }) },
);

/** `{"_placeholder":true,"num":N}` with honest and lying N, and near-misses of the shape. */
export const placeholder: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(4).map((num) => ({ _placeholder: true, num })) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(-1, 1.5, "0", null, 1e9, {}, [], true).map((num) => ({ _placeholder: true, num })),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ _placeholder: true }, { _placeholder: "true", num: 0 }, { _placeholder: false, num: 0 }, { num: 0 }) },
);

/** Arguments of an event: JSON values, placeholders, room names, booleans. */
const argument: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: placeholder },
  { weight: 1, arbitrary: fc.constantFrom<unknown>("fuzz-room", "r", "", true, false, JSON.parse('{"__proto__":{"polluted":true}}')) },
  { weight: 1, arbitrary: fc.array(placeholder, { maxLength: 3 }).map((a) => ({ nested: a })) },
);

/** JSON text that is not a valid payload: wrong shapes, broken syntax, deep nesting. */
const oddPayload: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? "null"),
  fc.constantFrom("[", "]", "{", "[]", "{}", '["a"', "null", "0", '"str"', "[,]", "[1,]", '{"__proto__":{"x":1}}', "\u0000", "[\"a\"]x"),
  fc.integer({ min: 10, max: 100_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
  fc.integer({ min: 10, max: 50_000 }).map((n) => `["x",${'{"a":'.repeat(n)}1${"}".repeat(n)}]`),
  fc.string({ unit: "binary", maxLength: 24 }),
);

/** The JSON of an EVENT: `[name, ...args]` mostly. */
const eventPayload: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(eventName, fc.array(argument, { maxLength: 4 })).map(([name, args]) => JSON.stringify([name, ...args])) },
  { weight: 1, arbitrary: oddPayload },
);

/** The JSON of a CONNECT: an auth object (the right token sometimes), or anything else. */
const connectPayload: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom("ok", "no", "").map((token) => JSON.stringify({ token })) },
  { weight: 1, arbitrary: oddPayload },
);

/** Ack ids: small honest ones, and huge, negative, fractional, not numbers. */
export const ackId: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(1000).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom("99999999999999999999", "9007199254740993", "4294967296", "-1", "1.5", "00", "abc", "1e3", String(PROBE_ACK_ID + 1)),
  },
);

/** Declared attachment counts: mostly the real count (set later), sometimes a lie. */
const lyingCount: fc.Arbitrary<string> = fc.constantFrom("0", "1", "2", "3", "11", "-1", "abc", "", "99999999999", "1e2");

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom("truncate", "insert", "delete", "duplicate"),
  pos: fc.nat(),
  ch: fc.constantFrom(",", "-", "[", "]", '"', "/", "0", "\x1e", "{", " ", "\u2028"),
});

/** The packet type, weighted towards the ones applications handle (EVENT, CONNECT, binary). */
const packetType: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constant("2") },
  { weight: 3, arbitrary: fc.constant("0") },
  { weight: 3, arbitrary: fc.constant("5") },
  { weight: 2, arbitrary: fc.constant("3") },
  { weight: 1, arbitrary: fc.constant("6") },
  { weight: 2, arbitrary: fc.constant("1") },
  { weight: 1, arbitrary: fc.constant("4") },
  { weight: 1, arbitrary: fc.constantFrom("7", "9", "x", "", "-", "22") },
);

/**
 * A well-formed EVENT on the main namespace (with an ack id sometimes): it reaches the
 * application's handlers, so the states behind them (rooms joined, acks pending) get fuzzed too.
 */
export const cleanEvent: fc.Arbitrary<SioPacketSpec> = fc
  .record({
    name: fc.constantFrom(...EVENT_NAMES),
    args: fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom<unknown>("fuzz-room", "r", true, false)), { maxLength: 3 }),
    ackId: fc.option(fc.nat(1000).map(String), { freq: 2 }),
  })
  .map(({ name, args, ackId }) => ({ type: "2", binaries: [], data: JSON.stringify([name, ...args]), ...(ackId === null ? {} : { ackId }) }));

/** A Socket.IO packet of any kind (the namespace mostly the main one). */
export const anySioPacket: fc.Arbitrary<SioPacketSpec> = fc
  .record({
    type: packetType,
    nsp: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constantFrom(...NAMESPACES) }, { weight: 1, arbitrary: longText(300, 5000, "n").map((n) => `/${n}`) }),
    ackId: fc.option(ackId, { freq: 3 }),
    binaries: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 3 }),
    lie: fc.option(lyingCount, { freq: 3 }),
    eventData: eventPayload,
    connectData: connectPayload,
    otherData: fc.option(oddPayload, { freq: 2 }),
    mutation: fc.option(mutation, { freq: 6 }),
  })
  .map(({ type, nsp, ackId, binaries, lie, eventData, connectData, otherData, mutation }) => {
    const binary = type === "5" || type === "6";
    const data = type === "2" || type === "5" || type === "3" || type === "6" ? eventData : type === "0" ? connectData : (otherData ?? undefined);
    const spec: SioPacketSpec = {
      type,
      binaries: binary ? binaries : [],
      ...(nsp === undefined ? {} : { nsp }),
      ...(ackId === null || type === "0" ? {} : { ackId }),
      ...(data === undefined ? {} : { data: type === "3" || type === "6" ? ackData(data) : data }),
      ...(mutation === null ? {} : { mutation }),
    };
    if (binary) spec.attachments = lie ?? String(binaries.length);
    else if (lie !== null && lie.length > 2) spec.attachments = lie;
    return spec;
  });

/** A packet to send: a well-formed event or anything at all, evenly. */
export const sioPacket: fc.Arbitrary<SioPacketSpec> = fc.oneof(cleanEvent, anySioPacket);

/** An ACK carries `[...args]`: the event JSON without its name, when it is an array. */
function ackData(eventJson: string): string {
  try {
    const parsed: unknown = JSON.parse(eventJson);
    return Array.isArray(parsed) ? JSON.stringify(parsed.slice(1)) : eventJson;
  } catch {
    return eventJson;
  }
}

/** The packet's text (without the Engine.IO "4" message prefix). */
export function encodeSio(spec: SioPacketSpec): string {
  const nsp = spec.nsp === undefined || spec.nsp === "/" ? "" : `${spec.nsp},`;
  const text = `${spec.type}${spec.attachments === undefined ? "" : `${spec.attachments}-`}${nsp}${spec.ackId ?? ""}${spec.data ?? ""}`;
  return spec.mutation ? mutate(text, spec.mutation) : text;
}

/** Applies a mutation to a text (positions wrap around its length). */
export function mutate(text: string, m: Mutation): string {
  if (text.length === 0) return m.op === "insert" ? m.ch : text;
  const at = m.pos % text.length;
  switch (m.op) {
    case "truncate":
      return text.slice(0, at);
    case "insert":
      return `${text.slice(0, at)}${m.ch}${text.slice(at)}`;
    case "delete":
      return `${text.slice(0, at)}${text.slice(at + 1)}`;
    case "duplicate":
      return `${text.slice(0, at)}${text.slice(at)}${text.slice(at)}`;
  }
}
