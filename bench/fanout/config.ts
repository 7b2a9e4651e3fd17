/**
 * Command-line options of the fan-out benchmark (bench/fanout/run.ts).
 */
import { parseArgs } from "node:util";
import { RESULTS_DIR } from "../results.ts";
import { ALL_IMPLS, IMPLS, RECOVERY_IMPLS, type Impl } from "./ipc.ts";
import { SCENARIO_IDS, parseScenarioList, type ScenarioId } from "./scenarios.ts";

/** A resolved fan-out configuration. */
export interface FanoutConfig {
  /** Intended recipients per broadcast. */
  n: number;
  /** Measured broadcasts per scenario run. */
  m: number;
  /** Unmeasured warm-up broadcasts before them (same delivery checks). */
  warmup: number;
  /** Runs per implementation (alternating). */
  r: number;
  /** Clients in the connect + join ramp (d). */
  ramp: number;
  /** Broadcasts per event-loop turn in (f). */
  burst: number;
  /** Connections the load generator opens in parallel. */
  concurrency: number;
  /** Latency samples kept per run. */
  samples: number;
  /** Watchdog for every step, ms: a step that takes longer fails the run. */
  deadlineMs: number;
  scenarios: ScenarioId[];
  impls: Impl[];
  quick: boolean;
  /** Results directory. */
  out: string;
  /** Test-only fault injected into the server (see server.ts). */
  fault: string;
}

/** The `--help` text. */
export const USAGE = `usage: node --import tsx bench/fanout/run.ts [options]
  --latency          latency under load at fixed offered rates instead (options below)
  --quick            smoke-test sizes: R=1, N=200, M=30, ramp 400 (explicit flags still win)
  --n <int>          recipients per broadcast (default 1000)
  --m <int>          measured broadcasts per run (default 300)
  --warmup <int>     warm-up broadcasts per run (default max(10, M/5))
  --r <int>          alternating runs per implementation (default 3)
  --ramp <int>       clients in the connect+join ramp, scenario d (default 2000)
  --burst <int>      broadcasts per event-loop turn in scenario f (default 10)
  --scenarios <list> comma-separated subset of ${SCENARIO_IDS.join(",")} (default all)
  --impls <list>     comma-separated subset of ${ALL_IMPLS.join(",")} (default roomcast,socketio);
                     bare = a minimal server writing one pre-built frame per recipient (the floor);
                     roomcast-metrics = roomcast with its metrics option on (ratio against roomcast);
                     *-recovery = with connectionStateRecovery: {}
  --recovery         connection state recovery's cost: scenario a (unless --scenarios) with
                     ${RECOVERY_IMPLS.join(",")} (unless --impls)
  --concurrency <n>  parallel connection attempts (default 100)
  --samples <int>    latency samples per run (default 20000)
  --deadline <ms>    watchdog per step (default 120000)
  --out <dir>        results directory (default bench/results)`;

/** An integer flag's value, `fallback` when absent; throws below `min` or when not an integer. */
export function intOption(value: string | undefined, fallback: number, name: string, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** Parses a comma-separated implementation list; throws on an unknown name. */
export function parseImpls(list: string): Impl[] {
  const out: Impl[] = [];
  for (const raw of list.split(",")) {
    const impl = ALL_IMPLS.find((i) => i === raw.trim());
    if (impl === undefined) throw new Error(`unknown impl "${raw}" (known: ${ALL_IMPLS.join(",")})`);
    if (!out.includes(impl)) out.push(impl);
  }
  return out;
}

/** Parses `argv` (without node and script); throws with a message on a bad flag. */
export function parseFanoutArgs(argv: string[]): FanoutConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      recovery: { type: "boolean", default: false },
      n: { type: "string" },
      m: { type: "string" },
      warmup: { type: "string" },
      r: { type: "string" },
      ramp: { type: "string" },
      burst: { type: "string" },
      scenarios: { type: "string" },
      impls: { type: "string" },
      concurrency: { type: "string" },
      samples: { type: "string" },
      deadline: { type: "string" },
      out: { type: "string" },
      fault: { type: "string" },
    },
  });
  if (values.help) return "help";
  const quick = values.quick ?? false;
  const m = intOption(values.m, quick ? 30 : 300, "m", 1);
  return {
    n: intOption(values.n, quick ? 200 : 1000, "n", 2),
    m,
    warmup: intOption(values.warmup, Math.max(10, Math.ceil(m / 5)), "warmup"),
    r: intOption(values.r, quick ? 1 : 3, "r", 1),
    ramp: intOption(values.ramp, quick ? 400 : 2000, "ramp", 1),
    burst: intOption(values.burst, 10, "burst", 1),
    concurrency: intOption(values.concurrency, 100, "concurrency", 1),
    samples: intOption(values.samples, 20_000, "samples", 1),
    deadlineMs: intOption(values.deadline, 120_000, "deadline", 1000),
    scenarios: values.scenarios !== undefined ? parseScenarioList(values.scenarios) : values.recovery === true ? ["a"] : [...SCENARIO_IDS],
    impls: values.impls !== undefined ? parseImpls(values.impls) : [...(values.recovery === true ? RECOVERY_IMPLS : IMPLS)],
    quick,
    out: values.out ?? RESULTS_DIR,
    fault: values.fault ?? "",
  };
}
