/**
 * `@socket.io/postgres-adapter` on roomcast, unchanged, through the shared scenario: two servers
 * on one database (LISTEN/NOTIFY, binary messages through this run's attachment table). The
 * servers learn of each other by heartbeats (`ClusterAdapterWithHeartbeat`); they are ready
 * once each adapter counts both.
 */
import { createAdapter } from "@socket.io/postgres-adapter";
import { startLocalNode } from "./in-process.ts";
import { whenServerCount } from "./server-count.ts";
import { attachmentTable, pool, postgresAvailable, uniqueName } from "./postgres-support.ts";
import { describeAdapterScenario } from "./scenario.ts";

const available = await postgresAvailable();

describeAdapterScenario(
  "@socket.io/postgres-adapter",
  async () => {
    const tableName = uniqueName("attachments");
    const options = { tableName, channelPrefix: uniqueName("channel"), heartbeatInterval: 200 };
    const pools = [pool(), pool()];
    await attachmentTable(pools[0] as (typeof pools)[0], tableName);
    const nodes = [
      await startLocalNode("A", createAdapter(pools[0], options)),
      await startLocalNode("B", createAdapter(pools[1], options)),
    ] as const;
    await Promise.all(nodes.map((node) => whenServerCount(node.server.io.of("/").adapter, 2)));
    return { nodes: [nodes[0], nodes[1]] };
  },
  available,
);
