/**
 * Starting a namespace's adapter: connection state recovery turned on when the server asks
 * for it, then `init()` with its failure reported, never thrown or left unhandled.
 */
import type { RecoveryOptions } from "../recovery/options.ts";
import type { Adapter } from "../rooms/adapter.ts";

/**
 * Starts an adapter: a failed `init()` (a cluster adapter that cannot reach its broker) becomes
 * the adapter's `error` event when someone listens, and is dropped otherwise, never an
 * unhandled rejection (an `emit("error")` without listener would throw inside the catch).
 *
 * @param adapter - a freshly constructed adapter.
 */
export function initAdapter(adapter: Adapter): void {
  const report = (err: unknown): void => {
    if (adapter.listenerCount("error") > 0) adapter.emit("error", err);
  };
  try {
    // Called now, as before: an adapter may rely on starting while its namespace is built.
    void Promise.resolve(adapter.init()).catch(report);
  } catch (err) {
    report(err);
  }
}

/**
 * Turns recovery on (when `recovery` is set), then starts the adapter ({@link initAdapter}).
 *
 * @throws TypeError when recovery is asked of an adapter that cannot keep sessions (one not
 *   extending roomcast's Adapter, or the sharded Redis adapter).
 */
export function startAdapter(adapter: Adapter, recovery: RecoveryOptions | undefined): void {
  if (recovery !== undefined) {
    // A foreign adapter (socket.io's) has no enableRecovery: refused, not silently ignored.
    if (typeof adapter.enableRecovery !== "function") {
      throw new TypeError("roomcast: connectionStateRecovery needs an adapter extending roomcast's Adapter");
    }
    adapter.enableRecovery(recovery);
  }
  initAdapter(adapter);
}
