/**
 * The harness can fail: a target with a planted defect (ROOMCAST_FUZZ_PLANTED_BUG) must be
 * caught, with the right invariant, and shrunk to a case that still holds the trigger.
 */
import { describe, expect, it } from "vitest";
import { PLANTED_TRIGGERS } from "../../fuzz/ipc.ts";
import { runSurface } from "../../fuzz/runner.ts";
import { SURFACES } from "../../fuzz/surfaces/index.ts";

const SEED = 424242;
const base = { surface: SURFACES["sio-packets"], seed: SEED, numRuns: 60, timeLimitMs: 60_000, shrinkTimeMs: 4_000 } as const;

describe("The fuzz harness catches a planted defect", () => {
  it("a crash (an exception thrown out of a handler): invariant 1, shrunk to the trigger", async () => {
    const report = await runSurface({ ...base, planted: "crash" });
    expect(report.ok).toBe(false);
    expect(report.failure?.invariant).toBe("crash");
    expect(report.failure?.message).toContain("planted crash");
    expect(report.failure?.counterexample).toContain(PLANTED_TRIGGERS.crash);
    expect(report.failure?.path).toBeDefined();
  }, 90_000);

  it("a session that stops answering: invariant 3 (a hang)", async () => {
    const report = await runSurface({ ...base, planted: "hang" });
    expect(report.failure?.invariant).toBe("session");
    expect(report.failure?.message).toContain("hang");
    expect(report.failure?.counterexample).toContain(PLANTED_TRIGGERS.hang);
  }, 90_000);

  it("a room left behind: invariant 4 (counters back to baseline)", async () => {
    const report = await runSurface({ ...base, planted: "leak" });
    expect(report.failure?.invariant).toBe("counters");
    expect(report.failure?.message).toContain("planted-leak");
  }, 90_000);

  it("memory kept for ever: invariant 4 (heap back to its start)", async () => {
    const report = await runSurface({ ...base, numRuns: 25, planted: "bloat", heapBoundBytes: 4 * 1048576 });
    expect(report.failure?.invariant).toBe("heap");
  }, 90_000);
});
