/**
 * The harness can fail: a target with a planted defect (ROOMCAST_FUZZ_PLANTED_BUG) must be
 * caught, with the right invariant, and shrunk to a case that still holds the trigger.
 */
import { describe, expect, it } from "vitest";
import { PLANTED_TRIGGERS } from "../../fuzz/ipc.ts";
import { runSurface } from "../../fuzz/runner.ts";
import { SURFACES } from "../../fuzz/surfaces/index.ts";

/**
 * sio-packets from fixed seeds. Any seed reaches each trigger sooner or later; the ones below
 * within the first 25 cases, to keep the suite quick. Shorter waits than the fuzzer's (WebSocket
 * only: no poll is held until a ping) keep the failing cases, which wait for their bound, quick.
 * Shrinking is only exercised where it is asserted.
 */
const base = {
  surface: SURFACES["sio-packets"],
  numRuns: 150,
  timeLimitMs: 60_000,
  shrinkTimeMs: 0,
  waitMs: 2_000,
  baselineBoundMs: 4_000,
} as const;

describe("The fuzz harness catches a planted defect", () => {
  it("a crash (an exception thrown out of a handler): invariant 1, shrunk to the trigger", async () => {
    const report = await runSurface({ ...base, seed: 1, shrinkTimeMs: 3_000, planted: "crash" });
    expect(report.ok).toBe(false);
    expect(report.failure?.invariant).toBe("crash");
    expect(report.failure?.message).toContain("planted crash");
    expect(report.failure?.counterexample).toContain(PLANTED_TRIGGERS.crash);
    expect(report.failure?.path).toBeDefined();
  }, 90_000);

  it("a session that stops answering: invariant 3 (a hang)", async () => {
    const report = await runSurface({ ...base, seed: 2, planted: "hang" });
    expect(report.failure?.invariant).toBe("session");
    expect(report.failure?.message).toContain("hang");
    expect(report.failure?.counterexample).toContain(PLANTED_TRIGGERS.hang);
  }, 90_000);

  it("a room left behind: invariant 4 (counters back to baseline)", async () => {
    const report = await runSurface({ ...base, seed: 1, planted: "leak" });
    expect(report.failure?.invariant).toBe("counters");
    expect(report.failure?.message).toContain("planted-leak");
  }, 90_000);

  it("memory kept for ever: invariant 4 (heap back to its start)", async () => {
    const report = await runSurface({ ...base, seed: 1, numRuns: 40, planted: "bloat", heapBoundBytes: 4 * 1048576 });
    expect(report.failure?.invariant).toBe("heap");
  }, 90_000);
});
