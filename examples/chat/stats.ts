/**
 * The live stats behind `/stats`: a `/stats` namespace that pushes the server's own figures
 * (`io.metrics.snapshot()`, the same counters `/metrics` exports) to whoever watches, once per
 * interval, and only while someone watches. The page turns successive samples into rates.
 */
import type { MetricsSnapshot } from "../../src/index.ts";
import type { StatsSample } from "./events.ts";
import type { ChatServer } from "./server.ts";

function sample(snapshot: MetricsSnapshot): StatsSample {
  return {
    t: Date.now(),
    connections: snapshot.engineConnections,
    sockets: snapshot.connectedSockets["/"] ?? 0,
    rooms: snapshot.rooms["/"] ?? 0,
    received: snapshot.eventsReceived,
    sent: snapshot.eventsSent,
  };
}

/**
 * Opens the `/stats` namespace on `io` (whose `metrics` option must be on).
 *
 * @param intervalMs - how often watchers get a sample. Default 1000.
 * @returns a function that stops the feed.
 */
export function serveStats(io: ChatServer, intervalMs = 1000): () => void {
  const metrics = io.metrics;
  if (metrics === null) throw new Error("serveStats needs the server's metrics option");
  const nsp = io.of("/stats");
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
  };
  nsp.on("connection", (socket) => {
    // The first sample at once, so the page has a starting point for its rates.
    socket.emit("stats", sample(metrics.snapshot()));
    // Volatile: a watcher that cannot keep up skips samples rather than queueing stale ones.
    timer ??= setInterval(() => nsp.volatile.emit("stats", sample(metrics.snapshot())), intervalMs);
    socket.on("disconnect", () => {
      if (nsp.sockets.size === 0) stop();
    });
  });
  return stop;
}
