import { describe, expect, it } from 'vitest';
import { formatColumns, formatReport, type LoadResult, summaryLine } from './report.js';

const op = {
  ops: 100,
  errors: 1,
  bytes: 100 * 1024 * 1024,
  opsPerSec: 10.123456,
  mibPerSec: 10.123456,
  latencyMs: { p50: 5.5, p90: 12.25, p99: 40, max: 41, mean: 7 },
};

const result: LoadResult = {
  workload: 'put',
  endpoint: 'http://127.0.0.1:9000',
  client: 'http',
  bucket: 'b',
  sizeBytes: 1024 * 1024,
  concurrency: 4,
  durationMs: 10_000,
  elapsedMs: 10_050,
  stoppedBy: 'duration',
  total: op,
  byOp: { PutObject: op },
  errors: 1,
  errorSamples: [{ message: 'PutObject: HTTP 503 SlowDown', count: 1 }],
  clientCpu: { userMs: 900, systemMs: 100, percentOfOneCore: 10, usPerRequest: 9901 },
  notes: [],
};

describe('report', () => {
  it('aligns columns: first left, the rest right', () => {
    expect(
      formatColumns([
        ['a', '1'],
        ['long', '100'],
      ]),
    ).toBe('a       1\nlong  100');
  });

  it('prints rates, latency percentiles and errors', () => {
    const text = formatReport(result);
    expect(text).toContain('put: 1 MiB, concurrency 4, 10.1s (stopped by duration)');
    expect(text).toMatch(/PutObject\s+100\s+10\.1\s+10\.1\s+5\.50\s+12\.3\s+40\.0\s+1/);
    expect(text).toContain('1 × PutObject: HTTP 503 SlowDown');
    expect(text).toContain('errors: 1');
  });

  it('summarizes on one JSON line with rounded numbers', () => {
    const line = summaryLine(result);
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line);
    expect(parsed.total.opsPerSec).toBe(10.123);
    expect(parsed.workload).toBe('put');
  });
});
