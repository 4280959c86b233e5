import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketWebsiteCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ObjectLayer, openStorage } from '../storage/index.js';
import { buildServer } from './index.js';
import type { RequestRecord } from './request-record.js';

/**
 * Server-level tests: a real server on 127.0.0.1:0 over real storage in temp dirs,
 * driven by @aws-sdk/client-s3 (default checksum behaviour: aws-chunked bodies with
 * CRC trailers) and by hand-signed raw requests for edge cases. The full e2e suite
 * lives under test/.
 */

const CREDS = { accessKeyId: 'STRATATESTKEY', secretAccessKey: 'strata-test-secret-key' };
const REGION = 'us-east-1';

let app: FastifyInstance;
let close: () => Promise<void>;
let port = 0;
let s3: S3Client;
let storage: ObjectLayer;
let dir = '';
/** Every log line the server wrote (JSON). */
const logLines: string[] = [];
/** Every record the server handed to its observer. */
const records: RequestRecord[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-app-test-'));
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  const { objectLayer, admin } = await openStorage({
    drives: [1, 2, 3, 4].map((i) => join(dir, `d${i}`)),
    logger: pino({ level: 'silent' }),
  });
  storage = objectLayer;
  app = await buildServer({
    objectLayer,
    admin,
    credentials: (id) => (id === CREDS.accessKeyId ? CREDS : undefined),
    region: REGION,
    domains: ['s3.strata.test'],
    logger,
    observers: [
      (r) => void records.push(r),
      () => {
        throw new Error('a broken observer must not affect requests');
      },
    ],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: REGION,
    credentials: CREDS,
    forcePathStyle: true,
  });
  close = async () => {
    s3.destroy();
    await app.close();
    await objectLayer.close();
  };
});

afterAll(async () => {
  await close?.();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const signer = new SignatureV4({
  credentials: CREDS,
  region: REGION,
  service: 's3',
  sha256: Sha256,
  uriEscapePath: false,
  applyChecksum: false,
});

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends a signed request with exactly this wire path. The signature covers the path
 * as S3 canonicalises it (each segment decoded, then URI-encoded once).
 */
async function raw(
  method: string,
  wirePath: string,
  opts: { query?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
): Promise<RawResponse> {
  const canonicalPath = wirePath
    .split('/')
    .map((seg) => encodeURIComponent(decodeURIComponent(seg)))
    .join('/');
  const host = opts.host ?? `127.0.0.1:${port}`;
  const query = Object.fromEntries(new URLSearchParams(opts.query ?? ''));
  const signed = await signer.sign(
    new HttpRequest({
      method,
      hostname: host,
      path: canonicalPath,
      query,
      headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...(opts.headers ?? {}) },
    }),
  );
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: wirePath + (opts.query ? `?${opts.query}` : ''),
        headers: signed.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('S3 over a real server (SDK)', () => {
  const bucket = 'sdk-bucket';
  const keys = ['plain.txt', 'a b+c', 'dir/x\u0001y', 'dir/😀', '100%', '//lead//double', 'k'.repeat(1024)];

  it('creates, lists and locates buckets', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    // us-east-1: re-creating your own bucket is a 200, as on AWS.
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))).rejects.toMatchObject({
      name: 'InvalidBucketName',
    });
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    expect(
      (await s3.send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint,
    ).toBeUndefined();
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(bucket);
  });

  it('round-trips hostile keys with metadata and default checksums', async () => {
    for (const Key of keys) {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key,
          Body: `body of ${Key}`,
          ContentType: 'text/plain',
          Metadata: { color: 'Blue' },
        }),
      );
      expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      // The SDK sends a CRC32 trailer by default; the verified value is echoed.
      expect(put.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    }
    for (const Key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      expect(await got.Body?.transformToString()).toBe(`body of ${Key}`);
      expect(got.ContentType).toBe('text/plain');
      expect(got.Metadata).toEqual({ color: 'Blue' });
      // Stored checksums come back with x-amz-checksum-mode: ENABLED (the SDK validates them).
      expect(got.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    }
    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'plain.txt', Range: 'bytes=0-1', ChecksumMode: 'ENABLED' }),
    );
    expect(ranged.ChecksumCRC32).toBeUndefined();
    await expect(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k'.repeat(1025), Body: 'x' })),
    ).rejects.toMatchObject({
      name: 'KeyTooLongError',
    });
  });

  it('serves ranges, conditionals and HEAD', async () => {
    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: '100%', Range: 'bytes=2-5' }));
    expect(await ranged.Body?.transformToString()).toBe('dy o');
    expect(ranged.ContentRange).toBe('bytes 2-5/12');
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: '100%', Range: 'bytes=50-' })),
    ).rejects.toMatchObject({
      name: 'InvalidRange',
      $metadata: { httpStatusCode: 416 },
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: '100%' }));
    expect(head.ContentLength).toBe(12);
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: '100%', IfNoneMatch: head.ETag })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 304 },
    });
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: '100%', IfMatch: '"nope"' })),
    ).rejects.toMatchObject({
      name: 'PreconditionFailed',
    });
  });

  it('lists with V2 pages, delimiters, url encoding and V1', async () => {
    const all = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(all.Contents?.map((c) => c.Key).sort()).toEqual([...keys].sort());
    expect(all.KeyCount).toBe(keys.length);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 2, ContinuationToken: token }),
      );
      paged.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(paged.sort()).toEqual([...keys].sort());
    const delimited = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', EncodingType: 'url' }),
    );
    expect(delimited.CommonPrefixes?.map((c) => c.Prefix)).toEqual(['/', 'dir/']);
    expect(delimited.Contents?.map((c) => c.Key)).toContain('a%20b%2Bc');
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'dir/' }));
    expect(v1.Contents?.map((c) => c.Key)).toEqual(['dir/x\u0001y', 'dir/😀']);
  });

  it('copies objects and replaces metadata in place', async () => {
    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy',
        CopySource: `${bucket}/${encodeURIComponent('a b+c')}`,
      }),
    );
    expect(copy.CopyObjectResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy' }));
    expect(await got.Body?.transformToString()).toBe('body of a b+c');
    expect(got.Metadata).toEqual({ color: 'Blue' });
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/copy` })),
    ).rejects.toMatchObject({
      name: 'InvalidRequest',
    });
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy',
        CopySource: `${bucket}/copy`,
        MetadataDirective: 'REPLACE',
        ContentType: 'x/y',
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy' }));
    expect(head.ContentType).toBe('x/y');
    expect(head.Metadata).toEqual({});
    await expect(
      s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: 'copy2',
          CopySource: `${bucket}/copy`,
          CopySourceIfMatch: '"nope"',
        }),
      ),
    ).rejects.toMatchObject({ name: 'PreconditionFailed' });
  });

  it('deletes many objects, then the bucket', async () => {
    await expect(s3.send(new DeleteBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
    });
    const del = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [...keys, 'copy'].map((Key) => ({ Key })) },
      }),
    );
    expect(del.Deleted?.length).toBe(keys.length + 1);
    expect(del.Errors ?? []).toEqual([]);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'never-existed' }));
    await expect(s3.send(new GetBucketWebsiteCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: 'NotImplemented',
      $metadata: { httpStatusCode: 501 },
    });
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('S3 over a real server (raw requests)', () => {
  const bucket = 'raw-bucket';

  beforeAll(async () => {
    expect((await raw('PUT', `/${bucket}`)).status).toBe(200);
  });

  it('keeps the wire path: a literal + is a plus, slashes and dots are not normalised', async () => {
    const cases: Array<[string, string]> = [
      ['/raw-bucket/a+b', 'a+b'],
      ['/raw-bucket/%25', '%'],
      ['/raw-bucket//x//y/', '/x//y/'],
      ['/raw-bucket/%01%0D%0A', '\u0001\r\n'],
      ['/raw-bucket/q%3Fx', 'q?x'],
      ['/raw-bucket/..', '..'],
      ['/raw-bucket/./a', './a'],
    ];
    for (const [wire, key] of cases) {
      const body = `v:${key}`;
      const put = await raw('PUT', wire, { body, headers: { 'content-type': 'not ;; a/valid type' } });
      expect(put.status, `${wire} ${put.body}`).toBe(200);
      const got = await raw('GET', wire);
      expect(got.body, wire).toBe(body);
      expect(got.headers['content-type']).toBe('not ;; a/valid type');
    }
    const plain = await raw('GET', `/${bucket}`, { query: 'list-type=2' });
    expect(plain.body).toContain('<Key>&#x1;&#xD;\n</Key>');
    expect(plain.body).toContain('<Key>a+b</Key>');
    const encoded = await raw('GET', `/${bucket}`, { query: 'list-type=2&encoding-type=url' });
    expect(encoded.body).toContain('<Key>%01%0D%0A</Key>');
    expect(encoded.body).toContain('<Key>a%2Bb</Key>');
    expect(encoded.body).toContain('<EncodingType>url</EncodingType>');
  });

  it('addresses buckets by virtual host', async () => {
    const got = await raw('GET', '/a+b', { host: `${bucket}.s3.strata.test:${port}` });
    expect(got.status).toBe(200);
    expect(got.body).toBe('v:a+b');
  });

  it('puts request ids on every response; HEAD errors have no body; 501 and 405 are XML', async () => {
    const missing = await raw('HEAD', `/${bucket}/missing`);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('');
    expect(missing.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    const notImplemented = await raw('GET', `/${bucket}`, { query: 'website' });
    expect(notImplemented.status).toBe(501);
    expect(notImplemented.body).toContain('<Code>NotImplemented</Code>');
    expect(notImplemented.body).toContain(
      `<RequestId>${notImplemented.headers['x-amz-request-id']}</RequestId>`,
    );
    expect(notImplemented.headers['x-amz-id-2']).toBeDefined();
    expect((await raw('POST', `/${bucket}/k`)).status).toBe(405);
    const noBucket = await raw('GET', '/no-such-bucket/k');
    expect(noBucket.body).toContain('<Code>NoSuchBucket</Code>');
    expect(noBucket.body).toContain('<BucketName>no-such-bucket</BucketName>');
  });

  it('closes the connection when it answers before reading the body', async () => {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => sock.once('connect', resolve));
    let data = '';
    sock.on('data', (c: Buffer) => (data += c.toString()));
    const closed = new Promise((resolve) => sock.once('close', resolve));
    sock.write(
      `PUT /${bucket}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`,
    );
    await closed;
    expect(data).toMatch(/^HTTP\/1.1 403/);
    expect(data.toLowerCase()).toContain('connection: close');
    expect(data).toContain('<Code>AccessDenied</Code>');
  });

  it('commits nothing when the client disconnects mid-upload, and keeps serving', async () => {
    const signed = await signer.sign(
      new HttpRequest({
        method: 'PUT',
        hostname: `127.0.0.1:${port}`,
        path: `/${bucket}/abandoned`,
        headers: {
          host: `127.0.0.1:${port}`,
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          'content-length': String(64 << 20),
        },
      }),
    );
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: `/${bucket}/abandoned`,
      headers: signed.headers,
    });
    req.on('error', () => {});
    req.write(Buffer.alloc(4 << 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    req.destroy();
    const deadline = Date.now() + 5_000;
    let lastLine = '';
    while (Date.now() < deadline && !lastLine.includes('client closed the connection')) {
      lastLine = logLines.find((l) => l.includes('client closed the connection')) ?? '';
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(lastLine).toContain('"op":"PutObject"');
    await expect(storage.getObjectInfo(bucket, 'abandoned')).rejects.toMatchObject({ code: 'NoSuchKey' });
    expect((await raw('GET', `/${bucket}`)).status).toBe(200);
  });

  it('ranges: several ranges serve the whole object, suffix beyond size, unsatisfiable, partNumber=1', async () => {
    const multi = await raw('GET', `/${bucket}/a+b`, { headers: { range: 'bytes=0-0,2-3' } });
    expect([multi.status, multi.body]).toEqual([200, 'v:a+b']);
    const suffix = await raw('GET', `/${bucket}/a+b`, { headers: { range: 'bytes=-100' } });
    expect([suffix.status, suffix.headers['content-range']]).toEqual([206, 'bytes 0-4/5']);
    const bad = await raw('GET', `/${bucket}/a+b`, { headers: { range: 'bytes=5-' } });
    expect([bad.status, bad.headers['content-range']]).toEqual([416, 'bytes */5']);
    const future = new Date(Date.now() + 60_000).toUTCString();
    const notModified = await raw('GET', `/${bucket}/a+b`, { headers: { 'if-modified-since': future } });
    expect(notModified.status).toBe(304);
    const part1 = await raw('GET', `/${bucket}/a+b`, { query: 'partNumber=1' });
    expect([part1.status, part1.body]).toEqual([200, 'v:a+b']);
    // 400 InvalidPart as ceph/s3-tests expects (AWS is reported to answer 416 InvalidPartNumber).
    expect((await raw('GET', `/${bucket}/a+b`, { query: 'partNumber=2' })).status).toBe(400);
  });

  it('CreateBucket checks LocationConstraint like AWS', async () => {
    const cfg = (lc: string) =>
      `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${lc}</LocationConstraint></CreateBucketConfiguration>`;
    expect((await raw('PUT', '/lc-bucket', { body: cfg('us-east-1') })).body).toContain(
      'InvalidLocationConstraint',
    );
    expect((await raw('PUT', '/lc-bucket', { body: cfg('eu-west-1') })).body).toContain(
      'IllegalLocationConstraintException',
    );
    expect((await raw('PUT', '/lc-bucket', { body: '<broken' })).body).toContain('MalformedXML');
    expect((await raw('PUT', '/lc-bucket')).status).toBe(200);
    const location = await raw('GET', '/lc-bucket', { query: 'location' });
    expect(location.body).toContain(
      '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>',
    );
  });

  it('validates listing parameters', async () => {
    for (const query of [
      'list-type=2&max-keys=-1',
      'list-type=2&continuation-token=garbage!',
      'list-type=2&encoding-type=xml',
    ]) {
      expect((await raw('GET', `/${bucket}`, { query })).body, query).toContain(
        '<Code>InvalidArgument</Code>',
      );
    }
    const zero = await raw('GET', `/${bucket}`, { query: 'list-type=2&max-keys=0' });
    expect(zero.body).toContain('<KeyCount>0</KeyCount>');
    expect(zero.body).toContain('<IsTruncated>false</IsTruncated>');
    expect((await raw('GET', `/${bucket}`, { query: 'max-keys=1&delimiter=/' })).body).toContain(
      '<NextMarker>',
    );
    const v1 = await raw('GET', `/${bucket}`, { query: 'max-keys=1' });
    expect(v1.body).not.toContain('<NextMarker>');
    expect(v1.body).toContain('<IsTruncated>true</IsTruncated>');
  });

  it('refuses oversized metadata and unprotected DeleteObjects bodies', async () => {
    expect(
      (await raw('PUT', `/${bucket}/m`, { body: 'x', headers: { 'x-amz-meta-a': 'y'.repeat(2100) } })).body,
    ).toContain('MetadataTooLarge');
    const del = await raw('POST', `/${bucket}`, {
      query: 'delete',
      body: '<Delete><Object><Key>a</Key></Object></Delete>',
    });
    expect(del.body).toContain('<Code>InvalidRequest</Code>');
  });

  it('serves health endpoints without auth and the admin heal only when signed', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/_strata/health/live`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/_strata/health/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/_strata/admin/v1/heal`, { method: 'POST' })).status).toBe(
      403,
    );
    const heal = await raw('POST', '/_strata/admin/v1/heal', { query: `bucket=${bucket}` });
    expect(heal.status).toBe(200);
    expect(JSON.parse(heal.body)).toMatchObject({ objectsScanned: expect.any(Number), objectsFailed: 0 });
  });
});

describe('logging', () => {
  it('writes one access line per request with operation, bucket and status, and no secrets', async () => {
    await raw('GET', '/log-bucket-missing', { query: 'list-type=2&prefix=p' });
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.find((l) => l.op === 'ListObjectsV2' && l.bucket === 'log-bucket-missing');
    expect(access).toMatchObject({ level: 30, status: 404, reqId: expect.stringMatching(/^[0-9A-F]{16}$/) });
    expect(typeof access?.durationMs).toBe('number');
    const all = logLines.join('\n');
    expect(all).not.toContain('Signature=');
    expect(all).not.toContain(CREDS.secretAccessKey);
    expect(all).not.toContain('AWS4-HMAC-SHA256 Credential');
  });
});

describe('request observers', () => {
  it('get one record per request with operation, sizes, timings and no secrets', async () => {
    const bucket = 'observed-bucket';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'dir/ö k', Body: 'x'.repeat(1000) }),
    );
    await s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/ö k' }))
      .then((r) => r.Body?.transformToString());
    await raw('GET', `/${bucket}/missing`);

    const putRecord = records.find((r) => r.op === 'PutObject' && r.bucket === bucket);
    expect(putRecord).toMatchObject({
      method: 'PUT',
      key: 'dir/ö k',
      status: 200,
      errorCode: '',
      bytesIn: 1000,
      accessKeyId: CREDS.accessKeyId,
      sourceIp: '127.0.0.1',
    });
    expect(putRecord?.responseHeaders.etag).toBe(put.ETag);
    expect(putRecord?.userAgent).toContain('aws-sdk-js');
    const getRecord = records.find((r) => r.op === 'GetObject' && r.key === 'dir/ö k');
    expect(getRecord).toMatchObject({ status: 200, bytesOut: 1000 });
    expect(getRecord?.timeToFirstByteMs).toBeGreaterThan(0);
    expect(getRecord?.totalMs).toBeGreaterThanOrEqual(getRecord?.timeToFirstByteMs ?? 0);
    const missing = records.find((r) => r.op === 'GetObject' && r.key === 'missing');
    expect(missing).toMatchObject({ status: 404, errorCode: 'NoSuchKey' });
    const all = JSON.stringify(records);
    expect(all).not.toContain(CREDS.secretAccessKey);
    expect(all).not.toContain('Signature');
    expect(all).not.toContain('AWS4-HMAC-SHA256');
  });
});

describe('internal buckets', () => {
  it('a bucket S3 cannot name (the KMS system area) is not listed', async () => {
    await storage.makeBucket('strata_system', { location: '' });
    await s3.send(new CreateBucketCommand({ Bucket: 'listed-bucket' }));
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(names).toContain('listed-bucket');
    expect(names).not.toContain('strata_system');
  });
});
