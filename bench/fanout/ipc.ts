/**
 * The IPC vocabulary between the orchestrator and its two children (server and load
 * generator), plus process snapshots (CPU, memory, clock) taken on either side.
 */
import type { BroadcastKind, ScenarioId } from "./scenarios.ts";

/**
 * Which server implementation a server process runs; "bare" is the benchmark's physical floor
 * (bare-server.ts), not a contender; "roomcast-metrics" is roomcast with its `metrics` option
 * on (Prometheus exporter included), to measure what counting costs. The "-recovery" variants
 * run with `connectionStateRecovery: {}` (every broadcast logged, with its offset on the wire);
 * "roomcast-wd1" is roomcast with `writeDelay: 1` (write coalescing within 1 ms).
 */
export type Impl = "roomcast" | "socketio" | "bare" | "roomcast-metrics" | "roomcast-recovery" | "socketio-recovery" | "roomcast-wd1";

/** The implementations run by default (roomcast against socket.io), in their default order. */
export const IMPLS: readonly Impl[] = ["roomcast", "socketio"];

/** What `--recovery` runs: roomcast with recovery off and on, and socket.io with it on. */
export const RECOVERY_IMPLS: readonly Impl[] = ["roomcast", "roomcast-recovery", "socketio-recovery"];

/** Every implementation `--impls` accepts; all but roomcast and socket.io are opt-in. */
export const ALL_IMPLS: readonly Impl[] = ["roomcast", "socketio", "bare", "roomcast-metrics", "roomcast-recovery", "socketio-recovery", "roomcast-wd1"];

/** Display names. */
export const IMPL_LABEL: Readonly<Record<Impl, string>> = {
  roomcast: "roomcast",
  socketio: "socket.io",
  bare: "bare",
  "roomcast-metrics": "roomcast+metrics",
  "roomcast-recovery": "roomcast+recovery",
  "socketio-recovery": "socket.io+recovery",
  "roomcast-wd1": "roomcast writeDelay 1",
};

/** A process's resource counters at one instant; `t` is epoch milliseconds with sub-ms precision. */
export interface Snapshot {
  t: number;
  /** process.cpuUsage().user, µs (all threads of the process, GC helpers included). */
  user: number;
  /** process.cpuUsage().system, µs. */
  system: number;
  rss: number;
  heapUsed: number;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across local processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Takes a {@link Snapshot} of this process. */
export function snapshot(): Snapshot {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { t: epochMs(), user: cpu.user, system: cpu.system, rss: mem.rss, heapUsed: mem.heapUsed };
}

/** CPU microseconds (user + system) spent between two snapshots. */
export function cpuBetween(a: Snapshot, b: Snapshot): number {
  return b.user - a.user + (b.system - a.system);
}

/** Latency percentiles in milliseconds, from a sample or from every delivery. */
export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Latencies the percentiles were read from. */
  samples: number;
  /** Of those, how many were negative (clock skew between the processes) and counted as 0. */
  negative?: number;
}

/** How far a paced run fell behind its schedule (server side, milliseconds). */
export interface PaceReport {
  /** Broadcasts per second asked for. */
  offeredPerSec: number;
  /** Broadcasts sent / (last send − start + one interval): equals the offered rate on schedule. */
  achievedPerSec: number;
  /** Lateness of each send against its due time (start + i / rate): median, p99, max. */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Sends later than one interval after their due time. */
  lateSends: number;
}

/** Commands the orchestrator sends to a server process. */
export type ServerCommand =
  /** Run `count` broadcasts with seqs from `from`, `burst` per event-loop turn. */
  | { cmd: "broadcast"; kind: BroadcastKind; from: number; count: number; burst: number; gc: boolean }
  /**
   * Run `count` broadcasts with seqs from `from` at `ratePerSec`, broadcast i due at
   * start + i / rate (a schedule computed from the start, so timer lateness never accumulates).
   */
  | { cmd: "paced"; kind: BroadcastKind; from: number; count: number; ratePerSec: number; gc: boolean }
  /** Reply with a snapshot, after a GC if asked and once exactly `sockets` are connected if given. */
  | { cmd: "snap"; gc: boolean; sockets?: number }
  /** `io.emit("end")`: the ordering barrier after the last broadcast. */
  | { cmd: "end" }
  | { cmd: "exit" };

/** What a server process sends back. */
export type ServerReply =
  | { type: "ready"; port: number; impl: Impl }
  | { type: "started"; snap: Snapshot }
  | { type: "sent"; snap: Snapshot; pace?: PaceReport }
  | { type: "snap"; snap: Snapshot; sockets: number }
  | { type: "ended" }
  | { type: "error"; message: string };

/** Commands the orchestrator sends to the load generator. */
export type LoadCommand =
  /** Connect the clients of `scenario` (or `idle` clients that only connect to "/"). */
  | { cmd: "connect"; port: number; scenario: ScenarioId | "idle"; n: number; ramp: number; concurrency: number }
  /**
   * Expect every recipient to reach seq `upTo - 1`; measure latencies of seqs ≥ `measureFrom`:
   * a stride sample of at most `samples`, or with `everyDelivery` all of them (a histogram).
   */
  | { cmd: "expect"; upTo: number; measureFrom: number; samples: number; everyDelivery?: boolean }
  /** Expect exactly one `end` on every client, then verify the delivery counts. */
  | { cmd: "expectEnd" }
  | { cmd: "status" }
  | { cmd: "closeAll" }
  | { cmd: "exit" };

/** The delivery check's outcome. */
export interface Verdict {
  ok: boolean;
  clients: number;
  recipients: number;
  /** `m` frames received in total, by everyone. */
  delivered: number;
  errorCount: number;
  /** The first errors, for the report. */
  errors: string[];
}

/** What the load generator sends back. */
export type LoadReply =
  | { type: "ready" }
  | {
      type: "connected";
      clients: number;
      recipients: number;
      start: Snapshot;
      end: Snapshot;
      latency: LatencySummary;
    }
  | { type: "expecting"; snap: Snapshot }
  | { type: "reached"; lastRecvAt: number; snap: Snapshot; latency: LatencySummary }
  | { type: "verified"; verdict: Verdict }
  | { type: "status"; pending: number; errors: string[] }
  | { type: "closed" }
  | { type: "error"; message: string };
