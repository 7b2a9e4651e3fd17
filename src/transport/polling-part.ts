/**
 * One Engine.IO packet in its long-polling text form, as bytes: the type digit then the data, or,
 * for a binary message, `b` + base64 ([EIO4:polling-payload]). Shared by the polling payload
 * builder and by broadcast messages, which cache theirs.
 */
import type { EnginePacket, EnginePacketType } from "./transport.ts";

/** Engine.IO v4 type digits. */
const TYPE_DIGIT: Readonly<Record<EnginePacketType, string>> = {
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
  error: "4", // never sent: servers do not write "error" packets
};

/**
 * The polling form of `packet`, as engine.io-parser's `encodePacket(packet, false)` writes it.
 *
 * @param packet - the packet.
 */
export function pollingPartOf(packet: EnginePacket): Buffer {
  const data = packet.data;
  if (Buffer.isBuffer(data)) return Buffer.from(`b${data.toString("base64")}`, "latin1");
  return Buffer.from(TYPE_DIGIT[packet.type] + (data ?? ""), "utf8");
}
