/**
 * The types of a server-side {@link Socket}: why it disconnected, its lifecycle events and its
 * middlewares. Kept apart from the class so that the class file holds behaviour only.
 */
import type { Socket } from "./socket.ts";

/** Why a socket was disconnected (socket.io's reasons). */
export type DisconnectReason =
  | "transport error"
  | "transport close"
  | "forced close"
  | "ping timeout"
  | "parse error"
  | "server shutting down"
  | "forced server close"
  | "client namespace disconnect"
  | "server namespace disconnect";

/** Lifecycle events of a socket; local only, never sent to the client. */
export type SocketReservedEvents = {
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  error: (err: Error) => void;
};

/** A socket middleware: sees every incoming event (`[name, ...args]`) before listeners do. */
export type SocketMiddleware = (event: unknown[], next: (err?: Error) => void) => void;
