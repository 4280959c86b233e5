/**
 * The result of a run: a JSON-friendly record, the human report printed at the end, and the
 * one-line JSON summary (always the last line on stdout).
 */
import type { LoadOptions } from './run.js';
import type { Meter, RunTiming, StopReason } from './runner.js';
import { type OpSummary, summarizeOp } from './stats.js';
import { formatDuration, formatNumber, formatSize } from './units.js';

export interface PrepareReport {
  objects: number;
  sizeBytes: number;
  concurrency: number;
  seconds: number;
  objectsPerSec: number;
  mibPerSec: number;
}

export interface CleanupReport {
  deleted: number;
  errors: number;
  /** Deletes that failed and succeeded on a later attempt. */
  retried: number;
  seconds: number;
}

export interface LoadResult {
  workload: string;
  endpoint: string;
  client: string;
  /** The `--sse` mode, when not none. */
  sse?: string;
  bucket: string;
  sizeBytes: number;
  partSizeBytes?: number;
  concurrency: number;
  durationMs: number;
  elapsedMs: number;
  stoppedBy: StopReason;
  /** Requests of every operation together. */
  total: OpSummary;
  byOp: Record<string, OpSummary>;
  /** list: keys returned per second. */
  keysPerSec?: number;
  /** multipart: completed uploads (whole objects). */
  uploads?: OpSummary;
  errors: number;
  errorSamples: { message: string; count: number }[];
  clientCpu: { userMs: number; systemMs: number; percentOfOneCore: number; usPerRequest: number };
  prepare?: PrepareReport;
  finalCheck?: { key: string; ok: boolean; problem?: string };
  cleanup?: CleanupReport;
  notes: string[];
}

export function buildResult(parts: {
  options: LoadOptions;
  meter: Meter;
  timing: RunTiming;
  prepare: PrepareReport | undefined;
  cleanup: CleanupReport | undefined;
  finalCheck: LoadResult['finalCheck'];
  notes: string[];
}): LoadResult {
  const { options, meter, timing } = parts;
  const elapsed = timing.elapsedMs;
  const total = summarizeOp(meter.total(), elapsed);
  const byOp: Record<string, OpSummary> = {};
  for (const [op, stats] of meter.requestStats()) byOp[op] = summarizeOp(stats, elapsed);
  const cpuMs = timing.cpuUserMs + timing.cpuSystemMs;
  const requests = total.ops + total.errors;
  const result: LoadResult = {
    workload: options.workload,
    endpoint: options.target.endpoint,
    client: options.client,
    bucket: options.bucket,
    sizeBytes: options.sizeBytes,
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    elapsedMs: elapsed,
    stoppedBy: timing.stoppedBy,
    total,
    byOp,
    errors: total.errors + (parts.finalCheck && !parts.finalCheck.ok ? 1 : 0),
    errorSamples: meter.errorSamples(),
    clientCpu: {
      userMs: timing.cpuUserMs,
      systemMs: timing.cpuSystemMs,
      percentOfOneCore: elapsed > 0 ? (100 * cpuMs) / elapsed : 0,
      usPerRequest: requests > 0 ? (1000 * cpuMs) / requests : 0,
    },
    notes: parts.notes,
  };
  if (options.workload === 'list') result.keysPerSec = total.itemsPerSec ?? 0;
  if (options.workload === 'multipart') {
    result.partSizeBytes = options.partSizeBytes;
    const uploads = meter.syntheticStats().find(([op]) => op === 'MultipartUpload')?.[1];
    if (uploads) result.uploads = summarizeOp(uploads, elapsed);
  }
  if (options.sse !== undefined && options.sse !== 'none') result.sse = options.sse;
  if (parts.prepare) result.prepare = parts.prepare;
  if (parts.finalCheck) result.finalCheck = parts.finalCheck;
  if (parts.cleanup) result.cleanup = parts.cleanup;
  return result;
}

/** Fixed-width columns, numbers right-aligned. */
export function formatColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

function opRow(name: string, s: OpSummary): string[] {
  const ms = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(v < 10 ? 2 : 1));
  return [
    name,
    formatNumber(s.ops),
    formatNumber(s.opsPerSec),
    formatNumber(s.mibPerSec),
    ms(s.latencyMs.p50),
    ms(s.latencyMs.p90),
    ms(s.latencyMs.p99),
    formatNumber(s.errors),
  ];
}

/** The human report printed at the end of a run. */
export function formatReport(r: LoadResult): string {
  const lines: string[] = [];
  const part = r.partSizeBytes ? ` in ${formatSize(r.partSizeBytes)} parts` : '';
  lines.push(
    `${r.workload}: ${formatSize(r.sizeBytes)}${part}, concurrency ${r.concurrency}, ` +
      `${formatDuration(r.elapsedMs)} (stopped by ${r.stoppedBy}), ${r.endpoint}, client ${r.client}` +
      (r.sse ? `, --sse ${r.sse}` : ''),
  );
  if (r.prepare) {
    const p = r.prepare;
    lines.push(
      `prepare: ${formatNumber(p.objects)} objects of ${formatSize(p.sizeBytes)} in ${p.seconds.toFixed(1)}s ` +
        `(${p.concurrency} in flight): ${formatNumber(p.objectsPerSec)} objects/s, ${formatNumber(p.mibPerSec)} MiB/s`,
    );
  }
  const rows = [['operation', 'ops', 'ops/s', 'MiB/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors']];
  for (const [op, s] of Object.entries(r.byOp)) rows.push(opRow(op, s));
  if (Object.keys(r.byOp).length > 1) rows.push(opRow('total', r.total));
  if (r.uploads) rows.push(opRow('(whole uploads)', r.uploads));
  lines.push(formatColumns(rows));
  if (r.keysPerSec !== undefined) lines.push(`keys/s: ${formatNumber(r.keysPerSec)}`);
  lines.push(
    `client CPU: ${r.clientCpu.percentOfOneCore.toFixed(0)}% of one core, ` +
      `${formatNumber(r.clientCpu.usPerRequest)} µs per request`,
  );
  if (r.finalCheck) {
    lines.push(
      `final check (GET of ${r.finalCheck.key}): ${r.finalCheck.ok ? 'verified' : `FAILED: ${r.finalCheck.problem}`}`,
    );
  }
  lines.push(`errors: ${r.errors}`);
  for (const e of r.errorSamples) lines.push(`  ${e.count} × ${e.message}`);
  if (r.cleanup) {
    lines.push(
      `cleanup: deleted ${formatNumber(r.cleanup.deleted)} objects in ${r.cleanup.seconds.toFixed(1)}s` +
        (r.cleanup.retried > 0 ? `, ${r.cleanup.retried} deletes failed once and were retried` : '') +
        (r.cleanup.errors > 0 ? `, ${r.cleanup.errors} objects could not be deleted` : ''),
    );
  }
  for (const note of r.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** Rounds every number in a JSON value to 3 decimals (the summary stays short and readable). */
function rounded(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
}

/** The one-line JSON summary. */
export function summaryLine(r: LoadResult): string {
  return JSON.stringify(r, rounded);
}
