/**
 * The packets that accept a client's CONNECT: a resumed session's missed packets, then the
 * CONNECT answer (the refusal is connect-error.ts).
 */
import { PacketType, type Packet } from "../protocol/packet.ts";
import type { WriteOptions } from "../rooms/types.ts";

/** Where the answer is written (the socket's client). */
interface PacketSink {
  writePacket(packet: Packet, opts: WriteOptions): void;
}

/**
 * Writes the acceptance of a CONNECT to namespace `nsp`.
 *
 * @param sid - the socket id.
 * @param pid - the private session id, when connection state recovery is on.
 * @param missed - a resumed socket's missed packets (their data, offsets included), sent
 *   first: socket.io-client buffers them and emits them just before `connect`, as it does with
 *   socket.io (which also sends them before the CONNECT answer).
 */
export function writeConnect(sink: PacketSink, nsp: string, sid: string, pid: string | undefined, missed: unknown[][] | undefined): void {
  if (missed !== undefined) for (const data of missed) sink.writePacket({ type: PacketType.EVENT, nsp, data }, {});
  // [SIO5:connect] the CONNECT answer carries the socket id, and with recovery on the private
  // session id [SIO5:recovery-pid].
  sink.writePacket({ type: PacketType.CONNECT, nsp, data: pid === undefined ? { sid } : { sid, pid } }, {});
}
