/**
 * A log-linear latency histogram in the manner of HdrHistogram: every value is recorded (no
 * sampling) in O(1) and bounded memory, and percentiles are read back with a relative error
 * below 1/128 (0.8%).
 *
 * Values are microseconds, rounded to integers. Below 256 µs every microsecond has its own
 * bucket; above, each power of two is split into 128 equal buckets. Values above
 * {@link MAX_TRACKABLE_US} land in the last bucket (and still count in `max`).
 */

/** Buckets per power of two above the linear range (precision 1/128). */
const SUB_BUCKETS = 128;
/** Values below this are exact, one bucket per microsecond. */
const LINEAR = 2 * SUB_BUCKETS;
/** The largest value with its own bucket: about 2.3 hours in microseconds (2^33). */
export const MAX_TRACKABLE_US = 2 ** 33;
const LINEAR_BITS = Math.log2(LINEAR);
const BUCKETS = LINEAR + (33 - LINEAR_BITS + 1) * SUB_BUCKETS;

function bucketOf(us: number): number {
  if (us < LINEAR) return us;
  const v = Math.min(us, MAX_TRACKABLE_US);
  // The power of two holding v, counted from the top of the linear range.
  const shift = Math.floor(Math.log2(v)) - LINEAR_BITS + 1;
  return LINEAR + (shift - 1) * SUB_BUCKETS + (Math.floor(v / 2 ** shift) - SUB_BUCKETS);
}

/** The highest value (µs) that lands in bucket `index`. */
function highestInBucket(index: number): number {
  if (index < LINEAR) return index;
  const shift = Math.floor((index - LINEAR) / SUB_BUCKETS) + 1;
  const sub = ((index - LINEAR) % SUB_BUCKETS) + SUB_BUCKETS;
  return (sub + 1) * 2 ** shift - 1;
}

/** Latency percentiles read from a histogram, milliseconds. */
export interface HistogramSummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  min: number;
  max: number;
  mean: number;
  /** Values that were negative (clock skew between processes) and recorded as 0. */
  negative: number;
}

/** Records latencies in milliseconds; reads percentiles back in milliseconds. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sumUs = 0;
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = 0;
  private negatives = 0;

  /** Values recorded. */
  get count(): number {
    return this.total;
  }

  /** Records one latency of `ms` milliseconds (negative values count as 0 and are tallied). */
  record(ms: number): void {
    if (Number.isNaN(ms)) return;
    let us = Math.round(ms * 1000);
    if (us < 0) {
      this.negatives++;
      us = 0;
    }
    const index = bucketOf(us);
    this.counts[index] = (this.counts[index] as number) + 1;
    this.total++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /**
   * The `q`-quantile (0..1) in milliseconds: the highest value of the bucket holding the
   * value of rank ceil(q × count) (never above the largest value recorded); NaN when empty.
   */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.min(this.total, Math.max(1, Math.ceil(q * this.total)));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(highestInBucket(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  /** Percentiles and extremes in milliseconds. */
  summary(): HistogramSummary {
    const empty = this.total === 0;
    return {
      count: this.total,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      min: empty ? Number.NaN : this.minUs / 1000,
      max: empty ? Number.NaN : this.maxUs / 1000,
      mean: empty ? Number.NaN : this.sumUs / this.total / 1000,
      negative: this.negatives,
    };
  }
}
