/**
 * The optional session cookie: `Set-Cookie: io=<sid>` on the handshake response, so that a
 * load balancer can route a session's later requests (polling, upgrade) to the same node.
 */

/** Settings of the session cookie (the `cookie` option when it is an object). */
export interface CookieOptions {
  /** Cookie name. Default `"io"`. */
  name?: string;
  /** `Path` attribute; `false` leaves it out. Default `"/"`. */
  path?: string | false;
  /** `HttpOnly` attribute. Default true (false when `path` is false). */
  httpOnly?: boolean;
  /** `SameSite` attribute: `"lax"` (default), `"strict"`, `"none"`, or `false` to leave it out. */
  sameSite?: "lax" | "strict" | "none" | false;
  /** `Secure` attribute. Default false. */
  secure?: boolean;
  /** `Domain` attribute. Default unset. */
  domain?: string;
  /** `Max-Age` attribute, in seconds. Default unset (a session cookie). */
  maxAge?: number;
}

/** RFC 6265 cookie-name: an HTTP token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 attribute values: printable ASCII without `;`. */
const ATTRIBUTE_VALUE = /^[\x20-\x3a\x3c-\x7e]+$/;

const SAME_SITE: Readonly<Record<"lax" | "strict" | "none", string>> = { lax: "Lax", strict: "Strict", none: "None" };

/** Builds the `Set-Cookie` value for a session id. */
export type CookieSerializer = (sid: string) => string;

/**
 * Validates the `cookie` option and compiles it into a serializer, once, at construction.
 *
 * @param option - `false` (no cookie), `true` (defaults) or {@link CookieOptions}.
 * @returns a function building the `Set-Cookie` value, or null when no cookie is to be set.
 * @throws TypeError on a name that is not a token or an attribute that could break the header.
 * @example
 * ```ts
 * compileCookie({ name: "lb", sameSite: "strict" })?.("abc"); // "lb=abc; Path=/; HttpOnly; SameSite=Strict"
 * ```
 */
export function compileCookie(option: boolean | CookieOptions): CookieSerializer | null {
  if (option === false) return null;
  if (option !== true && (typeof option !== "object" || option === null)) {
    throw new TypeError("EngineOptions.cookie must be a boolean or an options object");
  }
  const opts: CookieOptions = option === true ? {} : option;
  const name = opts.name ?? "io";
  if (typeof name !== "string" || !TOKEN.test(name)) throw new TypeError(`cookie.name must be an HTTP token, got ${String(name)}`);
  const path = opts.path ?? "/";
  if (path !== false && (typeof path !== "string" || !ATTRIBUTE_VALUE.test(path))) {
    throw new TypeError("cookie.path must be printable ASCII without ';', or false");
  }
  if (opts.domain !== undefined && (typeof opts.domain !== "string" || !ATTRIBUTE_VALUE.test(opts.domain))) {
    throw new TypeError("cookie.domain must be printable ASCII without ';'");
  }
  if (opts.maxAge !== undefined && !Number.isInteger(opts.maxAge)) throw new TypeError("cookie.maxAge must be an integer (seconds)");
  const sameSite = opts.sameSite ?? "lax";
  if (sameSite !== false && !(sameSite in SAME_SITE)) throw new TypeError("cookie.sameSite must be 'lax', 'strict', 'none' or false");
  const httpOnly = opts.httpOnly ?? path !== false;

  // Everything after the value is the same for every session: built once.
  let attributes = "";
  if (path !== false) attributes += `; Path=${path}`;
  if (opts.domain !== undefined) attributes += `; Domain=${opts.domain}`;
  if (opts.maxAge !== undefined) attributes += `; Max-Age=${opts.maxAge}`;
  if (httpOnly) attributes += "; HttpOnly";
  if (opts.secure === true) attributes += "; Secure";
  if (sameSite !== false) attributes += `; SameSite=${SAME_SITE[sameSite]}`;
  // Session ids are URL-safe base64, but a subclass may generate its own: encode to stay a valid cookie.
  return (sid) => `${name}=${encodeURIComponent(sid)}${attributes}`;
}
