/**
 * A `node:cluster` worker of cluster.test.ts: a roomcast server with `@socket.io/cluster-adapter`
 * on its own port (listening `exclusive`, not sharing the primary's handle, so that each client
 * reaches the worker it targets), driven by the primary over IPC.
 *
 * From the primary: `{ kind: "run", id, action }` (a scenario action), `{ kind: "ready", id,
 * servers }` (answered once the adapter counts that many servers), `{ kind: "close" }`. To it:
 * `{ kind: "listening", port }`, then `{ kind: "reply", id, ok, value | message }`. The adapter's
 * own messages share the channel; each side ignores the other's.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createAdapter } from "@socket.io/cluster-adapter";
import { Server } from "../../../src/index.ts";
import { perform, prepareNode, type Action } from "./actions.ts";
import { whenServerCount } from "./server-count.ts";

/** A command of the primary that gets a reply. */
export type WorkerRequest = { kind: "run"; action: Action } | { kind: "ready"; servers: number };

/** A command of the primary. */
export type WorkerCommand = (WorkerRequest & { id: number }) | { kind: "close" };

/** A message of this worker. */
export type WorkerMessage =
  | { kind: "listening"; port: number }
  | { kind: "reply"; id: number; ok: true; value: unknown }
  | { kind: "reply"; id: number; ok: false; message: string };

function send(message: WorkerMessage): void {
  process.send?.(message);
}

const name = process.env.ROOMCAST_NODE_NAME ?? "?";
const httpServer = http.createServer();
// Short heartbeats: a worker that missed the other's first one learns of it soon after.
const io = new Server(httpServer, { adapter: createAdapter({ heartbeatInterval: 200 }) });
prepareNode(io, name);

async function answer(id: number, work: () => Promise<unknown>): Promise<void> {
  try {
    send({ kind: "reply", id, ok: true, value: await work() });
  } catch (err) {
    send({ kind: "reply", id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
}

process.on("message", (message: WorkerCommand | { kind?: undefined }) => {
  switch (message.kind) {
    case "run":
      void answer(message.id, () => perform(io, message.action));
      break;
    case "ready":
      void answer(message.id, () => whenServerCount(io.of("/").adapter, message.servers));
      break;
    case "close":
      void io.close().then(() => process.exit(0));
      break;
    default:
      // The adapter's own messages.
      break;
  }
});

httpServer.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
  send({ kind: "listening", port: (httpServer.address() as AddressInfo).port });
});
