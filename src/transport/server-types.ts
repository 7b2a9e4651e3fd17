/**
 * The types of an Engine.IO server ({@link EngineServer}): its events and their payloads, and
 * the options of `attach`. Kept apart from the class so that the class file holds behaviour only.
 */
import type { IncomingMessage } from "node:http";
import type { EngineSocket } from "./engine-socket.ts";
import type { EngineErrorCode } from "./errors.ts";

/** Payload of the `connection_error` event: a request the engine refused. */
export interface ConnectionError {
  /** The refused request. */
  req: IncomingMessage;
  /** The Engine.IO error code sent back. */
  code: EngineErrorCode;
  /** The message sent back with the code. */
  message: string;
  /** Details for logs: a `name` and the offending values. */
  context: Record<string, unknown>;
}

/** Response headers a `headers` / `initial_headers` listener may add to (name → value). */
export type EngineHeaders = Record<string, string | string[]>;

/** Events of an {@link EngineServer}, as a listener-argument map. */
export type EngineServerEvents = {
  /** A session was opened. */
  connection: [socket: EngineSocket];
  /** A request on the engine's path was refused (it has been answered with an HTTP error). */
  connection_error: [err: ConnectionError];
  /** The response to a handshake is about to be written: add headers to `headers` (it may hold `Set-Cookie`). */
  initial_headers: [headers: EngineHeaders, req: IncomingMessage];
  /**
   * Any accepted request's response (handshake, poll, POST, WebSocket upgrade) is about to be
   * written: add headers to `headers`. Invalid names or values are left out.
   */
  headers: [headers: EngineHeaders, req: IncomingMessage];
};

/** Options of {@link EngineServer.attach}. */
export interface AttachOptions {
  /** Path to answer on; defaults to the server's `opts.path`. */
  path?: string;
}
