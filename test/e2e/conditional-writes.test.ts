import { request as httpRequest } from 'node:http';
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bytesFor, md5Hex } from '../helpers/data.js';
import { encodeKey, signHeaders } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, getBytes, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

describe('conditional writes', () => {
  const server = useStrataServer();

  it('PutObject with If-None-Match and If-Match follows S3 (412 on mismatch, 404 when If-Match finds no key)', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cw-put');
    await createBucket(s3, bucket);
    const key = 'cond/😀 %2F';
    const putIf = (body: string, cond: { IfNoneMatch?: string; IfMatch?: string }) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...cond }));

    await expectS3Error(putIf('a', { IfMatch: '*' }), 'NoSuchKey', 404);
    await expectS3Error(putIf('a', { IfMatch: `"${md5Hex('a')}"` }), 'NoSuchKey', 404);
    const first = await putIf('one', { IfNoneMatch: '*' });
    expect(first.ETag).toBe(`"${md5Hex('one')}"`);
    await expectS3Error(putIf('two', { IfNoneMatch: '*' }), 'PreconditionFailed', 412);
    await expectS3Error(putIf('two', { IfNoneMatch: first.ETag }), 'PreconditionFailed', 412);
    expect((await getBytes(s3, bucket, key)).toString()).toBe('one');
    const second = await putIf('two', { IfNoneMatch: '"someotheretag"' });
    await expectS3Error(putIf('three', { IfMatch: first.ETag }), 'PreconditionFailed', 412);
    await putIf('three', { IfMatch: second.ETag });
    await putIf('four', { IfMatch: '*' });
    expect((await getBytes(s3, bucket, key)).toString()).toBe('four');
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await expectS3Error(putIf('five', { IfMatch: '*' }), 'NoSuchKey', 404);
    await putIf('five', { IfNoneMatch: '*' });
  });

  it('of concurrent PutObjects with If-None-Match: * exactly one wins; the others get 412', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cw-race');
    await createBucket(s3, bucket);
    for (const round of [0, 1, 2]) {
      const key = `race-${round}`;
      const bodies = Array.from({ length: 8 }, (_, i) => bytesFor(200_000 + i, `race-${round}-${i}`));
      const results = await Promise.allSettled(
        bodies.map((body) =>
          s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*' })),
        ),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won.length, `round ${round}`).toBe(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          const e = r.reason as { name?: string; $metadata?: { httpStatusCode?: number } };
          expect([e.name, e.$metadata?.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
        }
      }
      const winner = bodies[won[0] as number] as Buffer;
      expect((await getBytes(s3, bucket, key)).equals(winner)).toBe(true);
    }
  });

  it('CopyObject honours If-None-Match and If-Match on the destination', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cw-copy');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'src', 'source bytes');
    const copy = (cond: { IfNoneMatch?: string; IfMatch?: string }) =>
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst', CopySource: `${bucket}/src`, ...cond }));
    await expectS3Error(copy({ IfMatch: '*' }), 'NoSuchKey', 404);
    await copy({ IfNoneMatch: '*' });
    await expectS3Error(copy({ IfNoneMatch: '*' }), 'PreconditionFailed', 412);
    await expectS3Error(copy({ IfMatch: '"0123456789abcdef0123456789abcdef"' }), 'PreconditionFailed', 412);
    await copy({ IfMatch: `"${md5Hex('source bytes')}"` });
    expect((await getBytes(s3, bucket, 'dst')).toString()).toBe('source bytes');
  });

  it('a PutObject whose body is still being sent does not block a second PutObject of the key; the later commit wins', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cw-dual');
    await createBucket(s3, bucket);
    const key = 'dual/😀 %2F';
    const first = bytesFor(3 << 20, 'dual-first');
    const second = bytesFor(2 << 20, 'dual-second');

    // The first PUT by hand, so the test decides when its last bytes go out.
    const path = `/${bucket}/${encodeKey(key)}`;
    const headers = await signHeaders(
      server().endpoint,
      { method: 'PUT', path, headers: { 'content-length': String(first.length) } },
      { payloadHash: 'UNSIGNED-PAYLOAD' },
    );
    const url = new URL(server().endpoint);
    let firstAnswered = false;
    const req = httpRequest({
      host: url.hostname,
      port: Number(url.port),
      method: 'PUT',
      path,
      headers,
      agent: false,
    });
    const firstResponse = new Promise<{ status: number; etag: string | undefined }>((resolve, reject) => {
      req.on('response', (res) => {
        firstAnswered = true;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag }));
      });
      req.on('error', reject);
    });
    req.write(first.subarray(0, 1 << 20));

    // Completes while the first body is still open (s3-tests' dual writes hung here).
    const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: second }));
    expect(out.ETag).toBe(`"${md5Hex(second)}"`);
    expect(firstAnswered).toBe(false);
    expect((await getBytes(s3, bucket, key)).equals(second)).toBe(true);

    req.end(first.subarray(1 << 20));
    expect(await firstResponse).toEqual({ status: 200, etag: `"${md5Hex(first)}"` });
    expect((await getBytes(s3, bucket, key)).equals(first)).toBe(true);
  });

  it('PutObject with If-None-Match: * on an existing key answers 412 before the body is sent', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cw-early');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'existing');
    const path = `/${bucket}/k`;
    const headers = await signHeaders(
      server().endpoint,
      { method: 'PUT', path, headers: { 'content-length': String(8 << 20), 'if-none-match': '*' } },
      { payloadHash: 'UNSIGNED-PAYLOAD' },
    );
    const url = new URL(server().endpoint);
    const req = httpRequest({
      host: url.hostname,
      port: Number(url.port),
      method: 'PUT',
      path,
      headers,
      agent: false,
    });
    const answer = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
      });
      req.on('error', reject);
    });
    // Headers only: not a byte of the 8 MiB body goes out.
    req.flushHeaders();
    expect(await answer).toEqual({ status: 412, connection: 'close' });
    req.destroy();
    expect((await getBytes(s3, bucket, 'k')).toString()).toBe('existing');
  });
});
