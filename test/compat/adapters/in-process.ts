/**
 * Roomcast servers of this process, joined by an adapter of socket.io's ecosystem, as scenario
 * nodes.
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
