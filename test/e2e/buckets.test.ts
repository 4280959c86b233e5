import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parseXmlError, signedRequest } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, expectStatus, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

describe('buckets', () => {
  const server = useStrataServer();

  it('createBucket makes a bucket that listBuckets returns with its creation date', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('list');
    const before = Date.now();
    await createBucket(s3, bucket);
    const r = await s3.send(new ListBucketsCommand({}));
    const found = r.Buckets?.find((b) => b.Name === bucket);
    expect(found).toBeDefined();
    expect(found?.CreationDate).toBeInstanceOf(Date);
    // Creation dates have second precision on the wire.
    expect(found?.CreationDate?.getTime()).toBeGreaterThanOrEqual(before - 2_000);
    expect(found?.CreationDate?.getTime()).toBeLessThanOrEqual(Date.now() + 2_000);
    expect(r.Owner?.ID).toBeTruthy();
    // Names come back in lexical order.
    const names = (r.Buckets ?? []).map((b) => b.Name ?? '');
    expect(names).toEqual([...names].sort());
  });

  it('createBucket on an existing bucket of ours succeeds in us-east-1, as AWS, and keeps its objects', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('dup');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'kept', 'still here');
    const again = await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    expect(again.$metadata.httpStatusCode).toBe(200);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'kept' }))).ContentLength).toBe(10);
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(64)],
    ['upper case', 'UpperCase-bucket'],
    ['underscore', 'under_score'],
    ['ip address', '192.168.10.20'],
    ['adjacent dots', 'bad..dots'],
    ['leading hyphen', '-leading'],
    ['trailing hyphen', 'trailing-'],
    ['dot next to hyphen', 'dot.-hyphen'],
    ['xn-- prefix', 'xn--punycode'],
  ])('createBucket rejects an invalid name (%s) with InvalidBucketName', async (_label, name) => {
    // Raw request: the SDK may refuse some of these names before sending.
    const r = await signedRequest(server().endpoint, { method: 'PUT', path: `/${encodeURIComponent(name)}` });
    expect(r.status, r.text).toBe(400);
    expect(parseXmlError(r.text).code).toBe('InvalidBucketName');
    const list = await server().client().send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).not.toContain(name);
  });

  it('accepts names at the length limits and with dots', async () => {
    const s3 = server().client();
    const short = 'a-1';
    const long = `${uniqueBucketName('long')}-`.padEnd(63, 'z');
    const dotted = `${uniqueBucketName('dot')}.with.dots`;
    for (const name of [short, long, dotted]) {
      await createBucket(s3, name);
      await s3.send(new HeadBucketCommand({ Bucket: name }));
      await s3.send(new DeleteBucketCommand({ Bucket: name }));
    }
  });

  it('headBucket answers 200 for an existing bucket and 404 for a missing one', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('head');
    await createBucket(s3, bucket);
    const ok = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    expect(ok.$metadata.httpStatusCode).toBe(200);
    await expectStatus(s3.send(new HeadBucketCommand({ Bucket: uniqueBucketName('missing') })), 404);
  });

  it('deleteBucket refuses a non-empty bucket with BucketNotEmpty, then deletes it once empty', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('del');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'emoji 😀 key', 'x');
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: bucket })), 'BucketNotEmpty', 409);
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'emoji 😀 key' }));
    const del = await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectStatus(s3.send(new HeadBucketCommand({ Bucket: bucket })), 404);
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).not.toContain(bucket);
  });

  it('deleteBucket on a missing bucket fails with NoSuchBucket', async () => {
    await expectS3Error(
      server()
        .client()
        .send(new DeleteBucketCommand({ Bucket: uniqueBucketName('nobucket') })),
      'NoSuchBucket',
      404,
    );
  });

  it('getBucketLocation returns the default region as an empty constraint', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('loc');
    await createBucket(s3, bucket);
    const r = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
    expect(r.$metadata.httpStatusCode).toBe(200);
    expect(r.LocationConstraint ?? '').toBe('');
    await expectS3Error(
      s3.send(new GetBucketLocationCommand({ Bucket: uniqueBucketName('nobucket') })),
      'NoSuchBucket',
      404,
    );
  });

  it('operations on objects in a missing bucket fail with NoSuchBucket', async () => {
    const s3 = server().client();
    await expectS3Error(put(s3, uniqueBucketName('nobucket'), 'k', 'v'), 'NoSuchBucket', 404);
  });

  it('x-amz-expected-bucket-owner: the owner id passes, any other id is AccessDenied and nothing is written', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('expected-owner');
    await createBucket(s3, bucket);
    const owner = (await s3.send(new ListBucketsCommand({}))).Owner?.ID ?? '';
    expect(owner).not.toBe('');
    await put(s3, bucket, 'mine', 'v', { ExpectedBucketOwner: owner });
    await expectS3Error(
      put(s3, bucket, 'theirs', 'v', { ExpectedBucketOwner: `${owner}foo` }),
      'AccessDenied',
      403,
    );
    await expectS3Error(
      s3.send(new ListObjectsV2Command({ Bucket: bucket, ExpectedBucketOwner: '111122223333' })),
      'AccessDenied',
      403,
    );
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key);
    expect(keys).toEqual(['mine']);
  });
});
