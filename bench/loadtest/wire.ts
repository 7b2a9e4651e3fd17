/**
 * The few Engine.IO v4 / Socket.IO v5 text packets a load-test client sends and reads, and the
 * stamp its messages carry. Everything is text: the load test never sends binary, and binary
 * packets it receives are only counted.
 */

/** Engine.IO packet types, the first character of every packet [EIO4:packet-types]. */
export const EIO = { open: "0", close: "1", ping: "2", pong: "3", message: "4", noop: "6" } as const;

/** Socket.IO packet types, the digit after the Engine.IO `4` [SIO5:packet-types]. */
export const SIO = { connect: 0, disconnect: 1, event: 2, ack: 3, connectError: 4, binaryEvent: 5, binaryAck: 6 } as const;

/** `"/chat,"` for namespace `/chat`; nothing for the main namespace [SIO5:namespace]. */
function nspPrefix(nsp: string): string {
  return nsp === "/" ? "" : `${nsp},`;
}

/** The CONNECT packet for `nsp`, with the auth payload if any [SIO5:connect]. */
export function connectPacket(nsp: string, auth: object | undefined): string {
  return `40${nspPrefix(nsp)}${auth === undefined ? "" : JSON.stringify(auth)}`;
}

/** An EVENT packet; with `ackId` the server is asked to acknowledge it [SIO5:event-payload] [SIO5:ack-id]. */
export function eventPacket(nsp: string, args: readonly unknown[], ackId?: number): string {
  return `42${nspPrefix(nsp)}${ackId ?? ""}${JSON.stringify(args)}`;
}

/** A Socket.IO packet's header: its type, namespace and ack id, and where its JSON data starts. */
export interface SioHeader {
  type: number;
  nsp: string;
  /** The ack id, or -1 when there is none. */
  id: number;
  /** Index in the packet of the data (JSON), or the packet's length when there is none. */
  dataAt: number;
}

/**
 * Reads the header of the Socket.IO packet inside an Engine.IO message packet (`4…`).
 * Format: type digit, `<attachments>-` for binary types, `/<nsp>,` unless main, ack id digits,
 * then JSON [SIO5:packet-format]. Returns undefined when the packet is not shaped so.
 */
export function readSioHeader(packet: string): SioHeader | undefined {
  const type = packet.charCodeAt(1) - 0x30;
  if (packet.charCodeAt(0) !== 0x34 || !(type >= 0 && type <= 6)) return undefined;
  let i = 2;
  if (type === SIO.binaryEvent || type === SIO.binaryAck) {
    const dash = packet.indexOf("-", i);
    if (dash < 0) return undefined;
    i = dash + 1;
  }
  let nsp = "/";
  if (packet.charCodeAt(i) === 0x2f) {
    const comma = packet.indexOf(",", i);
    nsp = comma < 0 ? packet.slice(i) : packet.slice(i, comma);
    i = comma < 0 ? packet.length : comma + 1;
  }
  let id = -1;
  for (let c = packet.charCodeAt(i); c >= 0x30 && c <= 0x39; c = packet.charCodeAt(++i)) id = (id < 0 ? 0 : id * 10) + (c - 0x30);
  return { type, nsp, id, dataAt: i };
}

/** The JSON data of a packet, or undefined when absent or not JSON. */
export function packetData(packet: string, header: SioHeader): unknown {
  if (header.dataAt >= packet.length) return undefined;
  try {
    return JSON.parse(packet.slice(header.dataAt)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The message text: `LT1~<run>~<sender>~<stamp>~` then `x` up to `payload` characters.
 * `run` tells this process's messages from another load test's sharing the rooms, `sender` is
 * the sending client's index (a copy back to it is an echo, not a delivery), `stamp` is the
 * send time in epoch ms with µs decimals. Only characters JSON never escapes, so the marker
 * reaches receivers byte for byte however the server wraps the text.
 */
export const MARKER = "LT1~";

/** Builds a message text (see {@link MARKER}). */
export function stampedText(run: string, sender: number, stamp: number, payload: number): string {
  const head = `${MARKER}${run}~${sender}~${stamp.toFixed(3)}~`;
  return head.length >= payload ? head : head + "x".repeat(payload - head.length);
}

/** What a received stamp says. */
export interface Stamp {
  run: string;
  sender: number;
  stamp: number;
}

/** Finds and reads the stamp in a received packet; undefined when there is none or it is garbled. */
export function readStampIn(packet: string): Stamp | undefined {
  const at = packet.indexOf(MARKER);
  if (at < 0) return undefined;
  const runEnd = packet.indexOf("~", at + MARKER.length);
  const senderEnd = runEnd < 0 ? -1 : packet.indexOf("~", runEnd + 1);
  const stampEnd = senderEnd < 0 ? -1 : packet.indexOf("~", senderEnd + 1);
  if (stampEnd < 0 || stampEnd - at > 64) return undefined;
  const sender = Number(packet.slice(runEnd + 1, senderEnd));
  const stamp = Number(packet.slice(senderEnd + 1, stampEnd));
  if (!Number.isInteger(sender) || !Number.isFinite(stamp)) return undefined;
  return { run: packet.slice(at + MARKER.length, runEnd), sender, stamp };
}

/** Now, in epoch ms with sub-ms precision, from the monotonic clock (never jumps back within a run). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
