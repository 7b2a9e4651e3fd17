/**
 * Shared pieces of the writeDelay tests: a raw WebSocket client joined to the main namespace
 * (it sees frames and TCP reads as they arrive), a log of the session's writes, and one turn
 * of the event loop.
 */
import { RawWsClient } from "../backpressure/raw-ws.ts";
import { onCleanup, type TestServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";

/** A long window: whatever a test emits over a few turns lands in one window, however loaded the machine. */
export const LONG_WINDOW_MS = 500;

/** Options that keep heartbeats out of the writes a test counts. */
export const QUIET_HEARTBEAT = { pingInterval: 60_000, pingTimeout: 60_000 } as const;

/** A raw client joined to "/" and its server-side socket. */
export interface RawPair {
  client: RawWsClient;
  server: ServerSocket;
}

/** Connects a raw WebSocket client and joins "/" (`40`); resolves once both sides are connected. */
export async function rawPair(fx: TestServer): Promise<RawPair> {
  const serverSide = new Promise<ServerSocket>((resolve) => fx.io.once("connection", resolve));
  const { client } = await RawWsClient.connect(fx.port);
  onCleanup(() => client.destroy());
  // [SIO5:connect] `40` joins the main namespace; the server answers `40{"sid":...}`.
  const connected = client.nextText((t) => t.startsWith("40"));
  client.sendText("40");
  await connected;
  return { client, server: await serverSide };
}

/**
 * Records the session's writes: each entry is the number of packets one flush handed to the
 * transport (one `transport.send`, which the WebSocket transport writes as one corked write).
 */
export function writes(server: ServerSocket): number[] {
  const log: number[] = [];
  server.conn.on("flush", (packets: unknown[]) => log.push(packets.length));
  return log;
}

/** One turn of the event loop: the tick's flushes (nextTick) and I/O callbacks have run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
