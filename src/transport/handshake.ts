/**
 * Request checks of the engine, pure and synchronous: which path is ours, and whether a request's
 * query (`EIO`, `transport`, `sid`) and method make sense before any session is looked at.
 *
 * [EIO4:http-errors] Order of checks: a repeated engine parameter, then transport, protocol
 * version, method. The transport comes before the version, as in the reference server, so a
 * client on an unknown transport learns that whatever its EIO.
 */
import type { IncomingMessage } from "node:http";
import { EngineErrorCode } from "./errors.ts";
import type { AllowRequest, TransportName } from "./options.ts";
import { randomId } from "./random-id.ts";

/** A refusal: the Engine.IO code to answer with, and details for the `connection_error` event. */
export interface Rejection {
  /** The Engine.IO error code. */
  code: EngineErrorCode;
  /** Details for logs: a `name` and the offending values. */
  context: Record<string, unknown>;
}

/**
 * Creates a session id: 20 URL-safe characters from 15 random bytes (120 bits), cut from a
 * pool of CSPRNG bytes ({@link randomId}).
 *
 * @returns e.g. `"Xq3Zb9-kT2_aaPlm0cBn"`.
 */
export function generateSessionId(): string {
  return randomId();
}

/** The part of a request's query the engine reads. */
export interface EngineQuery {
  /** The first value of `name` (decoded), or null when absent. */
  get(name: string): string | null;
  /** Whether `name` is present. */
  has(name: string): boolean;
  /** Whether `name` appears more than once. */
  repeats(name: string): boolean;
}

/** Bits of {@link PlainQuery.repeated}. */
const EIO_BIT = 1;
const TRANSPORT_BIT = 2;
const SID_BIT = 4;

/**
 * A query with nothing to decode (no `%` escape, no `+`), read where it lies. Every handshake
 * and poll a client library sends is one. It is scanned once, for the three names the engine
 * reads (`EIO`, `transport`, `sid`): one pass instead of one per question, and two small
 * functions fewer for V8 to optimise during a connection ramp. Another name is looked up with
 * URLSearchParams.
 */
class PlainQuery implements EngineQuery {
  private eio: string | null = null;
  private transport: string | null = null;
  private sid: string | null = null;
  /** Which of the three appear more than once (EIO_BIT | TRANSPORT_BIT | SID_BIT). */
  private repeated = 0;

  constructor(private readonly search: string) {
    const s = search;
    let start = 0;
    while (start < s.length) {
      let end = s.indexOf("&", start);
      if (end === -1) end = s.length;
      let eq = s.indexOf("=", start);
      if (eq === -1 || eq > end) eq = end;
      // An empty segment (`&&`) names nothing, as in URLSearchParams.
      const length = eq - start;
      if (length === 3 || length === 9) this.note(s, start, length, eq === end ? "" : s.slice(eq + 1, end));
      start = end + 1;
    }
  }

  private note(s: string, start: number, length: number, value: string): void {
    if (length === 9) {
      if (!s.startsWith("transport", start)) return;
      if (this.transport === null) this.transport = value;
      else this.repeated |= TRANSPORT_BIT;
    } else if (s.startsWith("EIO", start)) {
      if (this.eio === null) this.eio = value;
      else this.repeated |= EIO_BIT;
    } else if (s.startsWith("sid", start)) {
      if (this.sid === null) this.sid = value;
      else this.repeated |= SID_BIT;
    }
  }

  get(name: string): string | null {
    switch (name) {
      case "EIO":
        return this.eio;
      case "transport":
        return this.transport;
      case "sid":
        return this.sid;
      default:
        return new URLSearchParams(this.search).get(name);
    }
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  repeats(name: string): boolean {
    switch (name) {
      case "EIO":
        return (this.repeated & EIO_BIT) !== 0;
      case "transport":
        return (this.repeated & TRANSPORT_BIT) !== 0;
      case "sid":
        return (this.repeated & SID_BIT) !== 0;
      default:
        return new URLSearchParams(this.search).getAll(name).length > 1;
    }
  }
}

/** A query with `%` escapes or `+`, decoded by URLSearchParams. */
class DecodedQuery implements EngineQuery {
  constructor(private readonly params: URLSearchParams) {}

  get(name: string): string | null {
    return this.params.get(name);
  }

  has(name: string): boolean {
    return this.params.has(name);
  }

  repeats(name: string): boolean {
    return this.params.getAll(name).length > 1;
  }
}

/**
 * The query string of a request URL, with URLSearchParams' semantics (the first value of a
 * repeated name, `%` escapes and `+` decoded).
 *
 * @param url - `req.url`.
 */
export function parseQuery(url: string): EngineQuery {
  const q = url.indexOf("?");
  const search = q === -1 ? "" : url.slice(q + 1);
  if (search.includes("%") || search.includes("+")) return new DecodedQuery(new URLSearchParams(search));
  return new PlainQuery(search);
}

/** The query parameters the engine acts on; none may be given twice. */
const ENGINE_PARAMETERS = ["EIO", "transport", "sid"] as const;

/**
 * [EIO4:http-errors] A request that gives `EIO`, `transport` or `sid` more than once is refused
 * with 400 `{"code":3,"message":"Bad request"}`. Which of two values counts is a guess (the
 * first, the last?) that a proxy, an `allowRequest` and the engine could each make differently,
 * so no guess is made. (socket.io's engine lets the last one win; see the README.)
 */
function checkRepeated(query: EngineQuery): Rejection | null {
  for (const name of ENGINE_PARAMETERS) {
    if (query.repeats(name)) {
      return { code: EngineErrorCode.BAD_REQUEST, context: { name: "DUPLICATE_QUERY_PARAMETER", parameter: name } };
    }
  }
  return null;
}

/**
 * Whether a request is the engine's. With `addTrailingSlash` (the default): `/p`, `/p/` and
 * every URL under `/p/` (as socket.io answers them: `/socket.io/default/?EIO=4…` gets a
 * handshake, an unknown file under the path a 400), but not `/p-admin`. Without it: only the
 * path exactly as configured.
 *
 * @param url - `req.url`.
 * @param path - the engine's path.
 * @param addTrailingSlash - the option of the same name.
 */
export function matchesPath(url: string, path: string, addTrailingSlash: boolean): boolean {
  const q = url.indexOf("?");
  const pathname = q === -1 ? url : url.slice(0, q);
  if (!addTrailingSlash) return pathname === path;
  const base = path.endsWith("/") ? path.slice(0, -1) : path;
  return pathname === base || (pathname.startsWith(base) && pathname.charCodeAt(base.length) === 0x2f);
}

/**
 * [EIO4:handshake] Anything but exactly "4" (missing, "3", "abc", "04") is a version this
 * server does not speak. The context's `protocol` is the revision the request is taken for, a
 * number, as engine.io reports it: 3 for anything but "4".
 */
function checkProtocol(query: EngineQuery): Rejection | null {
  if (query.get("EIO") === "4") return null;
  return { code: EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION, context: { name: "UNSUPPORTED_PROTOCOL_VERSION", protocol: 3 } };
}

/**
 * Checks a plain HTTP request on the engine path (polling, or a websocket handshake that forgot
 * its Upgrade header). Session lookup is left to the caller.
 *
 * [EIO4:polling-errors] `EIO`, `transport` or `sid` given twice → 3; a transport not enabled → 0; `transport=websocket` without Upgrade → 3;
 * EIO ≠ 4 → 5; no sid and not GET (a POST or PUT cannot open a session) → 2; a sid with a method
 * other than GET/POST → 3.
 *
 * @param query - the request's query.
 * @param method - the request's method.
 * @param transports - the `transports` option.
 */
export function checkHttpRequest(query: EngineQuery, method: string | undefined, transports: readonly TransportName[]): Rejection | null {
  const repeated = checkRepeated(query);
  if (repeated !== null) return repeated;
  const transport = query.get("transport");
  const sid = query.has("sid");
  // A websocket handshake without its Upgrade header; with a sid, the engine reports the
  // request as a TRANSPORT_MISMATCH once it has found the session.
  if (transport === "websocket" && transports.includes("websocket") && !sid) {
    return { code: EngineErrorCode.BAD_REQUEST, context: { name: "TRANSPORT_HANDSHAKE_ERROR", transport } };
  }
  if (!(transport === "websocket" && sid && transports.includes("websocket")) && (transport !== "polling" || !transports.includes("polling"))) {
    return { code: EngineErrorCode.UNKNOWN_TRANSPORT, context: { name: "TRANSPORT_UNKNOWN", transport } };
  }
  const protocol = checkProtocol(query);
  if (protocol !== null) return protocol;
  if (!sid) {
    if (method !== "GET") return { code: EngineErrorCode.BAD_HANDSHAKE_METHOD, context: { name: "BAD_HANDSHAKE_METHOD", method } };
  } else if (method !== "GET" && method !== "POST") {
    return { code: EngineErrorCode.BAD_REQUEST, context: { name: "BAD_METHOD", method } };
  }
  return null;
}

/**
 * Checks an HTTP upgrade request on the engine path. Session lookup is left to the caller.
 *
 * @param query - the request's query.
 * @param method - the request's method.
 * @param transports - the `transports` option.
 */
export function checkUpgradeRequest(query: EngineQuery, method: string | undefined, transports: readonly TransportName[]): Rejection | null {
  const repeated = checkRepeated(query);
  if (repeated !== null) return repeated;
  const transport = query.get("transport");
  if (transport !== "websocket" || !transports.includes("websocket")) {
    return { code: EngineErrorCode.UNKNOWN_TRANSPORT, context: { name: "TRANSPORT_UNKNOWN", transport } };
  }
  const protocol = checkProtocol(query);
  if (protocol !== null) return protocol;
  if (method !== "GET") return { code: EngineErrorCode.BAD_HANDSHAKE_METHOD, context: { name: "BAD_HANDSHAKE_METHOD", method } };
  return null;
}

/**
 * Runs the user's `allowRequest` safely: a callback called twice counts once, and a throw is a
 * refusal (reported in the rejection's context) instead of a crash.
 *
 * [EIO4:allow-request] A refused handshake is answered 403 `{"code":4,"message":"Forbidden"}`.
 *
 * @param allowRequest - the option, or null (everything allowed, answered synchronously).
 * @param req - the handshake request.
 * @param done - called once with null (allowed) or the rejection.
 */
export function runAllowRequest(allowRequest: AllowRequest | null, req: IncomingMessage, done: (rejection: Rejection | null) => void): void {
  if (allowRequest === null) {
    done(null);
    return;
  }
  let answered = false;
  const answer = (err: unknown, success: boolean): void => {
    if (answered) return;
    answered = true;
    if (success === true) done(null);
    else done({ code: EngineErrorCode.FORBIDDEN, context: { name: "FORBIDDEN", message: err } });
  };
  try {
    allowRequest(req, answer);
  } catch (err) {
    answer(err, false);
  }
}
