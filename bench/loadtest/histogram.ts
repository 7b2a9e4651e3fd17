/**
 * A fixed-size histogram of durations with bounded relative error, so a run of any length
 * (millions of deliveries) keeps every sample's contribution to the percentiles in constant
 * memory. Buckets grow geometrically by 1% from 1 µs: a percentile is exact to within ±0.5%,
 * and the minimum, maximum and mean are exact.
 */

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** 1 µs … about 10^9 µs (16 minutes); anything longer lands in the last bucket (max stays exact). */
const BUCKETS = Math.ceil(Math.log(1e9) / LOG_GROWTH) + 2;

/** Percentiles of a histogram, in milliseconds (NaN when it is empty). */
export interface Percentiles {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Durations in milliseconds, recorded into log-spaced buckets. */
export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  /** Records one duration in ms; negative or non-finite values are ignored (they cannot be durations). */
  record(ms: number): void {
    if (!(ms >= 0) || ms === Number.POSITIVE_INFINITY) return;
    const us = ms * 1000;
    const bucket = us < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us) / LOG_GROWTH));
    this.counts[bucket]! += 1;
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /**
   * The `q`-quantile (0..1) in ms: the geometric middle of the bucket holding the sample of rank
   * ceil(q × count), clamped to the exact min and max. NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) {
        const middleUs = b === 0 ? 0.5 : Math.pow(GROWTH, b - 0.5);
        return Math.min(this.max, Math.max(this.min, middleUs / 1000));
      }
    }
    return this.max;
  }

  /** The usual percentiles, in ms. */
  percentiles(): Percentiles {
    const empty = this.count === 0;
    return {
      count: this.count,
      min: empty ? Number.NaN : this.min,
      mean: empty ? Number.NaN : this.sum / this.count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      max: empty ? Number.NaN : this.max,
    };
  }
}
