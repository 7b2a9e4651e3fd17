/**
 * Awaiting adapters that learn of each other by heartbeats (socket.io-adapter's
 * `ClusterAdapterWithHeartbeat`: the PostgreSQL and node:cluster adapters), on their own events.
 */

/** The members of a `ClusterAdapter` this file relies on (protected in its typings). */
interface ObservableClusterAdapter {
  serverCount(): Promise<number>;
  onMessage(...args: unknown[]): unknown;
}

/**
 * Resolves once `adapter` (a socket.io-adapter `ClusterAdapter`) counts `expected` servers. It is
 * asked again after each message the adapter receives (`onMessage`, which every message from
 * another node goes through), so heartbeat-based adapters are awaited on their own events.
 */
export function whenServerCount(adapter: object, expected: number): Promise<void> {
  const observed = adapter as ObservableClusterAdapter;
  const original = observed.onMessage;
  return new Promise((resolve, reject) => {
    let done = false;
    const check = (): void => {
      observed.serverCount().then((count) => {
        if (done || count < expected) return;
        done = true;
        observed.onMessage = original;
        resolve();
      }, reject);
    };
    observed.onMessage = function (this: unknown, ...args: unknown[]): unknown {
      const result = original.apply(this, args);
      check();
      return result;
    };
    check();
  });
}
