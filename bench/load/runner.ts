/**
 * The timed phase of a run: `concurrency` workers repeat a workload step until the duration is
 * up, `maxOps` steps have started, the caller aborts, or too many requests in a row failed.
 * Every request goes through `Meter.timed`, which records its latency, bytes and outcome.
 */
import { performance } from 'node:perf_hooks';
import { combineOps, OpStats } from './stats.js';

/** A server that fails this many requests in a row (refused, crashed) ends the run early. */
const MAX_CONSECUTIVE_ERRORS = 200;
/** Distinct error messages kept for the report. */
const MAX_ERROR_KINDS = 20;

export type Outcome<T> = { ok: true; value: T } | { ok: false };

export interface Measure {
  /** Payload bytes the request moved. */
  bytes?: number;
  /** Items the request returned (keys of a listing page). */
  items?: number;
}

export class Meter {
  readonly byOp = new Map<string, OpStats>();
  /** Operations reported on their own but left out of the totals (e.g. a whole multipart upload). */
  private readonly synthetic = new Set<string>();
  private readonly errorKinds = new Map<string, number>();
  private consecutiveErrors = 0;
  /** Set when the run must stop early (too many errors in a row); read by the workers. */
  stopReason: string | undefined;

  stats(op: string): OpStats {
    let stats = this.byOp.get(op);
    if (!stats) {
      stats = new OpStats();
      this.byOp.set(op, stats);
    }
    return stats;
  }

  /** Times `fn` as one request of `op`. Failures are counted, never thrown. */
  async timed<T>(op: string, fn: () => Promise<T>, measure?: (value: T) => Measure): Promise<Outcome<T>> {
    const stats = this.stats(op);
    const started = performance.now();
    try {
      const value = await fn();
      const ended = performance.now();
      const m = measure?.(value);
      stats.ok++;
      stats.bytes += m?.bytes ?? 0;
      stats.items += m?.items ?? 0;
      stats.latency.add(ended - started);
      this.consecutiveErrors = 0;
      return { ok: true, value };
    } catch (err) {
      this.error(op, err);
      return { ok: false };
    }
  }

  /** Records a success measured elsewhere (a synthetic operation made of several requests). */
  recordSynthetic(op: string, latencyMs: number, bytes: number): void {
    this.synthetic.add(op);
    const stats = this.stats(op);
    stats.ok++;
    stats.bytes += bytes;
    stats.latency.add(latencyMs);
  }

  /** Counts a failed request of `op` and remembers its message. */
  error(op: string, err: unknown): void {
    this.stats(op).errors++;
    const message = `${op}: ${err instanceof Error ? err.message : String(err)}`.replace(
      /^(\w+): \1: /,
      '$1: ',
    );
    const seen = this.errorKinds.get(message);
    if (seen !== undefined || this.errorKinds.size < MAX_ERROR_KINDS)
      this.errorKinds.set(message, (seen ?? 0) + 1);
    this.consecutiveErrors++;
    if (this.consecutiveErrors >= MAX_CONSECUTIVE_ERRORS && this.stopReason === undefined) {
      this.stopReason = `${MAX_CONSECUTIVE_ERRORS} requests in a row failed`;
    }
  }

  /** Request statistics (synthetic operations excluded). */
  requestStats(): [string, OpStats][] {
    return [...this.byOp].filter(([op]) => !this.synthetic.has(op));
  }

  syntheticStats(): [string, OpStats][] {
    return [...this.byOp].filter(([op]) => this.synthetic.has(op));
  }

  total(): OpStats {
    return combineOps(this.requestStats().map(([, s]) => s));
  }

  errorSamples(): { message: string; count: number }[] {
    return [...this.errorKinds].map(([message, count]) => ({ message, count }));
  }
}

export interface RunLimits {
  concurrency: number;
  durationMs: number;
  /** Steps to start at most; 0 means no limit. */
  maxOps: number;
  signal?: AbortSignal;
}

export type StopReason = 'duration' | 'max-ops' | 'interrupted' | 'errors';

export interface RunTiming {
  elapsedMs: number;
  /** CPU time of this process (client) during the phase, in milliseconds. */
  cpuUserMs: number;
  cpuSystemMs: number;
  steps: number;
  stoppedBy: StopReason;
}

/**
 * Runs `step(worker)` on `concurrency` workers until a limit is reached; steps already started
 * finish (their requests count). `step` must not throw: it measures through `meter`.
 */
export async function runWorkers(
  limits: RunLimits,
  meter: Meter,
  step: (worker: number) => Promise<void>,
): Promise<RunTiming> {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + limits.durationMs;
  let steps = 0;
  let stoppedBy: StopReason = 'duration';
  const mayStart = (): boolean => {
    if (limits.signal?.aborted) stoppedBy = 'interrupted';
    else if (meter.stopReason !== undefined) stoppedBy = 'errors';
    else if (limits.maxOps > 0 && steps >= limits.maxOps) stoppedBy = 'max-ops';
    else if (performance.now() >= deadline) stoppedBy = 'duration';
    else return true;
    return false;
  };
  const worker = async (index: number): Promise<void> => {
    while (mayStart()) {
      steps++;
      await step(index);
    }
  };
  await Promise.all(Array.from({ length: limits.concurrency }, (_, i) => worker(i)));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { elapsedMs, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, steps, stoppedBy };
}

/**
 * Prints one line per second to stderr while a phase runs: what `line(elapsedSeconds)` returns.
 * Returns the function that stops it.
 */
export function startProgress(line: (elapsedSeconds: number) => string, enabled = true): () => void {
  if (!enabled) return () => {};
  const start = performance.now();
  const timer = setInterval(() => {
    process.stderr.write(`${line(Math.round((performance.now() - start) / 1000))}\n`);
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
