import { describe, expect, it } from "vitest";
import type { Impl } from "../../bench/fanout/ipc.ts";
import { failedRecord, type RunRecord } from "../../bench/fanout/phases.ts";
import { pairedRatio } from "../../bench/fanout/report.ts";

/** A passed run of `impl` in scenario a, round `run`, costing `cpu` µs per message. */
function run(impl: Impl, round: number, cpu: number): RunRecord {
  return { ...failedRecord(impl, "a", round, "unused"), ok: true, failure: null, cpuPerUnitUs: cpu };
}

describe("pairedRatio (fan-out report: roomcast / floor per round)", () => {
  it("divides within each round, so a machine that slows between rounds does not move the ratio", () => {
    // The machine runs 1.5× slower in round 1: both implementations slow down together.
    const records = [run("roomcast", 0, 2.2), run("bare", 0, 2.0), run("roomcast", 1, 3.3), run("bare", 1, 3.0), run("roomcast", 2, 2.2), run("bare", 2, 2.0)];
    const paired = pairedRatio(records, "a", "roomcast", "bare");
    expect(paired.median).toBeCloseTo(1.1, 10);
    expect(paired.min).toBeCloseTo(1.1, 10);
    expect(paired.max).toBeCloseTo(1.1, 10);
  });

  it("takes the median of the per-round ratios (not the ratio of medians) and reports their range", () => {
    // Per round: 1.0, 1.2, 1.5. Medians across rounds would give 3.0 / 2.0 = 1.5.
    const records = [run("roomcast", 0, 1.0), run("bare", 0, 1.0), run("roomcast", 1, 3.6), run("bare", 1, 3.0), run("roomcast", 2, 3.0), run("bare", 2, 2.0)];
    const paired = pairedRatio(records, "a", "roomcast", "bare");
    expect(paired.median).toBeCloseTo(1.2, 10);
    expect(paired.min).toBeCloseTo(1.0, 10);
    expect(paired.max).toBeCloseTo(1.5, 10);
  });

  it("leaves out a round where either run failed, and is NaN with no complete round", () => {
    const records = [run("roomcast", 0, 1.2), run("bare", 0, 1.0), run("roomcast", 1, 9.0), failedRecord("bare", "a", 1, "boom")];
    expect(pairedRatio(records, "a", "roomcast", "bare").median).toBeCloseTo(1.2, 10);
    expect(pairedRatio([run("roomcast", 0, 1)], "a", "roomcast", "bare").median).toBeNaN();
  });
});
