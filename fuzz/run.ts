/**
 * The fuzzer's command line:
 *
 *   npm run fuzz -- [--surface ws-frames,sio-packets,polling,http,upgrade|all] [--seed N]
 *                   [--minutes M] [--runs N] [--path P] [--shrink-seconds S]
 *
 * Each surface runs for `--minutes` (default 5) or `--runs` cases, whichever ends first, from
 * `--seed` (default: random, printed first). A failure prints the seed, the fast-check path and
 * the shrunk case, with the command that replays it; the exit code is then 1. The run always
 * stops by itself.
 */
import { parseArgs } from "node:util";
import { PLANTED_BUG_ENV, type PlantedBug } from "./ipc.ts";
import { runSurface, type RunReport } from "./runner.ts";
import { SURFACE_NAMES, SURFACES, type SurfaceName } from "./surfaces/index.ts";

const USAGE = `usage: npm run fuzz -- [--surface ${SURFACE_NAMES.join(",")}|all] [--seed N] [--minutes M] [--runs N] [--path P] [--shrink-seconds S]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    surface: { type: "string", default: "all" },
    seed: { type: "string" },
    minutes: { type: "string", default: "5" },
    runs: { type: "string" },
    path: { type: "string" },
    "shrink-seconds": { type: "string", default: "60" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const surfaces: SurfaceName[] =
  values.surface === "all"
    ? [...SURFACE_NAMES]
    : values.surface.split(",").map((s) => {
        if (!(SURFACE_NAMES as readonly string[]).includes(s)) fail(`unknown surface "${s}"`);
        return s as SurfaceName;
      });
const seed = values.seed === undefined ? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0 : Number(values.seed);
const minutes = Number(values.minutes);
const runs = values.runs === undefined ? 1_000_000_000 : Number(values.runs);
const shrinkSeconds = Number(values["shrink-seconds"]);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);
if (!(minutes > 0)) fail(`--minutes must be positive, got ${values.minutes}`);
if (!(Number.isInteger(runs) && runs > 0)) fail(`--runs must be a positive integer, got ${values.runs}`);
if (!(shrinkSeconds >= 0)) fail(`--shrink-seconds must be >= 0`);
if (values.path !== undefined && surfaces.length !== 1) fail("--path replays one surface: give exactly one --surface");
// A planted bug (the harness's self-test) can be asked for from the environment too.
const planted = (process.env[PLANTED_BUG_ENV] ?? "none") as PlantedBug;

console.log(`roomcast fuzz: seed ${seed}; surfaces ${surfaces.join(", ")}; up to ${minutes} min or ${runs === 1_000_000_000 ? "unlimited" : runs} cases each${planted === "none" ? "" : `; PLANTED BUG: ${planted}`}`);

function printReport(r: RunReport): void {
  const heap = r.heap ? `, heap ${(r.heap.startBytes / 1048576).toFixed(1)} → ${(r.heap.endBytes / 1048576).toFixed(1)} MB` : "";
  if (r.ok) {
    const sessions = `sessions closed ${r.outcomes.closed} / still served ${r.outcomes.served}`;
    console.log(`  ${r.surface}: ok, ${r.cases} cases in ${(r.durationMs / 1000).toFixed(0)} s; ${sessions}${heap}; slowest return to baseline ${r.slowestBaselineMs} ms`);
    return;
  }
  const f = r.failure!;
  console.log(`  ${r.surface}: FAILED (${f.invariant}) after ${r.cases} cases, ${f.shrinks} shrinks`);
  console.log(`    seed: ${r.seed}${f.path === undefined ? "" : `\n    path: ${f.path}`}`);
  console.log(`    ${f.message.split("\n").join("\n    ")}`);
  if (f.counterexample !== undefined) console.log(`    counterexample:\n      ${f.counterexample.split("\n").join("\n      ")}`);
  const replay = f.path === undefined ? `--seed ${r.seed}` : `--seed ${r.seed} --path ${f.path}`;
  console.log(`    replay: npm run fuzz -- --surface ${r.surface} ${replay}`);
}

let failed = false;
for (const name of surfaces) {
  const report = await runSurface({
    surface: SURFACES[name],
    seed,
    numRuns: values.path === undefined ? runs : 1,
    timeLimitMs: minutes * 60_000,
    shrinkTimeMs: shrinkSeconds * 1000,
    planted,
    ...(values.path === undefined ? {} : { path: values.path }),
    log: (line) => console.log(`  … ${line}`),
  });
  printReport(report);
  failed ||= !report.ok;
}
console.log(failed ? `FAILED (seed ${seed})` : `all invariants held (seed ${seed})`);
process.exit(failed ? 1 : 0);
