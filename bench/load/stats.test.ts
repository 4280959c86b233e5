import { describe, expect, it } from 'vitest';
import { combineOps, LatencySamples, OpStats, percentile, summarizeLatency, summarizeOp } from './stats.js';

describe('percentile (nearest rank)', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);

  it('picks the smallest value with at least p % of the values at or below it', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 90)).toBe(90);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0.5)).toBe(1);
  });

  it('works on small samples', () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2], 50)).toBe(1);
    expect(percentile([1, 2], 51)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });

  it('is NaN without values and rejects out-of-range p', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow();
    expect(() => percentile([1], 101)).toThrow();
  });
});

describe('LatencySamples', () => {
  it('grows past its initial capacity and sorts numerically', () => {
    const samples = new LatencySamples();
    for (let i = 10_000; i > 0; i--) samples.add(i / 10);
    expect(samples.count).toBe(10_000);
    const sorted = samples.sorted();
    expect(sorted[0]).toBe(0.1);
    expect(sorted[9_999]).toBe(1000);
    const s = summarizeLatency(samples);
    expect(s.p50).toBe(500);
    expect(s.p90).toBe(900);
    expect(s.p99).toBe(990);
    expect(s.max).toBe(1000);
    expect(s.mean).toBeCloseTo(500.05, 6);
  });
});

describe('summaries', () => {
  it('turns counters into rates over the elapsed time', () => {
    const put = new OpStats();
    put.ok = 20;
    put.errors = 1;
    put.bytes = 20 * 1024 * 1024;
    for (let i = 1; i <= 20; i++) put.latency.add(i);
    const s = summarizeOp(put, 2000);
    expect(s.opsPerSec).toBe(10);
    expect(s.mibPerSec).toBe(10);
    expect(s.errors).toBe(1);
    expect(s.latencyMs.p50).toBe(10);
    expect(s.itemsPerSec).toBeUndefined();
  });

  it('combines operations: counts add up and latencies are pooled', () => {
    const a = new OpStats();
    a.ok = 2;
    a.items = 2000;
    a.latency.add(1);
    a.latency.add(3);
    const b = new OpStats();
    b.ok = 1;
    b.errors = 2;
    b.latency.add(2);
    const total = combineOps([a, b]);
    expect(total.ok).toBe(3);
    expect(total.errors).toBe(2);
    expect(total.latency.sorted()).toEqual(Float64Array.from([1, 2, 3]));
    expect(summarizeOp(total, 1000).itemsPerSec).toBe(2000);
  });
});
