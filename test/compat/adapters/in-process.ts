/**
 * Two roomcast servers of this process joined by an adapter of socket.io's ecosystem, as
 * scenario nodes; and a way to await adapters that learn of each other by heartbeats.
 */
import { startServer, type TestServer } from "../../support/harness.ts";
import type { ServerOptions } from "../../../src/index.ts";
import { perform, prepareNode } from "./actions.ts";
import type { ScenarioNode } from "./scenario.ts";

/** The `adapter` option, as a test passes it. */
export type AdapterOption = NonNullable<Partial<ServerOptions>["adapter"]>;

/** A scenario node on a server of this process. */
export interface LocalNode extends ScenarioNode {
  server: TestServer;
}

/** Starts server `name` with `adapter` (closed by the harness' cleanup). */
export async function startLocalNode(name: string, adapter: AdapterOption): Promise<LocalNode> {
  const server = await startServer({ adapter });
  prepareNode(server.io, name);
  return { name, url: server.url(), server, run: (action) => perform(server.io, action) };
}

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
