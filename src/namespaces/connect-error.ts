/**
 * The CONNECT_ERROR a refused connection gets. [SIO5:connect-error]
 */
import { encodePacket } from "../protocol/encoder.ts";
import { PacketType, type EncodedPacket } from "../protocol/packet.ts";

/**
 * Encodes the refusal of a connection to `nsp`: `{message, data?}` from the middleware's error.
 *
 * @param nsp - the namespace refused.
 * @param err - the error a middleware passed to `next`; its `data`, if any, goes along.
 * @returns the encoded packet; without `data` when that cannot be serialised (a cycle, a
 *   BigInt), so the client still gets the message.
 */
export function encodeConnectError(nsp: string, err: Error & { data?: unknown }): EncodedPacket {
  const data: { message: string; data?: unknown } = { message: String(err.message) };
  if (err.data !== undefined) data.data = err.data;
  try {
    return encodePacket({ type: PacketType.CONNECT_ERROR, nsp, data });
  } catch {
    return encodePacket({ type: PacketType.CONNECT_ERROR, nsp, data: { message: data.message } });
  }
}
