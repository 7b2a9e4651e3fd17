/**
 * The extra headers of the engine's answers (session cookie, `initial_headers` / `headers`
 * listeners) and small helpers of {@link EngineServer}, kept apart so that the server file holds
 * the request flow only.
 */
import { validateHeaderName, validateHeaderValue } from "node:http";
import type { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { CookieSerializer } from "./cookie.ts";
import type { EngineHeaders, EngineServerEvents } from "./server-types.ts";
import type { TransportSink } from "./transport.ts";

/**
 * The extra headers of an accepted request's response: the session cookie on a handshake
 * (`handshakeId` set), then whatever `initial_headers` / `headers` listeners add. Null when
 * there is nothing to add (no cookie, no listener), which is the common case.
 *
 * @param engine - emits `initial_headers` and `headers`.
 * @param cookie - the cookie serializer on a handshake, else null.
 */
export function collectHeaders(
  engine: EventEmitter<EngineServerEvents>,
  cookie: CookieSerializer | null,
  req: IncomingMessage,
  handshakeId: string | undefined,
): EngineHeaders | null {
  const initial = handshakeId !== undefined;
  if (cookie === null && engine.listenerCount("headers") === 0 && (!initial || engine.listenerCount("initial_headers") === 0)) {
    return null;
  }
  const headers: EngineHeaders = {};
  if (cookie !== null && handshakeId !== undefined) headers["Set-Cookie"] = cookie(handshakeId);
  if (initial) engine.emit("initial_headers", headers, req);
  engine.emit("headers", headers, req);
  return headers;
}

/** The headers a listener added that can actually be sent (a bad one must not break the response). */
export function validHeaders(headers: EngineHeaders): Array<[string, string | string[]]> {
  const valid: Array<[string, string | string[]]> = [];
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderName(name);
      for (const v of Array.isArray(value) ? value : [value]) validateHeaderValue(name, v);
      valid.push([name, value]);
    } catch {
      // Left out: a listener's mistake must not turn into a response splitting or a crash.
    }
  }
  return valid;
}

/** The sink of a lingering polling transport: only its close matters (the engine forgets it then). */
export function lingerSink(onClose: () => void): TransportSink {
  return { onTransportPacket: ignore, onTransportError: ignore, onTransportClose: onClose, onTransportDrain: ignore };
}

function ignore(): void {}
