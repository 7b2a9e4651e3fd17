/**
 * Cross-origin resource sharing for the engine's HTTP requests (long-polling), our own small
 * implementation of the usual `cors` option shape.
 *
 * [EIO4:cors] Browsers only let a page read a polling response from another origin when it
 * carries `Access-Control-Allow-Origin` for that page's origin; a POST with a text body is
 * "simple", but credentials or custom headers make the browser send a preflight `OPTIONS` first,
 * which is answered here with 204 and the allowed methods/headers. WebSocket upgrades are not
 * subject to CORS: check `Origin` in `allowRequest` to restrict them.
 */
import { validateHeaderValue } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";

/** An origin rule: `"*"`, one origin, a pattern, a list of them, `true` (reflect) or `false` (no CORS). */
export type StaticOrigin = boolean | string | RegExp | Array<string | RegExp>;

/** Decides the origin rule per request; `origin` is the request's `Origin` header. */
export type CustomOrigin = (
  origin: string | undefined,
  callback: (err: Error | null, origin?: StaticOrigin) => void,
) => void;

/** CORS settings of an engine (the `cors` option). */
export interface CorsOptions {
  /**
   * Which origins may read responses. `"*"` (default) allows every origin, without credentials; a string: that
   * origin only; a RegExp or array: the request's origin when it matches; `true`: the request's
   * origin whatever it is; a function: decided per request.
   */
  origin?: StaticOrigin | CustomOrigin;
  /** Methods announced in preflight answers. Default `"GET,HEAD,PUT,PATCH,POST,DELETE"`. */
  methods?: string | string[];
  /** Request headers allowed in preflight answers. Default: those the preflight asks for. */
  allowedHeaders?: string | string[];
  /** Response headers a page may read (`Access-Control-Expose-Headers`). Default none. */
  exposedHeaders?: string | string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies, auth). Default false. */
  credentials?: boolean;
  /** Seconds a browser may cache a preflight answer (`Access-Control-Max-Age`). Default unset. */
  maxAge?: number;
}

const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

/** Characters allowed in an HTTP header value (RFC 9110 field-value, no CR/LF/NUL). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function joinList(name: string, value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  const list = typeof value === "string" ? value : value.join(",");
  if (typeof list !== "string" || (Array.isArray(value) && value.some((v) => typeof v !== "string"))) {
    throw new TypeError(`cors.${name} must be a string or an array of strings`);
  }
  // Checked now so a bad value fails at construction, not as a 500 on some later request.
  validateHeaderValue(`cors.${name}`, list);
  return list;
}

function checkOrigin(origin: unknown): void {
  if (typeof origin === "function" || typeof origin === "boolean" || origin instanceof RegExp) return;
  if (typeof origin === "string") {
    validateHeaderValue("cors.origin", origin);
    return;
  }
  if (Array.isArray(origin) && origin.every((o) => typeof o === "string" || o instanceof RegExp)) return;
  throw new TypeError("cors.origin must be a string, RegExp, array of them, boolean or function");
}

function matches(rule: string | RegExp, origin: string): boolean {
  if (typeof rule === "string") return rule === origin;
  // A global or sticky RegExp keeps state between test() calls; reset it so every request is judged alone.
  rule.lastIndex = 0;
  return rule.test(origin);
}

/**
 * A compiled CORS policy: validated once, applied to every request on the engine path.
 *
 * @example
 * ```ts
 * const cors = new CorsPolicy({ origin: ["https://app.example"], credentials: true });
 * cors.handle(req, res, () => routeTheRequest(req, res));
 * ```
 */
export class CorsPolicy {
  private readonly origin: StaticOrigin | CustomOrigin;
  private readonly methods: string;
  private readonly allowedHeaders: string | null;
  private readonly exposedHeaders: string | null;
  private readonly credentials: boolean;
  private readonly maxAge: string | null;

  /**
   * @param opts - the `cors` option.
   * @throws TypeError when a value is of the wrong type or cannot be a header value.
   */
  constructor(opts: CorsOptions) {
    if (typeof opts === "function") {
      throw new TypeError("roomcast: cors as a function (per-request options) is not supported; give cors.origin as a function instead");
    }
    if (typeof opts !== "object" || opts === null) throw new TypeError("cors must be an options object");
    for (const key of ["preflightContinue", "optionsSuccessStatus"] as const) {
      if ((opts as Record<string, unknown>)[key] !== undefined) throw new TypeError(`roomcast: cors.${key} is not supported`);
    }
    this.origin = opts.origin ?? "*";
    checkOrigin(this.origin);
    this.methods = joinList("methods", opts.methods) ?? DEFAULT_METHODS;
    this.allowedHeaders = joinList("allowedHeaders", opts.allowedHeaders);
    this.exposedHeaders = joinList("exposedHeaders", opts.exposedHeaders);
    if (opts.credentials !== undefined && typeof opts.credentials !== "boolean") {
      throw new TypeError("cors.credentials must be a boolean");
    }
    this.credentials = opts.credentials === true;
    if (opts.maxAge !== undefined && (!Number.isInteger(opts.maxAge) || opts.maxAge < 0)) {
      throw new TypeError("cors.maxAge must be a non-negative integer (seconds)");
    }
    this.maxAge = opts.maxAge === undefined ? null : String(opts.maxAge);
  }

  /**
   * Sets the CORS headers on `res`. A preflight (`OPTIONS`) is answered here (204, empty body);
   * any other request continues with `next` once the headers are set (after the origin function
   * answered, when there is one).
   *
   * @param req - the request.
   * @param res - its response; headers are set with `setHeader`, so later `writeHead` keeps them.
   * @param next - continues handling a non-preflight request.
   */
  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const requestOrigin = req.headers.origin;
    if (typeof this.origin !== "function") {
      this.apply(req, res, this.origin, requestOrigin, next);
      return;
    }
    let answered = false;
    const onOrigin = (err: Error | null, origin?: StaticOrigin): void => {
      if (answered) return; // a callback called twice must not answer twice
      answered = true;
      // An error (or an unusable answer) from the user's function means "not allowed": no CORS
      // headers, and the browser blocks the page from reading the response.
      let rule: StaticOrigin = false;
      if (err === null && origin !== undefined) {
        try {
          checkOrigin(origin);
          rule = origin;
        } catch {
          rule = false;
        }
      }
      this.apply(req, res, rule, requestOrigin, next);
    };
    try {
      this.origin(requestOrigin, onOrigin);
    } catch (err) {
      onOrigin(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private apply(
    req: IncomingMessage,
    res: ServerResponse,
    rule: StaticOrigin,
    requestOrigin: string | undefined,
    next: () => void,
  ): void {
    const preflight = req.method === "OPTIONS";
    const vary: string[] = [];
    const allowOrigin = this.allowedOrigin(rule, requestOrigin, vary);
    if (allowOrigin !== null) {
      res.setHeader("Access-Control-Allow-Origin", allowOrigin);
      if (this.credentials) res.setHeader("Access-Control-Allow-Credentials", "true");
    }
    if (preflight) {
      if (allowOrigin !== null) {
        res.setHeader("Access-Control-Allow-Methods", this.methods);
        const asked = req.headers["access-control-request-headers"];
        const headers = this.allowedHeaders ?? asked ?? null;
        if (this.allowedHeaders === null) vary.push("Access-Control-Request-Headers");
        if (headers !== null && headers !== "") res.setHeader("Access-Control-Allow-Headers", headers);
        if (this.maxAge !== null) res.setHeader("Access-Control-Max-Age", this.maxAge);
      }
      if (vary.length > 0) res.setHeader("Vary", vary.join(", "));
      res.writeHead(204, { "Content-Length": "0" });
      res.end();
      return;
    }
    if (allowOrigin !== null && this.exposedHeaders !== null) {
      res.setHeader("Access-Control-Expose-Headers", this.exposedHeaders);
    }
    if (vary.length > 0) res.setHeader("Vary", vary.join(", "));
    next();
  }

  /** The `Access-Control-Allow-Origin` value for this request, or null for none. */
  private allowedOrigin(rule: StaticOrigin, requestOrigin: string | undefined, vary: string[]): string | null {
    if (rule === false) return null;
    if (rule === "*") return "*";
    // Any answer that depends on the request's origin must say so, or a shared cache could hand
    // one origin's answer to another.
    vary.push("Origin");
    if (typeof rule === "string") return rule;
    // Reflected values are the client's bytes: only ever echo one that is a valid header value.
    if (requestOrigin === undefined || !HEADER_VALUE.test(requestOrigin)) return null;
    if (rule === true) return requestOrigin;
    const rules = Array.isArray(rule) ? rule : [rule];
    for (const r of rules) if (matches(r, requestOrigin)) return requestOrigin;
    return null;
  }
}
