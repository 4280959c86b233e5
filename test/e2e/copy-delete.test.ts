import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bodyBytes, bytesFor, md5Hex, XML_SAFE_HOSTILE_KEYS } from '../helpers/data.js';
import { escapeUri } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, expectStatus, getBytes, listAllKeys, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

/** x-amz-copy-source value: bucket/key with the key URL-encoded (slashes may stay). */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(escapeUri).join('/')}`;
}

describe('deleteObjects', () => {
  const server = useStrataServer();

  it('verbose mode deletes hostile keys and reports each one, including keys that did not exist', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('delobjs');
    await createBucket(s3, bucket);
    const keys = [...XML_SAFE_HOSTILE_KEYS];
    for (const key of keys) await put(s3, bucket, key, key);
    await put(s3, bucket, 'survivor', 'stays');
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [...keys, 'missing 😀'].map((Key) => ({ Key })) },
      }),
    );
    expect(r.Errors ?? []).toEqual([]);
    expect(new Set((r.Deleted ?? []).map((d) => d.Key))).toEqual(new Set([...keys, 'missing 😀']));
    expect(await listAllKeys(s3, bucket)).toEqual(['survivor']);
  });

  it('quiet mode deletes and reports nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('delquiet');
    await createBucket(s3, bucket);
    const keys = ['a', 'b/c', 'emoji 😀', 'plus+ %'];
    for (const key of keys) await put(s3, bucket, key, key);
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Quiet: true, Objects: keys.map((Key) => ({ Key })) },
      }),
    );
    expect(r.$metadata.httpStatusCode).toBe(200);
    expect(r.Deleted ?? []).toEqual([]);
    expect(r.Errors ?? []).toEqual([]);
    expect(await listAllKeys(s3, bucket)).toEqual([]);
  });

  it('fails with NoSuchBucket on a missing bucket', async () => {
    await expectS3Error(
      server()
        .client()
        .send(
          new DeleteObjectsCommand({ Bucket: uniqueBucketName('nob'), Delete: { Objects: [{ Key: 'k' }] } }),
        ),
      'NoSuchBucket',
      404,
    );
  });
});

describe('copyObject', () => {
  const server = useStrataServer();

  it('copies data and metadata (COPY directive) across buckets with hostile keys', async () => {
    const s3 = server().client();
    const src = uniqueBucketName('cpsrc');
    const dst = uniqueBucketName('cpdst');
    await createBucket(s3, src);
    await createBucket(s3, dst);
    const data = bytesFor(2 * 1024 * 1024 + 5, 'copy');
    const srcKey = 'src/😀 %2F + spaced';
    await put(s3, src, srcKey, data, { ContentType: 'application/x-src', Metadata: { origin: 'source' } });
    for (const dstKey of ['//dst/copied 😀', 'dst/ü%+']) {
      const r = await s3.send(
        new CopyObjectCommand({ Bucket: dst, Key: dstKey, CopySource: copySource(src, srcKey) }),
      );
      expect(r.CopyObjectResult?.ETag).toBe(`"${md5Hex(data)}"`);
      expect(r.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
      const got = await s3.send(new GetObjectCommand({ Bucket: dst, Key: dstKey }));
      expect(got.ContentType).toBe('application/x-src');
      expect(got.Metadata).toEqual({ origin: 'source' });
      expect((await bodyBytes(got.Body)).equals(data)).toBe(true);
    }
    // The source is untouched.
    expect((await getBytes(s3, src, srcKey)).equals(data)).toBe(true);
  });

  it('REPLACE directive replaces metadata and content headers', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cprepl');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'a', 'payload', { ContentType: 'text/plain', Metadata: { old: '1' } });
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'b',
        CopySource: copySource(bucket, 'a'),
        MetadataDirective: 'REPLACE',
        ContentType: 'application/json',
        CacheControl: 'no-cache',
        Metadata: { new: '2' },
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'b' }));
    expect(head.ContentType).toBe('application/json');
    expect(head.CacheControl).toBe('no-cache');
    expect(head.Metadata).toEqual({ new: '2' });
    expect((await getBytes(s3, bucket, 'b')).toString()).toBe('payload');
  });

  it('self-copy with REPLACE changes metadata and keeps the data; without REPLACE it is rejected', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cpself');
    await createBucket(s3, bucket);
    const key = 'self/😀 key';
    const data = bytesFor(1500_000, 'self');
    await put(s3, bucket, key, data, { Metadata: { v: '1' } });
    await expectS3Error(
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: copySource(bucket, key) })),
      'InvalidRequest',
      400,
    );
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: copySource(bucket, key),
        MetadataDirective: 'REPLACE',
        Metadata: { v: '2' },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(got.Metadata).toEqual({ v: '2' });
    expect((await bodyBytes(got.Body)).equals(data)).toBe(true);
  });

  it('x-amz-copy-source-if-* preconditions that fail answer 412 and copy nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cpcond');
    await createBucket(s3, bucket);
    const etag = (await put(s3, bucket, 'src', 'conditional')).ETag ?? '';
    const lm =
      (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'src' }))).LastModified ?? new Date();
    const past = new Date(lm.getTime() - 3600_000);
    const future = new Date(lm.getTime() + 3600_000);
    const failing = [
      { CopySourceIfMatch: '"00000000000000000000000000000000"' },
      { CopySourceIfNoneMatch: etag },
      { CopySourceIfUnmodifiedSince: past },
      { CopySourceIfModifiedSince: future },
    ];
    for (const cond of failing) {
      await expectS3Error(
        s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: 'dst',
            CopySource: copySource(bucket, 'src'),
            ...cond,
          }),
        ),
        'PreconditionFailed',
        412,
      );
      await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst' })), 404);
    }
    const passing = [
      { CopySourceIfMatch: etag },
      { CopySourceIfNoneMatch: '"00000000000000000000000000000000"' },
      { CopySourceIfUnmodifiedSince: future },
      { CopySourceIfModifiedSince: past },
    ];
    for (const cond of passing) {
      const r = await s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: 'dst', CopySource: copySource(bucket, 'src'), ...cond }),
      );
      expect(r.CopyObjectResult?.ETag).toBe(etag);
    }
  });

  it('copying a missing source fails with NoSuchKey', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cpmissing');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: 'dst', CopySource: copySource(bucket, 'nope 😀') }),
      ),
      'NoSuchKey',
      404,
    );
  });
});
