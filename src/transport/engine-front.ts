/**
 * The HTTP front of the engine: which requests are its own (everything under its path), CORS,
 * the client files of the Socket.IO server, and the Connect-style middlewares of
 * `engine.use()`, before {@link EngineServer} looks at the Engine.IO query.
 */
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { CorsPolicy } from "./cors.ts";
import { runEngineMiddlewares, UpgradeResponse, type EngineMiddleware } from "./engine-middleware.ts";
import { destroyOnError, EngineErrorCode } from "./errors.ts";
import { matchesPath, type Rejection } from "./handshake.ts";
import type { EngineOptions } from "./options.ts";
import type { EngineServerEvents } from "./server-types.ts";

/** What a middleware failure is reported as (engine.io's name). */
function middlewareFailure(error: unknown): Rejection {
  return { code: EngineErrorCode.BAD_REQUEST, context: { name: "MIDDLEWARE_FAILURE", error } };
}

/** The part of an Engine.IO server that receives HTTP requests and upgrades. */
export abstract class EngineFront extends EventEmitter<EngineServerEvents> {
  /** Resolved options (defaults filled in, validated). */
  readonly opts: EngineOptions;
  /**
   * @internal Serves a file under the engine path before the engine looks at the request (the
   * Socket.IO server's client bundle); returns false for anything else. Null: none.
   */
  files: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null;
  protected path: string;
  private readonly cors: CorsPolicy | null;
  /** Connect-style middlewares ({@link EngineFront.use}), in order. */
  private readonly middlewares: EngineMiddleware[] = [];
  /** What the middlewares of an upgrade in flight set, for its 101 answer. */
  private readonly upgradeResponses = new WeakMap<IncomingMessage, UpgradeResponse>();

  /** @param opts - resolved options. */
  protected constructor(opts: EngineOptions) {
    super();
    this.opts = opts;
    this.path = opts.path;
    this.cors = opts.cors === false ? null : new CorsPolicy(opts.cors);
  }

  /** A request under the path that passed CORS and the middlewares. */
  protected abstract onRequest(req: IncomingMessage, res: ServerResponse): void;
  /** An upgrade under the path that passed the middlewares. */
  protected abstract onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Answers a refused request (and reports it as `connection_error`). */
  protected abstract reject(req: IncomingMessage, rejection: Rejection, answer: Duplex | ServerResponse): void;

  /**
   * Handles an HTTP request if it is on the engine path: CORS (a preflight is answered here),
   * then a polling handshake (no sid) or a session's GET/POST (sid). A refused request is
   * answered with HTTP 400/403 + JSON `{"code","message"}`.
   *
   * @param req - the request.
   * @param res - its response.
   * @returns true if the request was for the engine (and is being answered), false otherwise.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if (!matchesPath(req.url ?? "/", this.path, this.opts.addTrailingSlash)) return false;
    if (this.cors === null) this.afterCors(req, res);
    else this.cors.handle(req, res, () => this.afterCors(req, res));
    return true;
  }

  /**
   * Adds a Connect-style middleware, run on every Engine.IO HTTP request (handshake, polls,
   * POSTs and the WebSocket upgrade, whose response object is an {@link UpgradeResponse}) after
   * CORS and before the engine checks the request. `next(err)` refuses it (400,
   * `MIDDLEWARE_FAILURE`).
   *
   * @example
   * io.engine.use(helmet());
   * io.engine.use(sessionMiddleware); // socket.request.session in Socket.IO handlers
   */
  use(middleware: EngineMiddleware): this;
  /** Express-typed middlewares (express-session, passport…): they take Node's req and res too. */
  use(middleware: (req: never, res: never, next: never) => unknown): this;
  use(middleware: EngineMiddleware | ((req: never, res: never, next: never) => unknown)): this {
    if (typeof middleware !== "function") throw new TypeError("engine.use() takes a function (req, res, next)");
    // Sound: whatever its declared types, a middleware is called with Node's req and res.
    this.middlewares.push(middleware as EngineMiddleware);
    return this;
  }

  private afterCors(req: IncomingMessage, res: ServerResponse): void {
    if (this.files !== null && this.files(req, res)) return;
    // No middleware: no closure, no promise, nothing per request.
    if (this.middlewares.length === 0) {
      this.onRequest(req, res);
      return;
    }
    runEngineMiddlewares(this.middlewares, req, res, (err) => {
      if (err === null) this.onRequest(req, res);
      else this.reject(req, middlewareFailure(err), res);
    });
  }

  /**
   * Handles an HTTP upgrade request if it is on the engine path: a WebSocket handshake (no
   * sid) opens a session; a WebSocket carrying a polling session's sid starts its upgrade.
   * A refused request is answered with HTTP 400/403 + JSON `{"code","message"}` and destroyed.
   *
   * @param req - the upgrade request.
   * @param socket - its raw socket (the `socket` argument of the http `upgrade` event).
   * @param head - the first bytes after the request head.
   * @returns true if the request was for the engine (handled or refused), false if it was left alone.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (!matchesPath(req.url ?? "/", this.path, this.opts.addTrailingSlash)) return false;
    if (this.middlewares.length === 0) {
      this.onUpgrade(req, socket, head);
      return true;
    }
    const res = new UpgradeResponse(req, socket);
    // Node leaves an upgrade socket without an `error` listener: a reset while an asynchronous
    // middleware (a session store lookup) runs would otherwise crash the process.
    socket.on("error", destroyOnError);
    runEngineMiddlewares(this.middlewares, req, res.asServerResponse(), (err) => {
      socket.off("error", destroyOnError);
      if (err !== null) {
        this.reject(req, middlewareFailure(err), socket);
        return;
      }
      // Middlewares that hook writeHead (express-session's cookie) add their headers now; they
      // go out in the 101.
      res.writeHead();
      this.upgradeResponses.set(req, res);
      this.onUpgrade(req, socket, head);
    });
    return true;
  }

  /** Copies what the upgrade's middlewares set into the 101's header lines (ws `headers` event). */
  protected addMiddlewareHeaders(req: IncomingMessage, lines: string[]): void {
    const res = this.upgradeResponses.get(req);
    if (res === undefined) return;
    this.upgradeResponses.delete(req);
    for (const line of res.headerLines()) lines.push(line);
  }
}
