/**
 * Builds `socket.handshake` from the Engine.IO connection's first HTTP request.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Handshake } from "../rooms/types.ts";
import type { EngineSocket } from "../transport/engine-socket.ts";

/**
 * Parses a request URL's query string into socket.io's shape (repeated keys become arrays).
 * Every key is an own data property: `?__proto__=a&__proto__=b` is a key named "__proto__",
 * not the object's prototype (plain assignment would make the query an Array).
 */
export function parseQuery(url: string): Record<string, string | string[] | undefined> {
  const query: Record<string, string | string[] | undefined> = {};
  const search = new URL(url, "http://localhost").searchParams;
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    Object.defineProperty(query, key, {
      value: values.length === 1 ? values[0] : values,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return query;
}

/**
 * The handshake record of a socket that connected over `conn` with `auth` at `issued`.
 *
 * @param conn - the socket's Engine.IO connection (its request and remote address).
 * @param auth - the CONNECT payload.
 * @param issued - when the socket connected, in ms since the epoch (`time` is the same instant).
 */
export function buildHandshake(conn: EngineSocket, auth: Record<string, unknown>, issued: number): Handshake {
  // A connection with no HTTP request behind it (socket.io's WebTransport path, or an engine
  // of the user's) still gets a handshake record: empty headers and query.
  const req: IncomingMessage | null | undefined = conn.request;
  const headers = req?.headers ?? {};
  return {
    headers,
    time: new Date(issued).toString(),
    address: conn.remoteAddress,
    xdomain: headers.origin !== undefined,
    secure: (req?.socket as TLSSocket | undefined)?.encrypted === true,
    issued,
    url: req?.url ?? "",
    query: parseQuery(req?.url ?? ""),
    auth,
  };
}
