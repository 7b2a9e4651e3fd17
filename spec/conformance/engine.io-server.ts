/**
 * The Engine.IO v4 conformance server, for the public protocol test suite
 * (socketio/engine.io-protocol, folder `test-suite/`). Run it with `npm run conformance:engine.io`;
 * it listens on 127.0.0.1:3000 (`PORT` overrides the port).
 *
 * A bare {@link EngineServer} on path `/engine.io`, pingInterval 300, pingTimeout 200,
 * maxHttpBufferSize 1e6, echoing every message (text as text, binary as binary). CORS allows
 * any origin so the suite's browser runner can reach it too.
 */
import { createServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import { EngineServer } from "../../src/index.ts";
import type { EngineOptions, EngineSocket } from "../../src/index.ts";
import { closeOnSignals, conformancePort, isMain, listenOn } from "./listen.ts";
import { isTraceEnabled, traceEngine } from "../../src/trace.ts";

/** The options the public Engine.IO test suite is written against. */
export const ENGINE_IO_CONFORMANCE_OPTIONS = {
  path: "/engine.io",
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  cors: { origin: "*" },
} as const satisfies Partial<EngineOptions>;

/** A running conformance server. */
export interface RunningEngineServer {
  /** The engine. */
  engine: EngineServer;
  /** The http server it is attached to. */
  httpServer: HttpServer;
  /** The port bound. */
  port: number;
  /** Closes both. */
  close(): Promise<void>;
}

/**
 * Starts the Engine.IO conformance server.
 *
 * @param port - port to listen on; 0 for an ephemeral one (tests). Default {@link conformancePort}.
 * @param host - address to listen on. Default 127.0.0.1.
 * @returns the running server.
 * @example
 * ```ts
 * const { port, close } = await startEngineIoConformanceServer(0);
 * ```
 */
export async function startEngineIoConformanceServer(port = conformancePort(), host?: string): Promise<RunningEngineServer> {
  const httpServer = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const engine = new EngineServer(ENGINE_IO_CONFORMANCE_OPTIONS).attach(httpServer);
  if (isTraceEnabled()) traceEngine(engine);
  engine.on("connection", (socket: EngineSocket) => {
    socket.on("message", (data) => socket.send(data));
  });
  const bound = await listenOn(httpServer, port, host);
  const close = async (): Promise<void> => {
    engine.close();
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  };
  return { engine, httpServer, port: bound, close };
}

if (isMain(import.meta.url)) {
  const server = await startEngineIoConformanceServer();
  closeOnSignals(server.close);
  console.log(`Engine.IO conformance server on http://127.0.0.1:${server.port}/engine.io/`);
}
