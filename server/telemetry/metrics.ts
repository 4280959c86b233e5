import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';
import type { BucketUsage, DriveStatus, SetStatus, StorageStats } from '../../storage/index.js';
import type { RequestObserver, RequestRecord } from '../request-record.js';
import type { AuditTargetStats } from './audit/index.js';

/**
 * Strata's Prometheus metrics, all on one prom-client Registry that main.ts creates and
 * passes in (no global default registry). Every name starts with `strata_`. Labels are
 * S3 operation names, status classes, S3 error codes, bucket names, drive paths and
 * audit target names: never an object key, so cardinality stays bounded by what the
 * operator creates.
 *
 * - Request metrics come from the finished-request observer (server/request-record.ts)
 *   and the in-flight gauge from requestStarted(), which buildServer calls once a
 *   request's operation is known. Strata's own endpoints (health, metrics, admin) are not
 *   S3 requests and are not counted; requests that never resolved to an operation count
 *   as api="Unknown", CORS preflights as api="Preflight".
 * - Storage gauges are read when scraped (collect callbacks): usage from counters kept in
 *   memory by storage (no namespace walk), drive probes (statfs) cached for
 *   `probeCacheMs` so concurrent or rapid scrapes cost one probe.
 */

/** Request latency buckets: from small-object hits to multi-GiB transfers. */
export const REQUEST_SECONDS_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900,
] as const;

/** Drive probes are reused this long between scrapes. */
export const DEFAULT_PROBE_CACHE_MS = 2000;

/** prom-client default metrics dropped (see the constructor). */
const NON_COUNTER_TOTALS = [
  'strata_nodejs_active_handles_total',
  'strata_nodejs_active_requests_total',
  'strata_nodejs_active_resources_total',
] as const;

/** The api label of requests that did not resolve to an S3 operation. */
export const UNKNOWN_API = 'Unknown';

export interface MetricsOptions {
  registry: Registry;
  /** Storage counters and drive probes; without it the storage gauges are not registered. */
  storage?: StorageStats | undefined;
  /** The audit trail's per-target queue stats, when an audit target is configured. */
  audit?: (() => readonly AuditTargetStats[]) | undefined;
  probeCacheMs?: number;
  /** prom-client's process and Node.js metrics (default true). */
  processMetrics?: boolean;
  nowMs?: () => number;
}

export interface Scrape {
  contentType: string;
  body: string;
}

export class Metrics {
  readonly registry: Registry;
  /** Hand to buildServer's `observers`. */
  readonly observe: RequestObserver;
  /** Hand to buildServer's `requestStarted`: counts the request in flight until the returned function is called. */
  readonly requestStarted: (api: string) => () => void;

  private readonly requests: Counter<'api' | 'status_class'>;
  private readonly errors: Counter<'api' | 'code'>;
  private readonly inflight: Gauge<'api'>;
  private readonly duration: Histogram<'api'>;
  private readonly ttfb: Histogram<'api'>;
  private readonly received: Counter<'api'>;
  private readonly sent: Counter<'api'>;
  private readonly storage: StorageStats | undefined;
  private readonly probeCacheMs: number;
  private readonly nowMs: () => number;
  private probe: { atMs: number; status: Promise<SetStatus> } | null;

  constructor(opts: MetricsOptions) {
    const registers = [opts.registry];
    this.registry = opts.registry;
    this.storage = opts.storage;
    this.probeCacheMs = opts.probeCacheMs ?? DEFAULT_PROBE_CACHE_MS;
    this.nowMs = opts.nowMs ?? Date.now;
    this.probe = null;

    this.requests = new Counter({
      name: 'strata_s3_requests_total',
      help: 'S3 requests answered, by operation and HTTP status class.',
      labelNames: ['api', 'status_class'],
      registers,
    });
    this.errors = new Counter({
      name: 'strata_s3_errors_total',
      help: 'S3 requests answered with an error, by operation and S3 error code.',
      labelNames: ['api', 'code'],
      registers,
    });
    this.inflight = new Gauge({
      name: 'strata_s3_requests_inflight',
      help: 'S3 requests being served now, by operation.',
      labelNames: ['api'],
      registers,
    });
    this.duration = new Histogram({
      name: 'strata_s3_request_duration_seconds',
      help: 'Time from a request arriving to its last response byte, by operation.',
      labelNames: ['api'],
      buckets: [...REQUEST_SECONDS_BUCKETS],
      registers,
    });
    this.ttfb = new Histogram({
      name: 'strata_s3_ttfb_seconds',
      help: 'Time from a request arriving to its response headers being written, by operation.',
      labelNames: ['api'],
      buckets: [...REQUEST_SECONDS_BUCKETS],
      registers,
    });
    this.received = new Counter({
      name: 'strata_s3_received_bytes_total',
      help: 'Request body bytes received, by operation.',
      labelNames: ['api'],
      registers,
    });
    this.sent = new Counter({
      name: 'strata_s3_sent_bytes_total',
      help: 'Response body bytes sent, by operation.',
      labelNames: ['api'],
      registers,
    });

    this.observe = (record) => this.record(record);
    this.requestStarted = (api) => {
      this.inflight.inc({ api });
      let done = false;
      return () => {
        if (done) return;
        done = true;
        this.inflight.dec({ api });
      };
    };

    if (opts.storage !== undefined) this.registerStorage(opts.storage, registers);
    if (opts.audit !== undefined) this.registerAudit(opts.audit, registers);
    if (opts.processMetrics !== false) {
      collectDefaultMetrics({ register: opts.registry, prefix: 'strata_' });
      // Gauges named *_total, which Prometheus reserves for counters (promtool refuses
      // them); the same numbers remain by type in strata_nodejs_active_{handles,requests,resources}.
      for (const name of NON_COUNTER_TOTALS) opts.registry.removeSingleMetric(name);
    }
  }

  /** The registry in Prometheus text format. */
  async scrape(): Promise<Scrape> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private record(r: RequestRecord): void {
    if (r.op === 'Internal') return;
    const api = r.op ?? UNKNOWN_API;
    this.requests.inc({ api, status_class: statusClass(r.status) });
    if (r.status >= 400 || r.errorCode !== '') {
      this.errors.inc({ api, code: r.errorCode === '' ? String(r.status) : r.errorCode });
    }
    this.duration.observe({ api }, r.totalMs / 1000);
    this.ttfb.observe({ api }, r.timeToFirstByteMs / 1000);
    this.received.inc({ api }, r.bytesIn);
    this.sent.inc({ api }, r.bytesOut);
  }

  /** The drives' state, probed at most once per probeCacheMs (concurrent scrapes share a probe). */
  private setStatus(storage: StorageStats): Promise<SetStatus> {
    const now = this.nowMs();
    if (this.probe === null || now - this.probe.atMs >= this.probeCacheMs) {
      const status = storage.setStatus();
      this.probe = { atMs: now, status };
      // A failed probe is not cached.
      status.catch(() => {
        if (this.probe?.status === status) this.probe = null;
      });
    }
    return this.probe.status;
  }

  private registerStorage(storage: StorageStats, registers: Registry[]): void {
    const status = () => this.setStatus(storage);
    const one = (value: number): Rows<never> => [[{}, value]];
    const perDrive = (value: (d: DriveStatus) => number) => async (): Promise<Rows<'drive'>> =>
      (await status()).drives.map((d) => [{ drive: d.endpoint }, value(d)]);
    const onlineCount = (s: SetStatus) => s.drives.filter((d) => d.online).length;

    // A counter by type: the set's size is fixed while the process runs (a counter that never
    // moves is a valid counter), and Prometheus reserves the _total suffix for counters
    // (promtool check metrics refuses a gauge named so).
    counter(
      registers,
      'strata_drives_total',
      'Drives in the erasure set (fixed while the process runs).',
      [],
      async () => one((await status()).drives.length),
    );
    gauge(registers, 'strata_drives_online', 'Drives that answered the last probe.', [], async () =>
      one(onlineCount(await status())),
    );
    gauge(registers, 'strata_drives_offline', 'Drives that did not answer the last probe.', [], async () => {
      const s = await status();
      return one(s.drives.length - onlineCount(s));
    });
    gauge(
      registers,
      'strata_drive_online',
      '1 when the drive answered the last probe, else 0.',
      ['drive'],
      perDrive((d) => (d.online ? 1 : 0)),
    );
    gauge(
      registers,
      'strata_drive_total_bytes',
      'Size of the filesystem holding the drive (0 when offline).',
      ['drive'],
      perDrive((d) => d.totalBytes),
    );
    gauge(
      registers,
      'strata_drive_free_bytes',
      'Bytes available to Strata on the filesystem holding the drive (0 when offline).',
      ['drive'],
      perDrive((d) => d.freeBytes),
    );
    gauge(
      registers,
      'strata_lmdb_size_bytes',
      "Size of the drive's metadata store (LMDB data file; 0 when offline).",
      ['drive'],
      perDrive((d) => d.metadataBytes),
    );
    gauge(
      registers,
      'strata_erasure_set_read_quorum_ok',
      '1 when enough drives answer for reads.',
      [],
      async () => {
        const s = await status();
        return one(onlineCount(s) >= s.readQuorum ? 1 : 0);
      },
    );
    gauge(
      registers,
      'strata_erasure_set_write_quorum_ok',
      '1 when enough drives answer for writes.',
      [],
      async () => {
        const s = await status();
        return one(onlineCount(s) >= s.writeQuorum ? 1 : 0);
      },
    );
    gauge(registers, 'strata_erasure_set_read_quorum_drives', 'Drives a read needs.', [], async () =>
      one((await status()).readQuorum),
    );
    gauge(registers, 'strata_erasure_set_write_quorum_drives', 'Drives a write needs.', [], async () =>
      one((await status()).writeQuorum),
    );

    gauge(
      registers,
      'strata_heal_queue_length',
      'Objects waiting in the heal queue or being healed.',
      [],
      () => one(storage.healStats().queuedObjects),
    );
    counter(registers, 'strata_heal_objects_healed_total', 'Objects repaired since start.', [], () =>
      one(storage.healStats().objectsHealed),
    );

    gauge(
      registers,
      'strata_bucket_usage_complete',
      '1 once the start-up usage count has finished; the strata_bucket_* series appear then.',
      [],
      () => one(storage.bucketUsage() === undefined ? 0 : 1),
    );
    const perBucket = (name: string, help: string, value: (u: BucketUsage) => number) =>
      gauge(registers, name, help, ['bucket'], () =>
        (storage.bucketUsage() ?? []).map((u): Row<'bucket'> => [{ bucket: u.bucket }, value(u)]),
      );
    perBucket(
      'strata_bucket_usage_bytes',
      'Bytes stored in the bucket: every version, current and noncurrent.',
      (u) => u.sizeBytes,
    );
    perBucket(
      'strata_bucket_objects',
      'Objects in the bucket (keys whose latest version is not a delete marker).',
      (u) => u.objects,
    );
    perBucket(
      'strata_bucket_versions',
      'Object versions in the bucket (delete markers not included).',
      (u) => u.versions,
    );
    perBucket('strata_bucket_delete_markers', 'Delete markers in the bucket.', (u) => u.deleteMarkers);
  }

  private registerAudit(stats: () => readonly AuditTargetStats[], registers: Registry[]): void {
    const perTarget = (value: (s: AuditTargetStats) => number) => (): Rows<'target'> =>
      stats().map((s) => [{ target: s.target }, value(s)]);
    gauge(
      registers,
      'strata_audit_queued_entries',
      'Audit entries not yet delivered, by target.',
      ['target'],
      perTarget((s) => s.queuedRecords),
    );
    gauge(
      registers,
      'strata_audit_queued_bytes',
      'Size of the audit entries not yet delivered, by target.',
      ['target'],
      perTarget((s) => s.queuedBytes),
    );
    counter(
      registers,
      'strata_audit_delivered_total',
      'Audit entries delivered, by target.',
      ['target'],
      perTarget((s) => s.delivered),
    );
    counter(
      registers,
      'strata_audit_failed_attempts_total',
      'Failed audit deliveries or writes (each is retried), by target.',
      ['target'],
      perTarget((s) => s.failedAttempts),
    );
    counter(
      registers,
      'strata_audit_dropped_total',
      'Audit entries dropped (queue full or lost to a disk error), by target.',
      ['target'],
      perTarget((s) => s.dropped),
    );
    counter(
      registers,
      'strata_audit_rejected_total',
      'Audit entries a target refused for good, by target.',
      ['target'],
      perTarget((s) => s.rejected),
    );
  }
}

/** '2xx', '3xx', '4xx' or '5xx' (anything else, e.g. a response never sent, by its first digit). */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** One labelled value of a metric read when scraped. */
type Row<L extends string> = [Partial<Record<L, string>>, number];
type Rows<L extends string> = Row<L>[];

/**
 * A gauge whose values are read when scraped. `read` runs first; the old series are then
 * replaced in one synchronous step (series that are gone, e.g. a deleted bucket, vanish),
 * so concurrent scrapes never see a half-filled gauge.
 */
function gauge<L extends string>(
  registers: Registry[],
  name: string,
  help: string,
  labelNames: L[],
  read: () => Rows<L> | Promise<Rows<L>>,
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers,
    async collect() {
      const rows = await read();
      this.reset();
      for (const [labels, value] of rows) this.set(labels, value);
    },
  });
}

/** A counter set from running totals kept elsewhere when scraped (same replacement as gauge()). */
function counter<L extends string>(
  registers: Registry[],
  name: string,
  help: string,
  labelNames: L[],
  read: () => Rows<L> | Promise<Rows<L>>,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers,
    async collect() {
      const rows = await read();
      this.reset();
      for (const [labels, value] of rows) this.inc(labels, value);
    },
  });
}
