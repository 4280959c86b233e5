import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import type { SetStatus, StorageStats } from '../../storage/index.js';
import type { RequestRecord } from '../request-record.js';
import { Metrics, statusClass } from './metrics.js';

function record(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    time: new Date(),
    requestId: 'R',
    op: 'PutObject',
    method: 'PUT',
    bucket: 'photos',
    key: 'secret/holiday key.jpg',
    versionId: '',
    status: 200,
    errorCode: '',
    bytesIn: 0,
    bytesOut: 0,
    timeToFirstByteMs: 2,
    totalMs: 5,
    accessKeyId: 'AKIA',
    sourceIp: '127.0.0.1',
    userAgent: 'test',
    requestHeaders: {},
    responseHeaders: {},
    ...overrides,
  };
}

/** The value of one sample line `name{labels} value` in the exposition text. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: string[] = (m[2] ?? '').match(/\w+="[^"]*"/g) ?? [];
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(m[3]);
  }
  return undefined;
}

type FakeStorage = StorageStats & {
  status: SetStatus;
  probes: number;
  usage: ReturnType<StorageStats['bucketUsage']>;
};

function fakeStorage(): FakeStorage {
  const fake: FakeStorage = {
    probes: 0,
    status: {
      drives: [
        { endpoint: '/d1', online: true, totalBytes: 1000, freeBytes: 400, metadataBytes: 64 },
        { endpoint: '/d2', online: true, totalBytes: 1000, freeBytes: 300, metadataBytes: 64 },
        { endpoint: '/d3', online: false, totalBytes: 0, freeBytes: 0, metadataBytes: 0 },
        { endpoint: '/d4', online: true, totalBytes: 1000, freeBytes: 200, metadataBytes: 32 },
      ],
      readQuorum: 2,
      writeQuorum: 3,
    },
    usage: undefined,
    bucketUsage() {
      return fake.usage;
    },
    async setStatus() {
      fake.probes++;
      return fake.status;
    },
    healStats() {
      return { queuedObjects: 3, objectsHealed: 7 };
    },
  };
  return fake;
}

describe('Metrics', () => {
  it('counts finished requests by operation, status class and error code, with bytes and latency', async () => {
    const registry = new Registry();
    const metrics = new Metrics({ registry, processMetrics: false });
    metrics.observe(record({ bytesIn: 100 }));
    metrics.observe(record({ bytesIn: 50, totalMs: 1500, timeToFirstByteMs: 1400 }));
    metrics.observe(record({ op: 'GetObject', method: 'GET', status: 206, bytesOut: 10 }));
    metrics.observe(record({ op: 'GetObject', method: 'GET', status: 404, errorCode: 'NoSuchKey' }));
    metrics.observe(record({ op: 'GetObject', method: 'GET', status: 503, errorCode: 'SlowDown' }));
    metrics.observe(record({ op: 'HeadObject', method: 'HEAD', status: 304 }));
    metrics.observe(record({ op: undefined, method: 'TRACE', status: 405, errorCode: 'MethodNotAllowed' }));
    metrics.observe(record({ op: 'Preflight', method: 'OPTIONS', status: 403, errorCode: '' }));
    // Strata's own endpoints are not S3 traffic.
    metrics.observe(record({ op: 'Internal', method: 'GET', status: 200 }));

    const { body, contentType } = await metrics.scrape();
    expect(contentType).toMatch(/^text\/plain/);
    expect(sample(body, 'strata_s3_requests_total', { api: 'PutObject', status_class: '2xx' })).toBe(2);
    expect(sample(body, 'strata_s3_requests_total', { api: 'GetObject', status_class: '2xx' })).toBe(1);
    expect(sample(body, 'strata_s3_requests_total', { api: 'GetObject', status_class: '4xx' })).toBe(1);
    expect(sample(body, 'strata_s3_requests_total', { api: 'GetObject', status_class: '5xx' })).toBe(1);
    expect(sample(body, 'strata_s3_requests_total', { api: 'HeadObject', status_class: '3xx' })).toBe(1);
    expect(sample(body, 'strata_s3_requests_total', { api: 'Unknown', status_class: '4xx' })).toBe(1);
    expect(sample(body, 'strata_s3_requests_total', { api: 'Preflight', status_class: '4xx' })).toBe(1);
    expect(body).not.toContain('api="Internal"');

    expect(sample(body, 'strata_s3_errors_total', { api: 'GetObject', code: 'NoSuchKey' })).toBe(1);
    expect(sample(body, 'strata_s3_errors_total', { api: 'GetObject', code: 'SlowDown' })).toBe(1);
    expect(sample(body, 'strata_s3_errors_total', { api: 'Unknown', code: 'MethodNotAllowed' })).toBe(1);
    expect(sample(body, 'strata_s3_errors_total', { api: 'Preflight', code: '403' })).toBe(1);
    expect(sample(body, 'strata_s3_errors_total', { api: 'HeadObject', code: '304' })).toBeUndefined();

    expect(sample(body, 'strata_s3_received_bytes_total', { api: 'PutObject' })).toBe(150);
    expect(sample(body, 'strata_s3_sent_bytes_total', { api: 'GetObject' })).toBe(10);
    expect(sample(body, 'strata_s3_request_duration_seconds_count', { api: 'PutObject' })).toBe(2);
    expect(sample(body, 'strata_s3_request_duration_seconds_sum', { api: 'PutObject' })).toBeCloseTo(1.505);
    expect(sample(body, 'strata_s3_request_duration_seconds_bucket', { api: 'PutObject', le: '1' })).toBe(1);
    expect(sample(body, 'strata_s3_ttfb_seconds_bucket', { api: 'PutObject', le: '2.5' })).toBe(2);
    expect(sample(body, 'strata_s3_ttfb_seconds_sum', { api: 'PutObject' })).toBeCloseTo(1.402);
    // Never an object key, not even part of one.
    expect(body).not.toContain('holiday');
    expect(body).not.toContain('secret/');
  });

  it('tracks requests in flight per operation; ending twice counts once', async () => {
    const metrics = new Metrics({ registry: new Registry(), processMetrics: false });
    const a = metrics.requestStarted('PutObject');
    const b = metrics.requestStarted('PutObject');
    const c = metrics.requestStarted('GetObject');
    let text = (await metrics.scrape()).body;
    expect(sample(text, 'strata_s3_requests_inflight', { api: 'PutObject' })).toBe(2);
    expect(sample(text, 'strata_s3_requests_inflight', { api: 'GetObject' })).toBe(1);
    a();
    a();
    c();
    text = (await metrics.scrape()).body;
    expect(sample(text, 'strata_s3_requests_inflight', { api: 'PutObject' })).toBe(1);
    expect(sample(text, 'strata_s3_requests_inflight', { api: 'GetObject' })).toBe(0);
    b();
  });

  it('reads drives, quorum, heal and bucket usage from storage when scraped, probing drives at most once per cache period', async () => {
    const storage = fakeStorage();
    let now = 1_000_000;
    const metrics = new Metrics({
      registry: new Registry(),
      storage,
      processMetrics: false,
      probeCacheMs: 2000,
      nowMs: () => now,
    });
    let text = (await metrics.scrape()).body;
    expect(storage.probes).toBe(1);
    expect(sample(text, 'strata_drives_total')).toBe(4);
    expect(sample(text, 'strata_drives_online')).toBe(3);
    expect(sample(text, 'strata_drives_offline')).toBe(1);
    expect(sample(text, 'strata_drive_online', { drive: '/d3' })).toBe(0);
    expect(sample(text, 'strata_drive_free_bytes', { drive: '/d2' })).toBe(300);
    expect(sample(text, 'strata_drive_total_bytes', { drive: '/d1' })).toBe(1000);
    expect(sample(text, 'strata_lmdb_size_bytes', { drive: '/d4' })).toBe(32);
    expect(sample(text, 'strata_erasure_set_read_quorum_ok')).toBe(1);
    expect(sample(text, 'strata_erasure_set_write_quorum_ok')).toBe(1);
    expect(sample(text, 'strata_erasure_set_write_quorum_drives')).toBe(3);
    expect(sample(text, 'strata_heal_queue_length')).toBe(3);
    expect(sample(text, 'strata_heal_objects_healed_total')).toBe(7);
    // The usage count has not finished: no per-bucket series yet.
    expect(sample(text, 'strata_bucket_usage_complete')).toBe(0);
    expect(text).not.toMatch(/^strata_bucket_usage_bytes\{/m);

    storage.usage = [
      { bucket: 'photos', sizeBytes: 1234, objects: 2, versions: 3, deleteMarkers: 1 },
      { bucket: 'logs', sizeBytes: 0, objects: 0, versions: 0, deleteMarkers: 0 },
    ];
    storage.status = {
      ...storage.status,
      drives: storage.status.drives.map((d, i) => (i === 0 ? { ...d, online: false } : d)),
    };
    now += 1000;
    text = (await metrics.scrape()).body;
    expect(storage.probes).toBe(1);
    expect(sample(text, 'strata_drives_online')).toBe(3);
    expect(sample(text, 'strata_bucket_usage_complete')).toBe(1);
    expect(sample(text, 'strata_bucket_usage_bytes', { bucket: 'photos' })).toBe(1234);
    expect(sample(text, 'strata_bucket_objects', { bucket: 'photos' })).toBe(2);
    expect(sample(text, 'strata_bucket_versions', { bucket: 'photos' })).toBe(3);
    expect(sample(text, 'strata_bucket_delete_markers', { bucket: 'photos' })).toBe(1);
    expect(sample(text, 'strata_bucket_objects', { bucket: 'logs' })).toBe(0);

    now += 1000;
    storage.usage = [{ bucket: 'logs', sizeBytes: 5, objects: 1, versions: 1, deleteMarkers: 0 }];
    text = (await metrics.scrape()).body;
    expect(storage.probes).toBe(2);
    expect(sample(text, 'strata_drives_online')).toBe(2);
    expect(sample(text, 'strata_erasure_set_write_quorum_ok')).toBe(0);
    expect(sample(text, 'strata_erasure_set_read_quorum_ok')).toBe(1);
    // A deleted bucket's series disappear.
    expect(sample(text, 'strata_bucket_usage_bytes', { bucket: 'photos' })).toBeUndefined();
    expect(sample(text, 'strata_bucket_usage_bytes', { bucket: 'logs' })).toBe(5);
  });

  it('shares one drive probe between concurrent scrapes', async () => {
    const storage = fakeStorage();
    const slow = vi.fn(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return storage.status;
    });
    storage.setStatus = slow;
    const metrics = new Metrics({ registry: new Registry(), storage, processMetrics: false });
    await Promise.all([metrics.scrape(), metrics.scrape(), metrics.scrape()]);
    expect(slow).toHaveBeenCalledTimes(1);
  });

  it('exports the audit targets’ queue stats', async () => {
    const metrics = new Metrics({
      registry: new Registry(),
      processMetrics: false,
      audit: () => [
        {
          target: 'webhook',
          queuedRecords: 4,
          queuedBytes: 400,
          delivered: 10,
          failedAttempts: 2,
          dropped: 1,
          rejected: 0,
        },
      ],
    });
    const text = (await metrics.scrape()).body;
    expect(sample(text, 'strata_audit_queued_entries', { target: 'webhook' })).toBe(4);
    expect(sample(text, 'strata_audit_queued_bytes', { target: 'webhook' })).toBe(400);
    expect(sample(text, 'strata_audit_delivered_total', { target: 'webhook' })).toBe(10);
    expect(sample(text, 'strata_audit_failed_attempts_total', { target: 'webhook' })).toBe(2);
    expect(sample(text, 'strata_audit_dropped_total', { target: 'webhook' })).toBe(1);
    expect(sample(text, 'strata_audit_rejected_total', { target: 'webhook' })).toBe(0);
  });

  it('adds prom-client process metrics under the strata_ prefix to its own registry only', async () => {
    const registry = new Registry();
    const metrics = new Metrics({ registry });
    const text = (await metrics.scrape()).body;
    expect(text).toMatch(/^strata_process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^strata_nodejs_heap_size_used_bytes /m);
    // Gauges prom-client names *_total are dropped (promtool: only counters end in _total).
    expect(text).not.toContain('strata_nodejs_active_handles_total');
    expect(text).toMatch(/^strata_nodejs_active_handles\{/m);
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      expect(line).toMatch(/^strata_/);
    }
    // A second server in the same process (tests) has its own registry.
    expect(() => new Metrics({ registry: new Registry() })).not.toThrow();
  });

  it('status classes', () => {
    expect([200, 204, 301, 304, 400, 499, 500, 503].map(statusClass)).toEqual([
      '2xx',
      '2xx',
      '3xx',
      '3xx',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
    ]);
  });
});
