/**
 * Latency samples and per-operation counters. Every request's latency is kept (8 bytes each, in
 * a growing Float64Array: a million requests is 8 MB), so percentiles are exact rather than
 * read from histogram buckets.
 */

const INITIAL_CAPACITY = 4096;

/** Latencies in milliseconds, appended without allocation until the array doubles. */
export class LatencySamples {
  private values = new Float64Array(INITIAL_CAPACITY);
  private length = 0;

  get count(): number {
    return this.length;
  }

  add(ms: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = ms;
  }

  /** Appends every sample of `other` (used to summarize several operations together). */
  addAll(other: LatencySamples): void {
    for (const v of other.sorted()) this.add(v);
  }

  /** A sorted copy of the samples. */
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

/**
 * The nearest-rank percentile (0 < p ≤ 100) of ascending `sorted` values: the smallest value
 * such that at least p % of the values are ≤ it. NaN when there are no values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(p > 0 && p <= 100)) throw new Error(`percentile out of range: ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarizeLatency(samples: LatencySamples): LatencySummary {
  const sorted = samples.sorted();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** Counters of one S3 operation (PutObject, GetObject, ...) during a run. */
export class OpStats {
  /** Requests that succeeded (and whose body verified, for reads). */
  ok = 0;
  errors = 0;
  /** Payload bytes moved by successful requests (request bodies for writes, response bodies for reads). */
  bytes = 0;
  /** Items a request returned, when it returns a list (keys of a ListObjectsV2 page). */
  items = 0;
  readonly latency = new LatencySamples();
}

export interface OpSummary {
  ops: number;
  errors: number;
  bytes: number;
  opsPerSec: number;
  mibPerSec: number;
  itemsPerSec?: number;
  latencyMs: LatencySummary;
}

const MiB = 1024 * 1024;

/** Rates of `stats` over `elapsedMs` of wall time. Latencies are of successful requests only. */
export function summarizeOp(stats: OpStats, elapsedMs: number): OpSummary {
  const seconds = elapsedMs / 1000;
  const summary: OpSummary = {
    ops: stats.ok,
    errors: stats.errors,
    bytes: stats.bytes,
    opsPerSec: seconds > 0 ? stats.ok / seconds : 0,
    mibPerSec: seconds > 0 ? stats.bytes / MiB / seconds : 0,
    latencyMs: summarizeLatency(stats.latency),
  };
  if (stats.items > 0) summary.itemsPerSec = seconds > 0 ? stats.items / seconds : 0;
  return summary;
}

/** All operations of `byOp` folded into one (rates add up; latencies are pooled). */
export function combineOps(byOp: Iterable<OpStats>): OpStats {
  const total = new OpStats();
  for (const s of byOp) {
    total.ok += s.ok;
    total.errors += s.errors;
    total.bytes += s.bytes;
    total.items += s.items;
    total.latency.addAll(s.latency);
  }
  return total;
}
