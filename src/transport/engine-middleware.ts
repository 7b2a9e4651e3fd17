/**
 * `engine.use(middleware)`: Connect-style middlewares (`(req, res, next)`: express-session,
 * helmet, passport…) run on every Engine.IO HTTP request, the handshake and the WebSocket
 * upgrade included, before the engine looks at the request.
 *
 * An upgrade has no `ServerResponse`: the middlewares get an {@link UpgradeResponse} instead,
 * whose headers end up in the `101 Switching Protocols` answer (a session cookie, security
 * headers), and whose `end()` answers the upgrade request with that status and body (a
 * middleware refusing it) where engine.io would only drop the connection.
 */
import { EventEmitter } from "node:events";
import { STATUS_CODES } from "node:http";
import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/**
 * A Connect-style middleware. `next(err)` refuses the request (400, `MIDDLEWARE_FAILURE`); a
 * middleware may also answer the request itself and not call `next`.
 */
export type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Runs `middlewares` in order, each once `next()` was called by the previous one. A throw, a
 * rejected promise or `next(err)` stops the chain with that error; a second call of `next` is
 * ignored. A middleware that answers without calling `next` ends the chain: `done` is not called.
 *
 * @param done - called once with null (every middleware passed) or the error.
 */
export function runEngineMiddlewares(
  middlewares: readonly EngineMiddleware[],
  req: IncomingMessage,
  res: ServerResponse,
  done: (err: unknown) => void,
): void {
  let index = 0;
  const step = (): void => {
    const middleware = middlewares[index++];
    if (middleware === undefined) {
      done(null);
      return;
    }
    let settled = false;
    const next = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null && err !== false) done(err);
      // A middleware that answered the request (and then called next anyway) ends it here.
      else if (res.writableEnded) return;
      else step();
    };
    try {
      const result: unknown = Reflect.apply(middleware, undefined, [req, res, next]);
      if (isThenable(result)) result.then(undefined, (err: unknown) => next(err ?? new Error("middleware rejected")));
    } catch (err) {
      next(err ?? new Error("middleware threw"));
    }
  };
  step();
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * The response object middlewares see for a WebSocket upgrade: the part of `ServerResponse`
 * they use (headers, `writeHead`, `end`, `finish`/`close` events). The engine calls
 * `writeHead()` just before the `101`, so middlewares that hook it (express-session's cookie
 * goes out there) run, then copies {@link UpgradeResponse.headerLines} into the 101.
 */
export class UpgradeResponse extends EventEmitter {
  /** Status for `end()` (a middleware refusing the upgrade); the 101 ignores it. */
  statusCode = 200;
  statusMessage = "";
  headersSent = false;
  writableEnded = false;
  finished = false;
  /** Header names in lower case → [name as set, value]. */
  private readonly headers = new Map<string, [string, OutgoingHttpHeader]>();
  /** What `write()` was given, sent by `end()`. */
  private readonly body: Buffer[] = [];

  /**
   * @param req - the upgrade request.
   * @param socket - its raw socket.
   */
  constructor(
    readonly req: IncomingMessage,
    readonly socket: Duplex,
  ) {
    super();
    // Middlewares such as pino-http wait for `close` to log the response.
    socket.once("close", () => this.emit("close"));
  }

  /** As `ServerResponse`. */
  setHeader(name: string, value: OutgoingHttpHeader): this {
    this.headers.set(name.toLowerCase(), [name, value]);
    return this;
  }

  /** As `ServerResponse`. */
  getHeader(name: string): OutgoingHttpHeader | undefined {
    return this.headers.get(name.toLowerCase())?.[1];
  }

  /** As `ServerResponse`. */
  getHeaders(): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {};
    for (const [key, [, value]] of this.headers) out[key] = value;
    return out;
  }

  /** As `ServerResponse`. */
  getHeaderNames(): string[] {
    return [...this.headers.keys()];
  }

  /** As `ServerResponse`. */
  hasHeader(name: string): boolean {
    return this.headers.has(name.toLowerCase());
  }

  /** As `ServerResponse`. */
  removeHeader(name: string): void {
    this.headers.delete(name.toLowerCase());
  }

  /** Records the status and headers; nothing is written until `end()` (or the 101). */
  writeHead(status?: number, message?: string | OutgoingHttpHeaders, headers?: OutgoingHttpHeaders): this {
    if (status !== undefined) this.statusCode = status;
    const extra = typeof message === "object" ? message : headers;
    if (typeof message === "string") this.statusMessage = message;
    if (extra !== undefined) {
      for (const [name, value] of Object.entries(extra)) if (value !== undefined) this.setHeader(name, value);
    }
    return this;
  }

  /** Body bytes before `end()` are kept for it. */
  write(chunk: string | Buffer): boolean {
    this.body.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    return true;
  }

  /**
   * A middleware answers the upgrade request itself (e.g. 401): the status, headers and body go
   * out as a plain HTTP response and the connection is closed.
   */
  end(chunk?: string | Buffer | (() => void), _encoding?: string | (() => void), _cb?: () => void): this {
    if (this.writableEnded) return this;
    if (typeof chunk === "string" || Buffer.isBuffer(chunk)) this.write(chunk);
    this.writableEnded = this.finished = this.headersSent = true;
    const socket = this.socket;
    socket.on("error", destroyOnError);
    if (socket.writable) {
      const body = Buffer.concat(this.body);
      const status = this.statusCode === 101 ? 400 : this.statusCode;
      let head = `HTTP/1.1 ${status} ${this.statusMessage || STATUS_CODES[status] || ""}\r\nConnection: close\r\n`;
      for (const line of this.headerLines()) head += `${line}\r\n`;
      head += `Content-Length: ${body.length}\r\n\r\n`;
      socket.once("finish", socket.destroy);
      socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
    } else {
      socket.destroy();
    }
    this.emit("finish");
    return this;
  }

  /** The recorded headers as `Name: value` lines (one per value), without Content-Length. */
  headerLines(): string[] {
    const lines: string[] = [];
    for (const [key, [name, value]] of this.headers) {
      if (key === "content-length" || key === "connection") continue;
      for (const v of Array.isArray(value) ? value : [value]) {
        const text = String(v);
        // A value that could split the response is left out rather than sent.
        if (!/[\r\n\0]/.test(text) && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) lines.push(`${name}: ${text}`);
      }
    }
    return lines;
  }

  /** The response as the middlewares' type: they only use the members above. */
  asServerResponse(): ServerResponse {
    return this as unknown as ServerResponse;
  }
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}
