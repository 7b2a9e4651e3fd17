/**
 * Whether this build of roomcast speaks HTTP long-polling: a real polling handshake against a
 * throwaway server. Tests that need polling are skipped (not failed) while it answers no.
 */
import http from "node:http";
import { Server } from "../../../src/index.ts";
import { listenLocal } from "./page-server.ts";

/** Bound on the probe request, so an unanswered request cannot hang the test file's import. */
const PROBE_TIMEOUT_MS = 5_000;

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("polling probe timed out")));
    req.on("error", () => resolve(0));
  });
}

/** GET `/socket.io/?EIO=4&transport=polling` on a fresh roomcast server: true on 200. */
export async function probePolling(): Promise<boolean> {
  const httpServer = http.createServer();
  const io = new Server(httpServer);
  const listening = await listenLocal(httpServer);
  try {
    return (await get(`${listening.origin}/socket.io/?EIO=4&transport=polling`)) === 200;
  } finally {
    await io.close();
    await listening.close();
  }
}
