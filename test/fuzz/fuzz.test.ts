/**
 * The fuzzer in the suite: every surface, from a fixed seed, with a small budget. A failure
 * prints the shrunk case and the command that replays it (`npm run fuzz -- --surface … --seed …
 * --path …`). The long runs with random seeds are `npm run fuzz` (fuzz/README.md).
 */
import { afterAll, describe, expect, it } from "vitest";
import { Rig, runSurface, type RunReport } from "../../fuzz/runner.ts";
import { SURFACE_NAMES, SURFACES } from "../../fuzz/surfaces/index.ts";

/** The suite's seed: fixed, so a failure here is reproducible as printed. */
export const SUITE_SEED = 20261203;

/** Cases per surface: a few seconds each. */
const CASES = 40;

function explain(r: RunReport): string {
  if (r.ok) return "ok";
  const f = r.failure!;
  return [
    `${r.surface} broke invariant "${f.invariant}" after ${r.cases} cases: ${f.message}`,
    f.counterexample === undefined ? "" : `counterexample: ${f.counterexample}`,
    `replay: npm run fuzz -- --surface ${r.surface} --seed ${r.seed}${f.path === undefined ? "" : ` --path ${f.path}`}`,
  ].join("\n");
}

describe("Fuzzing every input surface (fixed seed, small budget)", () => {
  // One target for the five surfaces (a failure still gets a fresh one): a start costs seconds.
  const rig = new Rig();
  afterAll(() => rig.close());

  for (const name of SURFACE_NAMES) {
    it(`${name}: the invariants hold`, async () => {
      const report = await runSurface({ surface: SURFACES[name], seed: SUITE_SEED, numRuns: CASES, timeLimitMs: 40_000, shrinkTimeMs: 15_000, rig });
      expect(explain(report)).toBe("ok");
      expect(report.cases).toBeGreaterThan(0);
    }, 90_000);
  }
});
