import type { Logger } from '../../../common/index.js';
import type { AuditTarget } from './audit-target.js';
import type { DiskQueue, QueueBatch } from './disk-queue.js';

export interface QueueSenderOptions {
  queue: DiskQueue;
  target: AuditTarget;
  /** Entries per request at most. */
  batchSize: number;
  logger: Logger;
  /** First retry delay; doubles per failed attempt up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** While the target keeps failing, one log line per this interval. */
  logIntervalMs?: number;
  /** How long close() lets a request in flight finish before aborting it. */
  closeGraceMs?: number;
}

export interface SenderStats {
  /** Entries the target acknowledged. */
  delivered: number;
  /** Requests that failed in whole or in part (each is retried). */
  failedAttempts: number;
  /** Entries the target refused for good (after REJECTED_ATTEMPTS tries), or unreadable on disk. */
  rejected: number;
}

const DEFAULT_RETRY_BASE_MS = 500;
const DEFAULT_RETRY_MAX_MS = 30_000;
const DEFAULT_LOG_INTERVAL_MS = 60_000;
const DEFAULT_CLOSE_GRACE_MS = 2_000;
/**
 * A refusal that is not 429/5xx (say, an Elasticsearch mapping conflict) will not pass
 * on its own; after this many tries the entry is dropped (counted and logged) so one
 * bad entry cannot stop the trail behind it.
 */
const REJECTED_ATTEMPTS = 3;

/**
 * Delivers a DiskQueue to one target: reads a batch from the oldest entry, sends it,
 * sends again what failed (backing off exponentially up to retryMaxMs) and acknowledges
 * the batch only once the target took all of it, so entries arrive in queue order
 * (a partially refused batch resends only its refused entries) and at least once.
 */
export class QueueSender {
  private readonly queue: DiskQueue;
  private readonly target: AuditTarget;
  private readonly batchSize: number;
  private readonly log: Logger;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly logIntervalMs: number;
  private readonly closeGraceMs: number;
  private readonly abort = new AbortController();
  private closing = false;
  /** Resolves the wait for new entries or for a retry delay. */
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private running: Promise<void> | undefined;
  private delivered = 0;
  private failedAttempts = 0;
  private rejected = 0;
  /** Set while the target is failing: when that started being logged. */
  private failingSinceLogMs: number | undefined;

  constructor(opts: QueueSenderOptions) {
    this.queue = opts.queue;
    this.target = opts.target;
    this.batchSize = opts.batchSize;
    this.log = opts.logger;
    this.retryBaseMs = opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.retryMaxMs = opts.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    this.logIntervalMs = opts.logIntervalMs ?? DEFAULT_LOG_INTERVAL_MS;
    this.closeGraceMs = opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** New entries are readable (the queue's onReadable). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  stats(): SenderStats {
    return { delivered: this.delivered, failedAttempts: this.failedAttempts, rejected: this.rejected };
  }

  /**
   * Stops sending: a request in flight gets closeGraceMs to finish (its batch is then
   * acknowledged), else it is aborted and its batch is sent again after the next start.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.wakeUp?.();
    const grace = setTimeout(() => this.abort.abort(new Error('audit sender closing')), this.closeGraceMs);
    try {
      await this.running;
    } finally {
      clearTimeout(grace);
    }
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      let batch: QueueBatch | undefined;
      try {
        batch = await this.queue.peek(this.batchSize);
      } catch (err) {
        this.log.error({ target: this.target.name, err }, 'audit queue: cannot read the queue');
        await this.pause(this.backoff(attempt++));
        continue;
      }
      if (batch === undefined) {
        await this.waitForEntries();
        continue;
      }
      if (!(await this.deliver(batch))) return;
      try {
        await this.queue.ack(batch);
      } catch (err) {
        // The entries stay acknowledged in memory; a restart may send them again.
        this.log.error({ target: this.target.name, err }, 'audit queue: cannot persist the cursor');
      }
      attempt = 0;
    }
  }

  /** Sends one batch until the target took all of it; false when closing first. */
  private async deliver(batch: QueueBatch): Promise<boolean> {
    let todo = batch.lines.map((line, index) => ({ line, index, rejections: 0 }));
    todo = todo.filter((entry) => {
      if (isJsonObject(entry.line)) return true;
      // Only a damaged disk produces these: nobody can read them, so do not send them.
      this.rejected++;
      this.log.warn(
        { target: this.target.name, bytes: entry.line.length },
        'audit queue: skipped a damaged entry',
      );
      return false;
    });
    let attempt = 0;
    while (todo.length > 0) {
      if (this.closing) return false;
      let problem: string;
      try {
        const result = await this.target.send(
          todo.map((e) => e.line),
          this.abort.signal,
        );
        const again = new Set(result.retry);
        const refused = new Map(result.rejected.map((r) => [r.index, r.reason]));
        const next: typeof todo = [];
        todo.forEach((entry, i) => {
          const reason = refused.get(i);
          if (reason !== undefined) {
            entry.rejections++;
            if (entry.rejections < REJECTED_ATTEMPTS) next.push(entry);
            else {
              this.rejected++;
              this.log.error(
                { target: this.target.name, reason, tries: entry.rejections },
                'audit target refused an entry for good: dropped',
              );
            }
          } else if (again.has(i)) next.push(entry);
          else this.delivered++;
        });
        if (next.length === 0) {
          this.recovered();
          return true;
        }
        problem = `${next.length} of ${todo.length} entries refused`;
        todo = next;
      } catch (err) {
        if (this.abort.signal.aborted) return false;
        problem = err instanceof Error ? messageWithCause(err) : String(err);
      }
      this.failedAttempts++;
      this.failing(problem);
      await this.pause(this.backoff(attempt++));
      if (this.closing) return false;
    }
    return true;
  }

  private backoff(attempt: number): number {
    return Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(attempt, 30));
  }

  private failing(problem: string): void {
    const now = Date.now();
    const fields = {
      target: this.target.name,
      url: this.target.describe,
      problem,
      queuedRecords: this.queue.stats().queuedRecords,
    };
    if (this.failingSinceLogMs === undefined) {
      this.failingSinceLogMs = now;
      this.log.warn(fields, 'audit target failed: entries wait in the queue on disk and are retried');
    } else if (now - this.failingSinceLogMs >= this.logIntervalMs) {
      this.failingSinceLogMs = now;
      this.log.warn({ ...fields, failedAttempts: this.failedAttempts }, 'audit target still failing');
    }
  }

  private recovered(): void {
    if (this.failingSinceLogMs === undefined) return;
    this.failingSinceLogMs = undefined;
    this.log.info(
      {
        target: this.target.name,
        url: this.target.describe,
        queuedRecords: this.queue.stats().queuedRecords,
      },
      'audit target reachable again: delivering the queue',
    );
  }

  /** Until wake() or close(). */
  private async waitForEntries(): Promise<void> {
    if (this.woken || this.closing) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  /** Until `ms` passed or close(); new entries do not cut a retry delay short. */
  private async pause(ms: number): Promise<void> {
    if (this.closing) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        if (this.closing) done();
      };
    });
    this.wakeUp = undefined;
  }
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, …) in its cause. */
function messageWithCause(err: Error): string {
  const cause = err.cause;
  if (cause instanceof Error) return `${err.message}: ${cause.message}`;
  return err.message;
}
