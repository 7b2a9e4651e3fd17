/**
 * `@socket.io/cluster-adapter` on roomcast, unchanged, through the shared scenario: this process
 * is the `node:cluster` primary (`setupPrimary()` relays the adapter's messages), and each server
 * runs in a worker (cluster-worker.ts) on its own port, driven over IPC. The workers learn of each
 * other by heartbeats; each is asked to answer once its adapter counts both. IPC uses the
 * "advanced" serialization, as the adapter needs for binary payloads.
 */
import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { setupPrimary } from "@socket.io/cluster-adapter";
import { onCleanup } from "../../support/harness.ts";
import type { Action } from "./actions.ts";
import type { WorkerCommand, WorkerMessage, WorkerRequest } from "./cluster-worker.ts";
import { describeAdapterScenario, type ScenarioNode } from "./scenario.ts";

cluster.setupPrimary({
  exec: fileURLToPath(new URL("./cluster-worker.ts", import.meta.url)),
  execArgv: ["--import", "tsx"],
  serialization: "advanced",
});
setupPrimary();

/** A worker as a scenario node, with its request/reply channel. */
interface WorkerNode extends ScenarioNode {
  request(command: WorkerRequest): Promise<unknown>;
}

/** Forks worker `name` and resolves once it listens; it is closed (and awaited) by cleanup(). */
async function startWorker(name: string): Promise<WorkerNode> {
  const worker: Worker = cluster.fork({ ROOMCAST_NODE_NAME: name });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  onCleanup(async () => {
    if (worker.isConnected()) worker.send({ kind: "close" } satisfies WorkerCommand);
    await exited;
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    worker.on("message", (message: WorkerMessage | { kind?: undefined }) => {
      if (message.kind === "listening") resolve(message.port);
      if (message.kind !== "reply") return;
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiting?.resolve(message.value);
      else waiting?.reject(new Error(`worker ${name}: ${message.message}`));
    });
    void exited.then(() => reject(new Error(`worker ${name} exited before listening`)));
  });
  const request = (command: WorkerRequest): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.send({ ...command, id } satisfies WorkerCommand);
    });
  return { name, url: `http://127.0.0.1:${port}`, request, run: (action: Action) => request({ kind: "run", action }) };
}

describeAdapterScenario("@socket.io/cluster-adapter (node:cluster workers)", async () => {
  const nodes = [await startWorker("A"), await startWorker("B")] as const;
  await Promise.all(nodes.map((node) => node.request({ kind: "ready", servers: 2 })));
  return { nodes: [nodes[0], nodes[1]] };
});
