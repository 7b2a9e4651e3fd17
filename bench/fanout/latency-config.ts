/**
 * Command-line options of the fan-out benchmark's latency mode (`run.ts --latency`).
 */
import { parseArgs } from "node:util";
import { RESULTS_DIR } from "../results.ts";
import { intOption as int, parseImpls, type FanoutConfig } from "./config.ts";
import { ALL_IMPLS, type Impl } from "./ipc.ts";

/** A resolved latency-mode configuration. */
export interface LatencyConfig {
  /** Load levels in % of socket.io's saturation rate (measured first); null with `rates`. */
  loads: number[] | null;
  /** Absolute offered rates, broadcasts per second; null with `loads`. */
  rates: number[] | null;
  /** Seconds of paced broadcasting per load level, implementation and round. */
  durationSec: number;
  /** Rounds: each round runs every implementation once (order rotated), every load level in it. */
  r: number;
  impls: Impl[];
  /**
   * The saturation runs (socket.io, scenario a, `r` of them) and the shared sizes: recipients
   * `n`, warm-up broadcasts, deadlines, results directory.
   */
  fanout: FanoutConfig;
}

/** The `--help` text of the latency mode. */
export const LATENCY_USAGE = `usage: node --import tsx bench/fanout/run.ts --latency [options]
  Latency under load: broadcasts to a room of N at fixed offered rates, for each implementation
  in turn; emit-to-receipt latency of every delivery (p50, p99, p99.9), server CPU per delivery.
  --load <list>      offered rates in % of socket.io's saturation rate, measured first in the
                     same invocation with scenario a (default 25,50,75,100)
  --rates <list>     absolute offered rates in broadcasts/s instead (no saturation runs)
  --impls <list>     comma-separated subset of ${ALL_IMPLS.join(",")}
                     (default socketio,roomcast,roomcast-wd1; roomcast-wd1 = writeDelay: 1)
  --duration <s>     seconds of paced broadcasting per load level (default 5)
  --r <int>          rounds, implementations alternating, medians (default 3)
  --n <int>          recipients per broadcast (default 1000)
  --m <int>          broadcasts per saturation run (default 300)
  --warmup <int>     warm-up broadcasts per server before the first load level (default 60)
  --concurrency <n>  parallel connection attempts (default 100)
  --deadline <ms>    watchdog per step (default 120000)
  --out <dir>        results directory (default bench/results)`;

/** What the latency mode runs by default. */
export const LATENCY_IMPLS: readonly Impl[] = ["socketio", "roomcast", "roomcast-wd1"];

function positiveList(value: string, name: string): number[] {
  const out = value.split(",").map((raw) => Number(raw.trim()));
  if (out.length === 0 || out.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new Error(`--${name} must be a comma-separated list of positive numbers, got "${value}"`);
  }
  return out;
}

/** Parses `argv` (without node and script, `--latency` included); throws on a bad flag. */
export function parseLatencyArgs(argv: string[]): LatencyConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      latency: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      load: { type: "string" },
      rates: { type: "string" },
      impls: { type: "string" },
      duration: { type: "string" },
      r: { type: "string" },
      n: { type: "string" },
      m: { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string" },
      deadline: { type: "string" },
      out: { type: "string" },
      // Test-only fault injected into the server (see server.ts).
      fault: { type: "string" },
    },
  });
  if (values.help) return "help";
  if (values.load !== undefined && values.rates !== undefined) throw new Error("--load and --rates exclude each other");
  const durationSec = values.duration === undefined ? 5 : Number(values.duration);
  if (!(durationSec > 0) || durationSec > 600) throw new Error(`--duration must be a number of seconds in (0, 600], got "${values.duration}"`);
  const rates = values.rates !== undefined ? positiveList(values.rates, "rates") : null;
  const loads = rates === null ? positiveList(values.load ?? "25,50,75,100", "load") : null;
  const r = int(values.r, 3, "r", 1);
  const m = int(values.m, 300, "m", 1);
  const fanout: FanoutConfig = {
    n: int(values.n, 1000, "n", 2),
    m,
    warmup: int(values.warmup, Math.max(10, Math.ceil(m / 5)), "warmup", 0),
    r,
    ramp: 0,
    burst: 1,
    concurrency: int(values.concurrency, 100, "concurrency", 1),
    samples: 20_000,
    deadlineMs: int(values.deadline, 120_000, "deadline", 1000),
    scenarios: ["a"],
    impls: ["socketio"],
    quick: false,
    out: values.out ?? RESULTS_DIR,
    fault: values.fault ?? "",
  };
  return { loads, rates, durationSec, r, impls: values.impls !== undefined ? parseImpls(values.impls) : [...LATENCY_IMPLS], fanout };
}
