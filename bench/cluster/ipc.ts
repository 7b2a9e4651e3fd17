/**
 * The IPC messages between the two-node benchmark's orchestrator and its server nodes.
 */

/** Orchestrator → node. */
export type ToChild =
  | { t: "settle" }
  | { t: "reset" }
  | { t: "go"; rooms: string[]; count: number; burst: number; payload: string }
  | { t: "drain" }
  | { t: "stats" }
  | { t: "exit" };

/** Node → orchestrator. */
export type ToParent =
  | { t: "ready"; port: number }
  | { t: "settled" }
  | { t: "reset" }
  | { t: "sent" }
  | { t: "stats"; cpuUs: number; received: number };
