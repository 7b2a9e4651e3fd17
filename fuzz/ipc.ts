/**
 * The messages between the fuzz runner and the target server child (Node IPC channel). The
 * child answers each request with the same `id`; it reports a crash on its own, unasked.
 */

/** Which deliberate defect the target plants (the harness self-test), or none. */
export type PlantedBug = "none" | "crash" | "leak" | "hang" | "bloat";

/** The environment variable that selects a planted bug in the target. */
export const PLANTED_BUG_ENV = "ROOMCAST_FUZZ_PLANTED_BUG";

/** Event names the planted bugs react to (all in the fuzzers' reserved-name list). */
export const PLANTED_TRIGGERS = {
  crash: "constructor",
  leak: "toString",
  hang: "hasOwnProperty",
  bloat: "valueOf",
} as const;

/** What the server holds, compared against the baseline taken with only the good clients. */
export interface ServerCounters {
  /** `io.engine.clientsCount`: Engine.IO sessions. */
  clients: number;
  /** Namespace name → number of connected sockets (every registered namespace, empty ones too). */
  sockets: Record<string, number>;
  /** Namespace name → room name → member count. */
  rooms: Record<string, Record<string, number>>;
}

/** Heap figures of the target after a forced garbage collection. */
export interface HeapFigures {
  heapUsed: number;
  rss: number;
}

/** A request from the runner. */
export type TargetRequest =
  | { id: number; cmd: "counters" }
  | { id: number; cmd: "heap" }
  | { id: number; cmd: "broadcast"; tick: number };

/** A message from the target. */
export type TargetMessage =
  | { type: "ready"; port: number; path: string; pingInterval: number; pingTimeout: number }
  | { type: "reply"; id: number; counters?: ServerCounters; heap?: HeapFigures }
  | { type: "crash"; kind: "uncaughtException" | "unhandledRejection"; message: string; stack: string };

/** The server options of the target, shared so the runner can bound its waits on them. */
export const TARGET_TIMERS = {
  /** Short heartbeats: an abandoned session is reaped within pingInterval + pingTimeout. */
  pingInterval: 2000,
  /** Generous enough that a busy CI machine does not time out the good clients. */
  pingTimeout: 5000,
  /** A connection that joins no namespace is closed after this. */
  connectTimeout: 1500,
  /** An upgrade request nobody answers is destroyed after this. */
  destroyUpgradeTimeout: 400,
  /** A polling → WebSocket upgrade must finish within this. */
  upgradeTimeout: 3000,
} as const;
