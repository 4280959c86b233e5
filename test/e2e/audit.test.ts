/**
 * The audit trail end to end: a real Strata process sends its entries to real HTTP
 * receivers in this process (a webhook, an Elasticsearch `_bulk` speaker) that go down
 * and come back, and writes the rotated local file.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestReceiver } from '../../server/telemetry/audit/test-receiver.js';
import { sdkError } from '../helpers/s3.js';
import {
  dumpServerOutputOnFailure,
  pollUntil,
  ROOT_ACCESS_KEY,
  StrataServer,
  uniqueBucketName,
} from '../helpers/strata-server.js';

type Entry = Record<string, unknown> & { requestId: string };

async function putObject(s3: S3Client, bucket: string, key: string, body: string): Promise<string> {
  const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return out.$metadata.requestId as string;
}

async function createBucketId(s3: S3Client, bucket: string): Promise<string> {
  const out = await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return out.$metadata.requestId as string;
}

/** Waits until every id arrived; returns the entries by id (first arrival). */
async function arrived(
  receiver: TestReceiver,
  ids: string[],
  timeoutMs = 30_000,
): Promise<Map<string, Entry>> {
  return pollUntil(
    `audit entries ${ids.length} ids at ${receiver.url}`,
    () => {
      const byId = new Map<string, Entry>();
      for (const e of receiver.accepted as Entry[]) if (!byId.has(e.requestId)) byId.set(e.requestId, e);
      return ids.every((id) => byId.has(id)) ? byId : undefined;
    },
    timeoutMs,
  );
}

/** Request ids in the order the receiver first accepted them, restricted to `ids`. */
function arrivalOrder(receiver: TestReceiver, ids: string[]): string[] {
  const wanted = new Set(ids);
  const seen = new Set<string>();
  const order: string[] = [];
  for (const e of receiver.accepted as Entry[]) {
    if (wanted.has(e.requestId) && !seen.has(e.requestId)) {
      seen.add(e.requestId);
      order.push(e.requestId);
    }
  }
  return order;
}

/** Everything in the queue's segment files (NDJSON), as text. */
async function queuedText(queueDir: string): Promise<string> {
  let text = '';
  let names: string[];
  try {
    names = (await readdir(queueDir)).filter((n) => n.endsWith('.ndjson')).sort();
  } catch {
    return '';
  }
  for (const name of names) text += await readFile(join(queueDir, name), 'utf8').catch(() => '');
  return text;
}

describe('audit: webhook and file targets', () => {
  let receiver: TestReceiver;
  let server: StrataServer | undefined;
  let scratch: string;
  let auditFile: string;
  const FILE_MAX_BYTES = 16 * 1024;
  const bucket = uniqueBucketName('audit');
  /** Request ids of calls made so far, in order. */
  const calls: string[] = [];

  beforeAll(async () => {
    receiver = await TestReceiver.start('webhook');
    scratch = await mkdtemp(join(tmpdir(), 'strata-audit-e2e-'));
    auditFile = join(scratch, 'log', 'audit.log');
    server = await StrataServer.start({
      env: {
        STRATA_AUDIT_WEBHOOK_URL: `${receiver.url}/ingest`,
        STRATA_AUDIT_WEBHOOK_AUTH: 'Bearer audit-hook-token',
        STRATA_AUDIT_BATCH_INTERVAL_MS: '100',
        STRATA_AUDIT_FILE: auditFile,
        STRATA_AUDIT_FILE_MAX_BYTES: String(FILE_MAX_BYTES),
        STRATA_AUDIT_FILE_KEEP: '2',
        // STRATA_AUDIT_QUEUE_DIR unset: the queue lives in <first drive>/.strata-audit.
      },
    });
  });

  afterAll(async () => {
    await server?.destroy();
    await receiver?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  dumpServerOutputOnFailure(() => server);

  const s = () => server as StrataServer;
  const queueDir = () => join(s().drives[0] as string, '.strata-audit', 'webhook');

  it('sends one entry per S3 call with its fields, as NDJSON with the configured Authorization', async () => {
    const s3 = s().client();
    const created = await createBucketId(s3, bucket);
    const put = await putObject(s3, bucket, 'dir/hello.txt', 'hello');
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' }));
    await got.Body?.transformToString();
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' }));
    const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const missing = await sdkError(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'nope' })));
    const ids = [
      created,
      put,
      got.$metadata.requestId,
      head.$metadata.requestId,
      list.$metadata.requestId,
      missing.requestId,
    ] as string[];
    calls.push(...ids);

    const byId = await arrived(receiver, ids);
    const entry = (id: string) => byId.get(id) as Entry;
    expect(entry(put)).toMatchObject({
      version: '1',
      api: 'PutObject',
      method: 'PUT',
      bucket,
      object: 'dir/hello.txt',
      status: 200,
      errorCode: '',
      rx: 5,
      tx: 0,
      accessKey: ROOT_ACCESS_KEY,
      remoteHost: '127.0.0.1',
    });
    expect(entry(put).userAgent).toMatch(/aws-sdk-js/);
    expect(entry(put).requestHeaders).toMatchObject({ 'content-length': '5' });
    expect(entry(put).responseHeaders).toMatchObject({ etag: expect.any(String) });
    expect(entry(got.$metadata.requestId as string)).toMatchObject({ api: 'GetObject', status: 200, tx: 5 });
    expect(entry(head.$metadata.requestId as string)).toMatchObject({
      api: 'HeadObject',
      status: 200,
      tx: 0,
    });
    expect(entry(created)).toMatchObject({ api: 'CreateBucket', bucket, object: '' });
    expect(entry(list.$metadata.requestId as string)).toMatchObject({ api: 'ListObjectsV2', status: 200 });
    expect(entry(missing.requestId as string)).toMatchObject({
      api: 'GetObject',
      object: 'nope',
      status: 404,
      errorCode: 'NoSuchKey',
    });
    for (const e of byId.values()) {
      expect(new Date(e.time as string).toISOString()).toBe(e.time);
      expect(e.totalMs as number).toBeGreaterThanOrEqual(e.ttfbMs as number);
      expect(typeof e.node).toBe('string');
    }
    expect(arrivalOrder(receiver, ids)).toEqual(ids);

    const req = receiver.requests.find((r) => r.status === 200);
    expect(req?.url).toBe('/ingest');
    expect(req?.headers['content-type']).toBe('application/x-ndjson');
    expect(req?.headers.authorization).toBe('Bearer audit-hook-token');
  });

  it('queues entries on disk while the receiver is down and delivers them in order when it returns', async () => {
    const s3 = s().client();
    await receiver.stop();
    const before = await queuedText(queueDir());
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) ids.push(await putObject(s3, bucket, `down/${i}`, `body ${i}`));
    calls.push(...ids);

    // The queue directory holds them (written within the 100 ms batch interval).
    const onDisk = await pollUntil('entries written to the queue on disk', async () => {
      const text = await queuedText(queueDir());
      return ids.every((id) => text.includes(id)) ? text : undefined;
    });
    expect(onDisk.length).toBeGreaterThan(before.length);
    expect(arrivalOrder(receiver, ids)).toEqual([]);

    await receiver.restart();
    await arrived(receiver, ids);
    expect(arrivalOrder(receiver, ids)).toEqual(ids);
  });

  it('delivers entries queued before a server restart once the receiver is back', async () => {
    await receiver.stop();
    const s3 = s().client();
    const queuedBefore: string[] = [];
    for (let i = 0; i < 10; i++) queuedBefore.push(await putObject(s3, bucket, `restart/${i}`, `r${i}`));
    await pollUntil('entries written to the queue on disk', async () => {
      const text = await queuedText(queueDir());
      return queuedBefore.every((id) => text.includes(id));
    });

    await s().stop(); // SIGTERM: a clean shutdown
    await s().startAgain(); // same drives, so the same queue directory
    expect(s().output()).toMatch(/resuming delivery of entries queued earlier/);
    const after = await putObject(s().client(), bucket, 'restart/after', 'after');
    calls.push(...queuedBefore, after);

    await receiver.restart();
    await arrived(receiver, [...queuedBefore, after]);
    expect(arrivalOrder(receiver, [...queuedBefore, after])).toEqual([...queuedBefore, after]);
    // Delivered segments are deleted: only the one being written remains.
    await pollUntil(
      'delivered queue segments deleted',
      async () => (await readdir(queueDir())).filter((n) => n.endsWith('.ndjson')).length === 1,
    );
  });

  it('delivers entries that reached the disk before the server was killed (SIGKILL)', async () => {
    await receiver.stop();
    const s3 = s().client();
    const beforeKill: string[] = [];
    for (let i = 0; i < 5; i++) beforeKill.push(await putObject(s3, bucket, `kill/${i}`, `k${i}`));
    // Synced within the batch interval; only the last interval may be lost in a crash.
    await pollUntil('entries written to the queue on disk', async () => {
      const text = await queuedText(queueDir());
      return beforeKill.every((id) => text.includes(id));
    });
    await s().kill();
    await s().startAgain();
    await receiver.restart();
    await arrived(receiver, beforeKill);
    expect(arrivalOrder(receiver, beforeKill)).toEqual(beforeKill);
  });

  it('writes every entry to the audit file, rotated at the size limit, keeping 2 old files', async () => {
    const s3 = s().client();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await putObject(s3, bucket, `file/${i}`, 'x'));
    calls.push(...ids);

    const files = [auditFile, `${auditFile}.1`, `${auditFile}.2`];
    const text = await pollUntil('audit file rotated with the newest entries', async () => {
      const parts = await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')));
      const all = parts.reverse().join('');
      return ids.every((id) => all.includes(id)) ? all : undefined;
    });
    expect((await readdir(join(scratch, 'log'))).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    for (const f of files) expect((await stat(f)).size).toBeLessThanOrEqual(FILE_MAX_BYTES);
    // Whole entries, oldest file first, in call order.
    const entries = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Entry);
    const fileOrder = entries.map((e) => e.requestId).filter((id) => ids.includes(id));
    expect(fileOrder).toEqual(ids);
    expect(entries.find((e) => e.requestId === ids[0])).toMatchObject({ api: 'PutObject', status: 200 });
  });
});

describe('audit: Elasticsearch target', () => {
  let elastic: TestReceiver;
  let server: StrataServer | undefined;

  beforeAll(async () => {
    elastic = await TestReceiver.start('elastic');
    server = await StrataServer.start({
      env: {
        STRATA_AUDIT_ELASTIC_URL: elastic.url,
        STRATA_AUDIT_ELASTIC_INDEX: 'strata-e2e',
        STRATA_AUDIT_ELASTIC_AUTH: 'ApiKey e2e-key',
        STRATA_AUDIT_BATCH_INTERVAL_MS: '100',
      },
    });
  });

  afterAll(async () => {
    await server?.destroy();
    await elastic?.stop();
  });

  dumpServerOutputOnFailure(() => server);

  it('indexes entries with _bulk and resends an item the bulk answer refused', async () => {
    const s3 = (server as StrataServer).client();
    const bucket = uniqueBucketName('elastic');
    // Refuse the first PutObject entry once (429 in an errors: true answer).
    let refusedId: string | undefined;
    elastic.itemStatus = (doc) => {
      if (doc.api === 'PutObject' && refusedId === undefined) {
        refusedId = doc.requestId as string;
        return 429;
      }
      return 201;
    };
    const ids = [await createBucketId(s3, bucket)];
    for (let i = 0; i < 3; i++) ids.push(await putObject(s3, bucket, `k${i}`, 'v'));

    await arrived(elastic, ids);
    expect(refusedId).toBe(ids[1]);
    // Sent twice (refused, then accepted), indexed once.
    expect(elastic.requests.filter((r) => r.body.includes(refusedId as string))).toHaveLength(2);
    expect(elastic.accepted.filter((d) => d.requestId === refusedId)).toHaveLength(1);

    const bulk = elastic.requests[0];
    expect(bulk?.url).toBe('/_bulk');
    expect(bulk?.headers['content-type']).toBe('application/x-ndjson');
    expect(bulk?.headers.authorization).toBe('ApiKey e2e-key');
    for (const action of elastic.actions) {
      expect(action.index).toEqual({ _index: 'strata-e2e', _id: expect.stringMatching(/^[0-9A-F]{16}$/) });
    }
    const doc = elastic.accepted.find((d) => d.requestId === ids[2]);
    expect(doc).toMatchObject({ api: 'PutObject', bucket, object: 'k1', status: 200, rx: 1 });
  });
});
