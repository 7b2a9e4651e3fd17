/**
 * Hooking an engine into an http.Server: its requests on the engine path go to the engine, a few
 * exact routes besides it (metrics, health) to their handlers, the rest to the listeners the
 * server already had; and undoing it.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What the engine offers the http server. */
export interface HttpHandlers {
  /** Answers a request if it is the engine's; returns false to leave it to the other listeners. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Answers an upgrade request if it is the engine's (others are left to other listeners). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Routes besides the engine path (metrics, health), tried for requests the engine left. */
  readonly routes?: { handle(req: IncomingMessage, res: ServerResponse): boolean };
  /** Takes care of an upgrade request `handleUpgrade` left alone (see guardForeignUpgrade). */
  leaveUpgrade(socket: Duplex): void;
}

/**
 * Attaches `handlers` to `server`. Requests on other paths still reach the listeners the server
 * had before; listeners added afterwards see every request.
 *
 * @param server - the http server.
 * @param handlers - the engine.
 * @returns a function that detaches, putting the previous request listeners back in front.
 */
export function attachToHttpServer(server: HttpServer, handlers: HttpHandlers): () => void {
  // Node calls every 'request' listener, so the user's handlers must be moved behind ours or
  // they would also answer engine requests. rawListeners keeps `once` wrappers intact; the
  // cast is sound because 'request' listeners are only ever called with (req, res).
  const previous = server.rawListeners("request") as RequestListener[];
  server.removeAllListeners("request");
  const onRequest: RequestListener = (req, res) => {
    if (handlers.handleRequest(req, res) || handlers.routes?.handle(req, res) === true) return;
    for (const listener of previous) Reflect.apply(listener, server, [req, res]);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!handlers.handleUpgrade(req, socket, head)) handlers.leaveUpgrade(socket);
  };
  server.on("request", onRequest);
  server.on("upgrade", onUpgrade);
  return () => {
    server.off("request", onRequest);
    server.off("upgrade", onUpgrade);
    // Back in front, in their original order, ahead of anything added since.
    for (let i = previous.length - 1; i >= 0; i--) {
      const listener = previous[i];
      if (listener !== undefined) server.prependListener("request", listener);
    }
  };
}

/** Answers one request on a route. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A table of exact pathnames (query strings ignored) and their handlers.
 *
 * @example
 * engine.routes.add("/health", (_req, res) => res.end("ok"));
 */
export class HttpRoutes {
  private readonly table = new Map<string, RouteHandler>();

  /**
   * Adds a route.
   *
   * @param path - an exact pathname starting with "/".
   * @param handler - answers the request (every method reaches it).
   * @throws TypeError when the path is not absolute or already routed.
   */
  add(path: string, handler: RouteHandler): this {
    if (!path.startsWith("/")) throw new TypeError(`roomcast: a route path must start with "/", got ${path}`);
    if (this.table.has(path)) throw new TypeError(`roomcast: the path ${path} is already routed`);
    this.table.set(path, handler);
    return this;
  }

  /** Removes a route (nothing happens if there is none). */
  delete(path: string): void {
    this.table.delete(path);
  }

  /**
   * Answers `req` if its pathname is routed.
   *
   * @returns true when a handler took the request.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.table.size === 0) return false;
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const handler = this.table.get(query === -1 ? url : url.slice(0, query));
    if (handler === undefined) return false;
    handler(req, res);
    return true;
  }
}
