/**
 * The CONNECT_ERROR a refused connection gets. [SIO5:connect-error]
 */
import { PacketType } from "../protocol/packet.ts";
import type { EncodedParts, ParserEncoder } from "../protocol/parser.ts";

/**
 * Encodes the refusal of a connection to `nsp`: `{message, data?}` from the middleware's error.
 *
 * @param encoder - the server's encoder (`io.encoder`: roomcast's codec or the `parser` option's).
 * @param nsp - the namespace refused.
 * @param err - the error a middleware passed to `next`; its `data`, if any, goes along.
 * @returns the encoded packet; without `data` when that cannot be serialised (a cycle, a
 *   BigInt), so the client still gets the message.
 */
export function encodeConnectError(encoder: ParserEncoder, nsp: string, err: Error & { data?: unknown }): EncodedParts {
  const data: { message: string; data?: unknown } = { message: String(err.message) };
  if (err.data !== undefined) data.data = err.data;
  try {
    return encoder.encode({ type: PacketType.CONNECT_ERROR, nsp, data });
  } catch {
    return encoder.encode({ type: PacketType.CONNECT_ERROR, nsp, data: { message: data.message } });
  }
}
