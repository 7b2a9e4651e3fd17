/**
 * A raw Engine.IO WebSocket connection whose server-side socket records every write it hands to
 * the kernel: "write" for one chunk, "writev:N" for N chunks at once. For tests that pin "one
 * write per socket per tick".
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { connect, type Fixture } from "./helpers.ts";

/** What {@link connectSpied} returns: the connection and the list of writes, in order. */
export type SpiedConnection = Awaited<ReturnType<typeof connect>> & { calls: string[] };

/**
 * Connects a client and spies on the server's raw socket for it.
 *
 * @param fx - the server fixture.
 * @param tag - a query value that tells this connection's upgrade request apart.
 * @param beforeSpying - awaited after the connection opens and before writes are recorded (e.g. a
 *   turn of the event loop, so that the open packet's write is not counted).
 */
export async function connectSpied(fx: Fixture, tag: string, beforeSpying?: () => Promise<void>): Promise<SpiedConnection> {
  const rawSockets = new Map<string, Duplex>();
  fx.http.on("upgrade", (req: IncomingMessage, socket: Duplex) => rawSockets.set(req.url ?? "", socket));
  const query = `EIO=4&transport=websocket&t=${tag}`;
  const conn = await connect(fx, fx.wsUrl(query));
  if (beforeSpying !== undefined) await beforeSpying();
  const raw = rawSockets.get(`/engine.io/?${query}`);
  if (raw === undefined) throw new Error("raw socket not captured");
  const calls: string[] = [];
  const originalWrite = raw._write.bind(raw);
  const originalWritev = raw._writev?.bind(raw);
  raw._write = (chunk, encoding, cb) => {
    calls.push("write");
    originalWrite(chunk, encoding, cb);
  };
  if (originalWritev !== undefined) {
    raw._writev = (chunks, cb) => {
      calls.push(`writev:${chunks.length}`);
      originalWritev(chunks, cb);
    };
  }
  return { ...conn, calls };
}
