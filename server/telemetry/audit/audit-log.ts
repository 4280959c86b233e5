import { join } from 'node:path';
import type { Logger } from '../../../common/index.js';
import type { RequestObserver, RequestRecord } from '../../request-record.js';
import { type AuditSource, auditEntry } from './audit-entry.js';
import { AuditFile } from './audit-file.js';
import type { AuditTarget } from './audit-target.js';
import { DiskQueue, type QueueProblem } from './disk-queue.js';
import { ElasticTarget } from './elastic-target.js';
import { httpEndpoint } from './http-endpoint.js';
import { QueueSender } from './queue-sender.js';
import { WebhookTarget } from './webhook-target.js';

export interface AuditLogOptions {
  source: AuditSource;
  /** The local NDJSON file, rotated by size. */
  file?: { path: string; maxBytes: number; keep: number } | undefined;
  /** A webhook that receives batches as NDJSON POSTs. `authorization`: the whole header value. */
  webhook?: { url: string; authorization?: string | undefined } | undefined;
  /** Elasticsearch `_bulk` into `index`. */
  elastic?: { url: string; index: string; authorization?: string | undefined } | undefined;
  /**
   * Where the HTTP targets queue entries: `<dir>/webhook/`, `<dir>/elastic/`, each
   * bounded by `maxBytes`. Required when an HTTP target is configured.
   */
  queue?: { dir: string; maxBytes: number } | undefined;
  /** Entries per HTTP request at most. */
  batchSize: number;
  /** Entries are written to disk (file, queues) and a batch is sent at least this often. */
  batchIntervalMs: number;
  logger: Logger;
  /** Retry delays of the HTTP targets (tests shorten them). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Queue segment size (tests shrink it). */
  segmentBytes?: number;
}

export type AuditTargetName = 'file' | 'webhook' | 'elastic';

/**
 * One target's counters, for metrics. For the file, "queued" is what waits in memory
 * for the next write and "delivered" what was written.
 */
export interface AuditTargetStats {
  target: AuditTargetName;
  /** Entries not yet delivered (gauge). */
  queuedRecords: number;
  /** Their size in bytes (gauge). */
  queuedBytes: number;
  /** Entries delivered (counter). */
  delivered: number;
  /** Failed requests or writes; each is retried (counter). */
  failedAttempts: number;
  /** Entries dropped: queue full or lost to a failed disk write (counter). */
  dropped: number;
  /** Entries the target refused for good or that were unreadable on disk (counter). */
  rejected: number;
}

interface Sink {
  readonly name: AuditTargetName;
  append(line: string): boolean;
  stats(): AuditTargetStats;
  close(): Promise<void>;
}

/** At most one "dropping audit entries" line per target per interval. */
const DROP_LOG_INTERVAL_MS = 60_000;

/**
 * The audit trail: observes every finished request (buildServer's `observers`), turns
 * it into one AuditEntry (audit-entry.ts) and hands the JSON line to each configured
 * target: the file directly, HTTP targets through their own DiskQueue and QueueSender.
 * Observing never blocks a request and never throws.
 */
export class AuditLog {
  private readonly source: AuditSource;
  private readonly sinks: Sink[];
  private readonly log: Logger;
  private readonly lastDropLogMs = new Map<AuditTargetName, number>();
  private readonly droppedAtLastLog = new Map<AuditTargetName, number>();

  private constructor(source: AuditSource, sinks: Sink[], log: Logger) {
    this.source = source;
    this.sinks = sinks;
    this.log = log;
  }

  /**
   * Opens every configured target (files, queue directories); the senders start at
   * once and deliver what earlier runs left queued. Throws (after closing what was
   * opened) when a file or queue directory cannot be opened.
   */
  static async open(opts: AuditLogOptions): Promise<AuditLog> {
    const log = opts.logger.child({ component: 'audit' });
    const sinks: Sink[] = [];
    try {
      if (opts.file !== undefined) sinks.push(await openFileSink(opts.file, opts.batchIntervalMs, log));
      const http: AuditTarget[] = [];
      if (opts.webhook !== undefined) {
        http.push(new WebhookTarget(httpEndpoint(opts.webhook.url, opts.webhook.authorization)));
      }
      if (opts.elastic !== undefined) {
        const endpoint = httpEndpoint(opts.elastic.url, opts.elastic.authorization);
        http.push(new ElasticTarget(endpoint, opts.elastic.index));
      }
      for (const target of http) {
        if (opts.queue === undefined) throw new Error(`audit target ${target.name} needs a queue directory`);
        sinks.push(await openQueuedSink(target, opts, opts.queue, log));
      }
    } catch (err) {
      await Promise.allSettled(sinks.map((s) => s.close()));
      throw err;
    }
    for (const sink of sinks) log.info({ target: sink.name }, 'audit target ready');
    return new AuditLog(opts.source, sinks, log);
  }

  /** The RequestObserver to pass to buildServer. */
  readonly observe: RequestObserver = (record: RequestRecord): void => {
    // Health probes and metrics scrapes (successful GET/HEAD of Strata's own endpoints)
    // arrive every few seconds and say nothing about data: not audited. Admin calls and
    // refused scrapes are.
    if (isRoutineProbe(record)) return;
    let line: string;
    try {
      line = JSON.stringify(auditEntry(record, this.source));
    } catch (err) {
      this.log.error({ err, requestId: record.requestId }, 'cannot serialize an audit entry');
      return;
    }
    for (const sink of this.sinks) {
      if (!sink.append(line)) this.noteDrop(sink);
    }
  };

  /** Counters and gauges per target, for the metrics registry. Cheap; call on every scrape. */
  stats(): AuditTargetStats[] {
    return this.sinks.map((s) => s.stats());
  }

  /**
   * Call after the HTTP server closed (no more requests): writes and syncs every entry to
   * its file or queue, lets a request in flight finish briefly, and closes. What was not
   * delivered stays queued on disk for the next start.
   */
  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }

  private noteDrop(sink: Sink): void {
    const now = Date.now();
    const last = this.lastDropLogMs.get(sink.name);
    if (last !== undefined && now - last < DROP_LOG_INTERVAL_MS) return;
    const stats = sink.stats();
    const droppedSinceLastLog = stats.dropped - (this.droppedAtLastLog.get(sink.name) ?? 0);
    this.lastDropLogMs.set(sink.name, now);
    this.droppedAtLastLog.set(sink.name, stats.dropped);
    this.log.warn(
      { target: sink.name, droppedSinceLastLog, dropped: stats.dropped, queuedBytes: stats.queuedBytes },
      'audit queue full: dropping audit entries',
    );
  }
}

async function openFileSink(
  opts: { path: string; maxBytes: number; keep: number },
  flushIntervalMs: number,
  log: Logger,
): Promise<Sink> {
  const file = await AuditFile.open({
    ...opts,
    flushIntervalMs,
    onProblem: (err, lostRecords) =>
      log.error({ target: 'file', path: opts.path, err, lostRecords }, 'audit file write failed'),
  });
  return {
    name: 'file',
    append: (line) => file.append(line),
    stats: () => {
      const s = file.stats();
      return {
        target: 'file',
        queuedRecords: s.pendingRecords,
        queuedBytes: s.pendingBytes,
        delivered: s.written,
        failedAttempts: s.failedWrites,
        dropped: s.dropped,
        rejected: 0,
      };
    },
    close: () => file.close(),
  };
}

async function openQueuedSink(
  target: AuditTarget,
  opts: AuditLogOptions,
  queueOpts: { dir: string; maxBytes: number },
  log: Logger,
): Promise<Sink> {
  const name = target.name as AuditTargetName;
  const dir = join(queueOpts.dir, name);
  let sender: QueueSender | undefined;
  const queue = await DiskQueue.open({
    dir,
    maxBytes: queueOpts.maxBytes,
    flushIntervalMs: opts.batchIntervalMs,
    flushRecords: opts.batchSize,
    ...(opts.segmentBytes !== undefined ? { segmentBytes: opts.segmentBytes } : {}),
    onReadable: () => sender?.wake(),
    onProblem: (problem) => logQueueProblem(log, name, dir, problem),
  });
  sender = new QueueSender({
    queue,
    target,
    batchSize: opts.batchSize,
    logger: log,
    ...(opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {}),
    ...(opts.retryMaxMs !== undefined ? { retryMaxMs: opts.retryMaxMs } : {}),
  });
  const leftOver = queue.stats();
  if (leftOver.queuedRecords > 0) {
    log.info(
      { target: name, queuedRecords: leftOver.queuedRecords, queuedBytes: leftOver.queuedBytes },
      'audit queue: resuming delivery of entries queued earlier',
    );
  }
  sender.start();
  const running = sender;
  return {
    name,
    append: (line) => queue.append(line),
    stats: () => {
      const q = queue.stats();
      const s = running.stats();
      return {
        target: name,
        queuedRecords: q.queuedRecords,
        queuedBytes: q.queuedBytes,
        delivered: s.delivered,
        failedAttempts: s.failedAttempts,
        dropped: q.dropped,
        rejected: s.rejected,
      };
    },
    close: async () => {
      await queue.flush();
      await running.close();
      await queue.close();
    },
  };
}

function logQueueProblem(log: Logger, target: AuditTargetName, dir: string, problem: QueueProblem): void {
  switch (problem.kind) {
    case 'write-failed':
      log.error(
        { target, dir, err: problem.err, lostRecords: problem.lostRecords },
        'audit queue: write failed, entries lost',
      );
      return;
    case 'torn-tail':
      log.warn(
        { target, dir, segment: problem.segment, bytes: problem.bytes },
        'audit queue: skipped the torn end of a segment (interrupted write)',
      );
      return;
    case 'cursor-unreadable':
      log.warn(
        { target, dir, err: problem.err },
        'audit queue: cursor unreadable, delivering from the oldest segment again',
      );
      return;
  }
}

function isRoutineProbe(record: RequestRecord): boolean {
  return (
    record.op === 'Internal' && (record.method === 'GET' || record.method === 'HEAD') && record.status < 400
  );
}
