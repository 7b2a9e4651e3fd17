/**
 * Engine.IO HTTP error codes and the two ways of answering a rejected request with them.
 *
 * [EIO4:http-errors] A rejected handshake or request is answered with an HTTP error whose JSON
 * body is `{"code":N,"message":"..."}`; clients read the code to tell a version mismatch from an
 * expired session.
 */
import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/** Engine.IO error codes, as sent in the `code` field of an error body. */
export const EngineErrorCode = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
} as const;

/** One of the {@link EngineErrorCode} values (0..5). */
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

/** The message sent alongside each code; clients may display it, so the wording is fixed. */
export const ENGINE_ERROR_MESSAGES: Readonly<Record<EngineErrorCode, string>> = Object.freeze({
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
});

/**
 * HTTP status for a code: 403 for Forbidden (it is an authorisation refusal, and that is what
 * clients of the reference server observe), 400 for everything else.
 */
export function httpStatusFor(code: EngineErrorCode): 400 | 403 {
  return code === EngineErrorCode.FORBIDDEN ? 403 : 400;
}

/**
 * The JSON body of an error answer.
 *
 * @param code - the Engine.IO error code.
 * @returns exactly `{"code":N,"message":"..."}` (key order fixed).
 */
export function errorBody(code: EngineErrorCode): string {
  return JSON.stringify({ code, message: ENGINE_ERROR_MESSAGES[code] });
}

const STATUS_TEXT: Readonly<Record<400 | 403, string>> = { 400: "Bad Request", 403: "Forbidden" };

/**
 * Answers an HTTP upgrade request on its raw socket with an Engine.IO error and destroys the socket.
 *
 * The socket has not been handed to any HTTP machinery (it is the `socket` argument of the
 * server's `upgrade` event), so the status line and headers are written by hand.
 *
 * @param socket - the raw socket of the upgrade request.
 * @param code - the Engine.IO error code.
 * @param extraHeaders - more response headers, e.g. `Sec-WebSocket-Version` for a version mismatch.
 */
export function abortUpgrade(socket: Duplex, code: EngineErrorCode, extraHeaders: Readonly<Record<string, string>> = {}): void {
  // Node removes its own 'error' listener from a socket before emitting 'upgrade'; without one,
  // a client resetting the connection while we answer would crash the process.
  socket.on("error", destroyOnError);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(code);
  const status = httpStatusFor(code);
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
    "Connection: close\r\n" +
    "Content-Type: application/json\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(extraHeaders)) head += `${name}: ${value}\r\n`;
  // destroy() right after write() could discard bytes still queued in the socket; wait for
  // 'finish' (everything flushed) and only then tear the socket down.
  socket.once("finish", socket.destroy);
  socket.end(`${head}\r\n${body}`);
}

/**
 * An `error` listener for a raw socket the engine answers or waits on: an error means the socket
 * is dead, so it is destroyed (and, above all, the error is not left unhandled).
 */
export function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * Answers a refused request with an Engine.IO error, on whichever it has: a plain request's
 * response ({@link abortRequest}) or an upgrade request's raw socket ({@link abortUpgrade}).
 *
 * @param answer - the response or the raw socket.
 * @param code - the Engine.IO error code.
 * @param extraHeaders - more headers (upgrade answers only).
 */
export function abortAnswer(answer: Duplex | ServerResponse, code: EngineErrorCode, extraHeaders: Readonly<Record<string, string>> = {}): void {
  if ("writeHead" in answer) abortRequest(answer, code);
  else abortUpgrade(answer, code, extraHeaders);
}

/**
 * Answers a plain HTTP request with an Engine.IO error. Headers set earlier with `setHeader`
 * (CORS) are kept.
 *
 * @param res - the response of the request.
 * @param code - the Engine.IO error code.
 * @param status - the HTTP status; default {@link httpStatusFor} the code (413 is used for a
 *   POST above maxHttpBufferSize).
 * @param closeConnection - add `Connection: close` (the rest of an oversized body is not read).
 */
export function abortRequest(res: ServerResponse, code: EngineErrorCode, status: number = httpStatusFor(code), closeConnection = false): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = errorBody(code);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    ...(closeConnection ? { Connection: "close" } : {}),
  });
  res.end(body);
}

/** Why a transport failed: the `description` of a session's "transport error" close. */
export type TransportFailureCode =
  /** A second GET arrived while one was pending. [EIO4:polling-overlap] */
  | "ROOMCAST_ERR_POLL_OVERLAP"
  /** A second POST arrived while one was being read. */
  | "ROOMCAST_ERR_POST_OVERLAP"
  /** A POST body above maxHttpBufferSize. [EIO4:max-payload] */
  | "ROOMCAST_ERR_PAYLOAD_TOO_LARGE"
  /** A POST with a binary content type; Engine.IO v4 polling payloads are text. */
  | "ROOMCAST_ERR_BINARY_PAYLOAD"
  /** A pending GET or a POST being read lost its connection. */
  | "ROOMCAST_ERR_REQUEST_ABORTED"
  /** The session's write buffer went above maxBufferedBytes. */
  | "ROOMCAST_ERR_BUFFER_FULL";

/**
 * A coded transport failure, given as the description of a "transport error" close.
 *
 * @example
 * ```ts
 * socket.on("close", (reason, description) => {
 *   if (description instanceof TransportFailure) console.log(description.code);
 * });
 * ```
 */
export class TransportFailure extends Error {
  /** What went wrong, as a stable code. */
  readonly code: TransportFailureCode;

  /**
   * @param code - the failure code.
   * @param message - a sentence for logs.
   */
  constructor(code: TransportFailureCode, message: string) {
    super(message);
    this.name = "TransportFailure";
    this.code = code;
  }
}
