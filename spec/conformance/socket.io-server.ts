/**
 * The Socket.IO v5 conformance server, for the public protocol test suite
 * (socketio/socket.io-protocol, folder `test-suite/`). Run it with `npm run conformance:socket.io`;
 * it listens on 127.0.0.1:3000 (`PORT` overrides the port).
 *
 * What the suite expects, and this server does:
 * - path `/socket.io`, pingInterval 300, pingTimeout 200, maxHttpBufferSize 1e6, connectTimeout 1000;
 * - namespaces `/` and `/custom` only: any other is refused with CONNECT_ERROR "Invalid namespace";
 * - on every connection, to either namespace: emit `"auth"` with `socket.handshake.auth`;
 * - on `/`: `"message"` → emit `"message-back"` with the same arguments (binary included), and
 *   `"message-with-ack"` → call the ack with the same arguments.
 * CORS allows any origin so the suite's browser runner can reach it too.
 */
import { createServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import { Server } from "../../src/index.ts";
import type { ServerOptions, Socket } from "../../src/index.ts";
import { closeOnSignals, conformancePort, isMain, listenOn } from "./listen.ts";

/** The options the public Socket.IO test suite is written against. */
export const SOCKET_IO_CONFORMANCE_OPTIONS = {
  path: "/socket.io",
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  connectTimeout: 1000,
  cors: { origin: "*" },
} as const satisfies Partial<ServerOptions>;

/** A running conformance server. */
export interface RunningSocketIoServer {
  /** The Socket.IO server. */
  io: Server;
  /** The http server it is attached to. */
  httpServer: HttpServer;
  /** The port bound. */
  port: number;
  /** Closes both. */
  close(): Promise<void>;
}

function sendAuth(socket: Socket): void {
  socket.emit("auth", socket.handshake.auth);
}

/**
 * Starts the Socket.IO conformance server.
 *
 * @param port - port to listen on; 0 for an ephemeral one (tests). Default {@link conformancePort}.
 * @param host - address to listen on. Default 127.0.0.1.
 * @returns the running server.
 * @example
 * ```ts
 * const { port, close } = await startSocketIoConformanceServer(0);
 * ```
 */
export async function startSocketIoConformanceServer(port = conformancePort(), host?: string): Promise<RunningSocketIoServer> {
  const httpServer = createServer();
  const io = new Server(httpServer, SOCKET_IO_CONFORMANCE_OPTIONS);
  io.on("connection", (socket) => {
    sendAuth(socket);
    socket.on("message", (...args: unknown[]) => {
      socket.emit("message-back", ...args);
    });
    socket.on("message-with-ack", (...args: unknown[]) => {
      const ack = args.pop();
      if (typeof ack === "function") Reflect.apply(ack, undefined, args);
    });
  });
  io.of("/custom").on("connection", sendAuth);
  const bound = await listenOn(httpServer, port, host);
  return { io, httpServer, port: bound, close: () => io.close() };
}

if (isMain(import.meta.url)) {
  const server = await startSocketIoConformanceServer();
  closeOnSignals(server.close);
  console.log(`Socket.IO conformance server on http://127.0.0.1:${server.port}/socket.io/`);
}
