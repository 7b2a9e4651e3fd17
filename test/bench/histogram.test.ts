/**
 * The latency histogram of the latency mode (bench/histogram.ts): percentiles read back from
 * it must match the exact ones of the same values, sorted, within its stated precision.
 */
import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../bench/histogram.ts";
import { quantileSorted } from "../../bench/stats.ts";

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Exact quantile of values rounded to whole microseconds, as the histogram records them. */
function exact(valuesMs: number[], q: number): number {
  const sorted = valuesMs.map((v) => Math.round(v * 1000) / 1000).sort((a, b) => a - b);
  return quantileSorted(sorted, q);
}

describe("LatencyHistogram", () => {
  it.each([1, 2, 3, 4, 5])("reads p50, p99, p99.9 and max within 1/128 of the exact values (seed %i)", (seed) => {
    const next = random(seed);
    const h = new LatencyHistogram();
    const values: number[] = [];
    // Log-uniform from 1 µs to 10 s, the range latencies span between idle and overload.
    for (let i = 0; i < 20_000; i++) {
      const ms = 10 ** (next() * 7 - 3);
      values.push(ms);
      h.record(ms);
    }
    const s = h.summary();
    expect(s.count).toBe(values.length);
    for (const [q, got] of [
      [0.5, s.p50],
      [0.99, s.p99],
      [0.999, s.p999],
      [1, s.max],
    ] as const) {
      const want = exact(values, q);
      // The bucket's highest value: never below the exact value, at most 1/128 above it (+1 µs).
      expect(got, `q=${q}`).toBeGreaterThanOrEqual(want - 1e-9);
      expect(got, `q=${q}`).toBeLessThanOrEqual(want * (1 + 1 / 128) + 0.001);
    }
  });

  it("is exact below 256 µs, one bucket per microsecond", () => {
    const h = new LatencyHistogram();
    for (let us = 0; us < 256; us++) h.record(us / 1000);
    expect(h.quantile(0.5)).toBe(0.127);
    expect(h.quantile(1)).toBe(0.255);
    expect(h.summary().min).toBe(0);
  });

  it("counts negative latencies (clock skew) as 0 and tallies them", () => {
    const h = new LatencyHistogram();
    h.record(-0.02);
    h.record(0.5);
    const s = h.summary();
    expect(s.negative).toBe(1);
    expect(s.min).toBe(0);
    expect(s.count).toBe(2);
  });

  it("reports NaN percentiles when nothing was recorded", () => {
    const s = new LatencyHistogram().summary();
    expect(s.count).toBe(0);
    expect(s.p50).toBeNaN();
    expect(s.max).toBeNaN();
  });
});
