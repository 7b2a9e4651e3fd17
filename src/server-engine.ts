/**
 * What the Socket.IO server sets up around its Engine.IO server when it attaches: the parser,
 * the frame trace, debug logging and the client files. Kept apart so that server.ts holds the
 * public API.
 */
import type { Server as HttpServer } from "node:http";
import type { AnyNamespace } from "./namespaces/any.ts";
import type { SocketIoOptions } from "./options.ts";
import { debugEngine, serverLog } from "./observe/debug.ts";
import { checkParser, defaultParser, type Parser, type ParserEncoder } from "./protocol/parser.ts";
import { isTraceEnabled, traceEngine } from "./trace.ts";
import { sharedClientBundle } from "./transport/client-bundle.ts";
import { EngineServer } from "./transport/engine-server.ts";
import type { EngineOptions } from "./transport/options.ts";

/** The server's codec: its one encoder, and the parser when it is not roomcast's own. */
export function resolveParser(option: SocketIoOptions["parser"]): { encoder: ParserEncoder; customParser: Parser | null } {
  const parser = option === undefined ? defaultParser : checkParser(option);
  const encoder = new parser.Encoder();
  if (typeof encoder.encode !== "function") {
    throw new TypeError("roomcast: option parser: new Encoder() has no encode(packet) method");
  }
  return { encoder, customParser: parser === defaultParser ? null : parser };
}

/**
 * A new Engine.IO server for the Socket.IO server, traced (`ROOMCAST_TRACE`) and logged
 * (`DEBUG`) when asked, serving the client files when `sio.serveClient` is on.
 *
 * @param sio - the server's Socket.IO options (read again at each request for `serveClient`).
 * @param engineOpts - the Engine.IO options.
 * @param customParser - the custom parser, if any (its frames are traced as Engine.IO only).
 */
export function createEngine(sio: SocketIoOptions, engineOpts: Partial<EngineOptions>, customParser: Parser | null): EngineServer {
  const engine = new EngineServer({ ...engineOpts, path: sio.path });
  // ROOMCAST_TRACE=1 prints every frame in and out with its meaning (spec/README.md).
  if (isTraceEnabled()) {
    traceEngine(engine, { socketIo: customParser === null ? { maxAttachments: sio.maxAttachments } : undefined });
  }
  debugEngine(engine);
  if (sio.serveClient) serveClientFiles(engine, sio);
  return engine;
}

/** Hands the client bundle to the engine (it answers under the path, after CORS). */
export function serveClientFiles(engine: EngineServer, sio: SocketIoOptions): void {
  const bundle = sharedClientBundle();
  if (bundle === null) return;
  if (serverLog.enabled) serverLog("serving socket.io-client %s under %s", bundle.version, sio.path);
  engine.files = (req, res) => sio.serveClient && bundle.serve(req, res, sio.path);
}

/**
 * Closes a server: every socket of `namespaces` ("server shutting down"), their adapters, the
 * engine, then the HTTP server.
 *
 * @returns the HTTP server's close error (`ERR_SERVER_NOT_RUNNING` for one that never
 *   listened, as socket.io passes it on).
 */
export async function closeServer(
  namespaces: Iterable<AnyNamespace>,
  engine: EngineServer | undefined,
  http: HttpServer | undefined,
): Promise<Error | undefined> {
  for (const nsp of namespaces) {
    for (const socket of [...nsp.sockets.values()]) socket.onClose("server shutting down");
    void nsp.adapter.close();
  }
  engine?.close();
  if (serverLog.enabled) serverLog("closed");
  if (http === undefined) return undefined;
  return new Promise((resolve) => {
    http.close((err) => resolve(err));
    http.closeAllConnections?.();
  });
}
