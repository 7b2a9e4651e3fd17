/**
 * Shared pieces of the backpressure tests: a stalled raw WebSocket client joined to the main
 * namespace, the server-side raw socket it arrived on, and a bounded emit loop.
 */
import type { Duplex } from "node:stream";
import { onCleanup, type TestServer } from "../support/harness.ts";
import type { ServerSocket } from "../support/server.ts";
import { RawWsClient } from "./raw-ws.ts";

/** A raw client joined to "/" and its server-side socket. */
export interface StalledPair {
  client: RawWsClient;
  server: ServerSocket;
  /** The server's end of the TCP connection (the `upgrade` event's socket). */
  serverRaw: Duplex;
}

/**
 * Connects a raw WebSocket client, sends the Socket.IO CONNECT for "/", waits for the CONNECT
 * answer, then stops reading. Connect pairs one after another, not concurrently.
 */
export async function stalledPair(fx: TestServer): Promise<StalledPair> {
  const serverRaw = new Promise<Duplex>((resolve) => fx.httpServer.once("upgrade", (_req, socket: Duplex) => resolve(socket)));
  const serverSide = new Promise<ServerSocket>((resolve) => fx.io.once("connection", resolve));
  const { client } = await RawWsClient.connect(fx.port);
  onCleanup(() => client.destroy());
  // [SIO5:connect] `40` joins the main namespace; the server answers `40{"sid":...}`.
  const connected = client.nextText((t) => t.startsWith("40"));
  client.sendText("40");
  await connected;
  client.pause();
  return { client, server: await serverSide, serverRaw: await serverRaw };
}

/** One turn of the event loop: the session flushes (nextTick) and I/O callbacks run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What an emit loop did. */
export interface Fill {
  /** Payload bytes emitted (the string lengths, as the server counts them). */
  emitted: number;
  /** Batches emitted. */
  batches: number;
}

/**
 * Emits `batch` events of `payload` per turn until `stop()` is true or `maxBatches` were emitted.
 * Bounded on purpose: a server that never stops a stalled client fails the test instead of
 * eating the machine's memory.
 */
export async function fill(
  emit: () => void,
  payloadLength: number,
  opts: { batch: number; maxBatches: number; stop: () => boolean; afterBatch?: (batch: number) => void },
): Promise<Fill> {
  let emitted = 0;
  let batches = 0;
  while (!opts.stop() && batches < opts.maxBatches) {
    for (let i = 0; i < opts.batch; i++) {
      emit();
      emitted += payloadLength;
    }
    opts.afterBatch?.(batches);
    batches++;
    await turn();
  }
  return { emitted, batches };
}
