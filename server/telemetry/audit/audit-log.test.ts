import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../common/index.js';
import type { RequestRecord } from '../../request-record.js';
import { auditEntry } from './audit-entry.js';
import { AuditLog, type AuditLogOptions } from './audit-log.js';
import { TestReceiver } from './test-receiver.js';

let dir: string;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-audit-log-'));
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await rm(dir, { recursive: true, force: true });
});

function record(n: number, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    time: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, n)),
    requestId: `REQ${String(n).padStart(13, '0')}`,
    op: 'PutObject',
    method: 'PUT',
    bucket: 'photos',
    key: `2026/${n}.jpg`,
    versionId: '',
    status: 200,
    errorCode: '',
    bytesIn: 1234,
    bytesOut: 0,
    timeToFirstByteMs: 1.23456,
    totalMs: 2.5,
    accessKeyId: 'AKIA1',
    sourceIp: '10.0.0.7',
    userAgent: 'aws-sdk-js/3',
    requestHeaders: { 'content-length': '1234' },
    responseHeaders: { etag: '"abc"' },
    ...over,
  };
}

interface LogLine {
  level: string;
  obj: object;
  msg: string | undefined;
}

function capturingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

async function open(opts: Partial<AuditLogOptions>, logs: LogLine[] = []): Promise<AuditLog> {
  const audit = await AuditLog.open({
    source: { node: 'node-a', deploymentId: 'dep-1' },
    queue: { dir: join(dir, 'queue'), maxBytes: 1024 * 1024 },
    batchSize: 100,
    batchIntervalMs: 20,
    logger: capturingLogger(logs),
    retryBaseMs: 10,
    retryMaxMs: 50,
    ...opts,
  });
  cleanup.push(() => audit.close());
  return audit;
}

async function receiver(mode: 'webhook' | 'elastic'): Promise<TestReceiver> {
  const r = await TestReceiver.start(mode);
  cleanup.push(() => r.stop());
  return r;
}

describe('auditEntry', () => {
  it('maps a request record to the documented entry', () => {
    expect(auditEntry(record(7, { op: undefined }), { node: 'n1' })).toEqual({
      version: '1',
      deploymentId: '',
      node: 'n1',
      time: '2026-01-02T03:04:05.007Z',
      requestId: 'REQ0000000000007',
      api: '',
      method: 'PUT',
      bucket: 'photos',
      object: '2026/7.jpg',
      versionId: '',
      status: 200,
      errorCode: '',
      rx: 1234,
      tx: 0,
      ttfbMs: 1.235,
      totalMs: 2.5,
      accessKey: 'AKIA1',
      remoteHost: '10.0.0.7',
      userAgent: 'aws-sdk-js/3',
      requestHeaders: { 'content-length': '1234' },
      responseHeaders: { etag: '"abc"' },
    });
  });
});

describe('AuditLog', () => {
  it('writes each request to the file, the webhook and Elasticsearch', async () => {
    const webhook = await receiver('webhook');
    const elastic = await receiver('elastic');
    const path = join(dir, 'audit.log');
    const audit = await open({
      file: { path, maxBytes: 1024 * 1024, keep: 2 },
      webhook: { url: webhook.url, authorization: 'Bearer w' },
      elastic: { url: elastic.url, index: 'strata-audit' },
    });
    for (let n = 0; n < 5; n++) audit.observe(record(n));
    await expect.poll(() => webhook.accepted.length, { timeout: 5000 }).toBe(5);
    await expect.poll(() => elastic.accepted.length, { timeout: 5000 }).toBe(5);
    await expect
      .poll(async () => (await readFile(path, 'utf8')).split('\n').length, { timeout: 5000 })
      .toBe(6);

    const expected = [0, 1, 2, 3, 4].map((n) =>
      auditEntry(record(n), { node: 'node-a', deploymentId: 'dep-1' }),
    );
    expect(webhook.accepted).toEqual(expected);
    expect(elastic.accepted).toEqual(expected);
    const fileEntries = (await readFile(path, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
    expect(fileEntries).toEqual(expected);

    const stats = audit.stats();
    expect(stats.map((s) => s.target)).toEqual(['file', 'webhook', 'elastic']);
    await expect
      .poll(() => audit.stats().find((s) => s.target === 'webhook'))
      .toEqual({
        target: 'webhook',
        queuedRecords: 0,
        queuedBytes: 0,
        delivered: 5,
        failedAttempts: 0,
        dropped: 0,
        rejected: 0,
      });
  });

  it('skips successful health probes and metrics scrapes, keeps admin calls and refused scrapes', async () => {
    const path = join(dir, 'probes.log');
    const audit = await open({ file: { path, maxBytes: 1024 * 1024, keep: 2 } });
    audit.observe(record(0, { op: 'Internal', method: 'GET', status: 200 }));
    audit.observe(record(1, { op: 'Internal', method: 'HEAD', status: 503 }));
    audit.observe(record(2, { op: 'Internal', method: 'GET', status: 403 }));
    audit.observe(record(3, { op: 'Internal', method: 'POST', status: 200 }));
    audit.observe(record(4));
    await expect
      .poll(async () => (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '').length, {
        timeout: 5000,
      })
      .toBe(4);
    const ids = (await readFile(path, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { requestId: string }).requestId);
    expect(ids).toEqual([1, 2, 3, 4].map((n) => record(n).requestId));
  });

  it('queues entries on disk while the webhook is down, logs it, and delivers them in order later', async () => {
    const webhook = await receiver('webhook');
    const logs: LogLine[] = [];
    await webhook.stop();
    const audit = await open({ webhook: { url: webhook.url } }, logs);
    for (let n = 0; n < 30; n++) audit.observe(record(n));
    await expect
      .poll(() => audit.stats()[0]?.failedAttempts ?? 0, { timeout: 5000 })
      .toBeGreaterThanOrEqual(2);
    expect(audit.stats()[0]?.queuedRecords).toBe(30);
    expect(logs.filter((l) => l.msg?.startsWith('audit target failed'))).toHaveLength(1);
    await webhook.restart();
    await expect.poll(() => webhook.accepted.length, { timeout: 5000 }).toBe(30);
    expect(webhook.accepted.map((e) => e.requestId)).toEqual(
      Array.from({ length: 30 }, (_, n) => record(n).requestId),
    );
    expect(logs.some((l) => l.msg?.startsWith('audit target reachable again'))).toBe(true);
  });

  it('keeps the queue across close and open: entries queued before are delivered after', async () => {
    const webhook = await receiver('webhook');
    await webhook.stop();
    const first = await open({ webhook: { url: webhook.url } });
    for (let n = 0; n < 10; n++) first.observe(record(n));
    await first.close();
    await webhook.restart();
    const second = await open({ webhook: { url: webhook.url } });
    second.observe(record(10));
    await expect.poll(() => webhook.accepted.length, { timeout: 5000 }).toBe(11);
    expect(webhook.accepted.map((e) => e.requestId)).toEqual(
      Array.from({ length: 11 }, (_, n) => record(n).requestId),
    );
  });

  it('drops and counts entries once the queue is full, logging once per interval', async () => {
    const webhook = await receiver('webhook');
    await webhook.stop();
    const logs: LogLine[] = [];
    const size = JSON.stringify(auditEntry(record(0), { node: 'node-a', deploymentId: 'dep-1' })).length + 1;
    const audit = await open({ webhook: { url: webhook.url }, queue: { dir, maxBytes: size * 4 } }, logs);
    for (let n = 0; n < 10; n++) audit.observe(record(n));
    expect(audit.stats()[0]).toMatchObject({ queuedRecords: 4, dropped: 6 });
    expect(logs.filter((l) => l.msg === 'audit queue full: dropping audit entries')).toHaveLength(1);
  });

  it('resends an entry Elasticsearch refused in a bulk answer with errors: true', async () => {
    const elastic = await receiver('elastic');
    elastic.itemStatus = (doc, call) => (call === 0 && doc.requestId === record(1).requestId ? 429 : 201);
    const audit = await open({ elastic: { url: elastic.url, index: 'audit-x' } });
    for (let n = 0; n < 3; n++) audit.observe(record(n));
    await expect.poll(() => elastic.accepted.length, { timeout: 5000 }).toBe(3);
    expect(elastic.accepted.map((d) => d.requestId)).toEqual([0, 2, 1].map((n) => record(n).requestId));
    expect(elastic.actions.every((a) => (a.index as { _index: string })._index === 'audit-x')).toBe(true);
    expect(elastic.requests).toHaveLength(2);
    expect(audit.stats()[0]).toMatchObject({ delivered: 3, failedAttempts: 1, rejected: 0 });
  });

  it('fails to open when the queue directory cannot be created', async () => {
    const notADirectory = join(dir, 'file');
    await writeFile(notADirectory, '');
    await expect(
      AuditLog.open({
        source: { node: 'n' },
        webhook: { url: 'http://127.0.0.1:9/' },
        queue: { dir: join(notADirectory, 'queue'), maxBytes: 1024 },
        batchSize: 10,
        batchIntervalMs: 1000,
        logger: capturingLogger([]),
      }),
    ).rejects.toThrow(/ENOTDIR/);
  });
});
