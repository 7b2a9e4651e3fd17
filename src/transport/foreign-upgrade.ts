/**
 * Upgrade requests that are not the engine's (another path, `Upgrade: h2c`, a WebSocket for
 * some other server): what the engine does with their sockets. [EIO4:foreign-upgrade]
 *
 * Node removes its own `error` listener from a socket before emitting `upgrade`, and, once an
 * `upgrade` listener exists, no longer destroys the sockets nobody answers. So the engine, by
 * listening, takes on both duties for every upgrade request of the server, its own or not:
 * without an `error` listener a client resetting the connection (ECONNRESET) would crash the
 * process, and without a deadline an unanswered socket would stay open for ever.
 */
import type { Duplex } from "node:stream";

/** What the engine does with upgrade requests on other paths. */
export interface ForeignUpgradePolicy {
  /** End sockets that nobody answered within `timeoutMs`. */
  destroy: boolean;
  /** Milliseconds another `upgrade` listener has to answer (write anything) first. */
  timeoutMs: number;
}

/**
 * Takes care of an upgrade request the engine does not serve: an `error` listener at once (the
 * socket may belong to another `upgrade` listener, which keeps its own listeners: an extra one
 * that ignores errors changes nothing for it), and, if `policy.destroy`, the socket is destroyed
 * after `policy.timeoutMs` unless something has been written to it by then (another listener,
 * e.g. a second WebSocket server on another path, answered it) or it closed.
 *
 * Destroyed rather than ended: a half-closed socket whose peer never closes its side would
 * otherwise stay open (http servers allow half-open sockets).
 *
 * @param socket - the `socket` argument of the http server's `upgrade` event.
 * @param policy - the engine's `destroyUpgrade` / `destroyUpgradeTimeout` options.
 */
export function guardForeignUpgrade(socket: Duplex, policy: ForeignUpgradePolicy): void {
  socket.on("error", ignoreError);
  if (!policy.destroy || socket.destroyed) return;
  const timer = setTimeout(destroyIfUnanswered, policy.timeoutMs, socket);
  // Not a reason to keep the process alive.
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
}

function destroyIfUnanswered(socket: Duplex): void {
  // `bytesWritten` exists on net.Socket (and tls.TLSSocket); a Duplex without it is left alone.
  const written = (socket as Duplex & { bytesWritten?: number }).bytesWritten;
  if (written === 0 && !socket.destroyed) socket.destroy();
}

/** Errors on a socket nobody else answered are expected (a client resetting) and end it anyway. */
function ignoreError(): void {}
