import {
  CopyObjectCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectTaggingCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { XML_SAFE_HOSTILE_KEYS } from '../helpers/data.js';
import { encodeKey, escapeUri, signedRequest } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

function tags(n: number, prefix = 'k'): Tag[] {
  return Array.from({ length: n }, (_, i) => ({
    Key: `${prefix}${String(i).padStart(2, '0')}`,
    Value: `v${i}`,
  }));
}

async function objectTags(s3: S3Client, bucket: string, key: string, versionId?: string): Promise<Tag[]> {
  return (
    (await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).TagSet ??
    []
  );
}

describe('object tagging', () => {
  const server = useStrataServer();

  it('puts, gets and deletes tags on hostile keys without changing Last-Modified', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('tag-obj');
    await createBucket(s3, bucket);
    for (const key of XML_SAFE_HOSTILE_KEYS) {
      await put(s3, bucket, key, 'x');
      const before = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(before.TagCount).toBeUndefined();
      const set = [
        { Key: 'zeta', Value: 'last' },
        { Key: 'Alpha key', Value: 'ünïcödé +-=._:/@' },
      ];
      await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: set } }));
      expect(await objectTags(s3, bucket, key)).toEqual([set[1], set[0]]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.TagCount).toBe(2);
      expect(head.LastModified).toEqual(before.LastModified);
      expect(head.ETag).toBe(before.ETag);
      await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: key }));
      expect(await objectTags(s3, bucket, key)).toEqual([]);
    }
  });

  it('enforces AWS limits with InvalidTag and leaves the tags unchanged', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('tag-limits');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'x');
    const putTags = (TagSet: Tag[]) =>
      s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'k', Tagging: { TagSet } }));
    await putTags(tags(10));
    await putTags([{ Key: 'k'.repeat(128), Value: 'v'.repeat(256) }]);
    for (const bad of [
      tags(11),
      [{ Key: 'k'.repeat(129), Value: 'v' }],
      [{ Key: 'k', Value: 'v'.repeat(257) }],
      [
        { Key: 'same', Value: '1' },
        { Key: 'same', Value: '2' },
      ],
      [{ Key: 'bad#char', Value: 'v' }],
      [{ Key: 'aws:reserved', Value: 'v' }],
    ]) {
      await expectS3Error(putTags(bad), 'InvalidTag', 400);
    }
    expect(await objectTags(s3, bucket, 'k')).toEqual([{ Key: 'k'.repeat(128), Value: 'v'.repeat(256) }]);
    await expectS3Error(objectTags(s3, bucket, 'missing'), 'NoSuchKey', 404);
  });

  it('x-amz-tagging on PutObject is URL query encoded; a name without = has an empty value', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('tag-put');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'sdk', 'x', { Tagging: 'a%20b=c%2Bd&e=' });
    expect(await objectTags(s3, bucket, 'sdk')).toEqual([
      { Key: 'a b', Value: 'c+d' },
      { Key: 'e', Value: '' },
    ]);
    const raw = await signedRequest(server().endpoint, {
      method: 'PUT',
      path: `/${bucket}/${encodeKey('raw 😀')}`,
      headers: { 'x-amz-tagging': 'foo=bar&bar' },
      body: 'data',
    });
    expect(raw.status).toBe(200);
    expect(await objectTags(s3, bucket, 'raw 😀')).toEqual([
      { Key: 'bar', Value: '' },
      { Key: 'foo', Value: 'bar' },
    ]);
    const get = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'raw 😀' }));
    expect(get.TagCount).toBe(2);
    await get.Body?.transformToByteArray();
    await expectS3Error(
      put(s3, bucket, 'too-many', 'x', {
        Tagging: tags(11)
          .map((t) => `${t.Key}=${t.Value}`)
          .join('&'),
      }),
      'InvalidTag',
      400,
    );
  });

  it('CopyObject keeps the source tags by default and replaces them with x-amz-tagging-directive REPLACE', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('tag-copy');
    await createBucket(s3, bucket);
    const src = 'src +%.txt';
    await put(s3, bucket, src, 'x', { Tagging: 'from=source' });
    const copySource = `${bucket}/${escapeUri(src)}`;
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'kept', CopySource: copySource }));
    expect(await objectTags(s3, bucket, 'kept')).toEqual([{ Key: 'from', Value: 'source' }]);
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'replaced',
        CopySource: copySource,
        TaggingDirective: 'REPLACE',
        Tagging: 'new=tag',
      }),
    );
    expect(await objectTags(s3, bucket, 'replaced')).toEqual([{ Key: 'new', Value: 'tag' }]);
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'cleared',
        CopySource: copySource,
        TaggingDirective: 'REPLACE',
      }),
    );
    expect(await objectTags(s3, bucket, 'cleared')).toEqual([]);
    // Metadata REPLACE does not drop tags kept by the tagging directive.
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'meta',
        CopySource: copySource,
        MetadataDirective: 'REPLACE',
        Metadata: { color: 'blue' },
      }),
    );
    expect(await objectTags(s3, bucket, 'meta')).toEqual([{ Key: 'from', Value: 'source' }]);
  });

  it('tags each version separately with versionId', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('tag-ver');
    await createBucket(s3, bucket);
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const v1 = (await put(s3, bucket, 'k', 'one', { Tagging: 'v=1' })).VersionId;
    const v2 = (await put(s3, bucket, 'k', 'two')).VersionId;
    const r = await s3.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: 'k',
        VersionId: v1,
        Tagging: { TagSet: [{ Key: 'v', Value: 'one' }] },
      }),
    );
    expect(r.VersionId).toBe(v1);
    expect(await objectTags(s3, bucket, 'k', v1)).toEqual([{ Key: 'v', Value: 'one' }]);
    expect(await objectTags(s3, bucket, 'k', v2)).toEqual([]);
    expect(await objectTags(s3, bucket, 'k')).toEqual([]);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'k', VersionId: v1 }));
    expect(await objectTags(s3, bucket, 'k', v1)).toEqual([]);
  });
});

describe('bucket tagging', () => {
  const server = useStrataServer();

  it('round-trips up to 50 tags, NoSuchTagSet when unset, and 204 on delete', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('tag-bucket');
    await createBucket(s3, bucket);
    await expectS3Error(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), 'NoSuchTagSet', 404);
    const set = tags(50);
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: set } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual(set);
    await expectS3Error(
      s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags(51) } })),
      'InvalidTag',
      400,
    );
    const del = await s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectS3Error(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), 'NoSuchTagSet', 404);
    await expectS3Error(
      s3.send(new GetBucketTaggingCommand({ Bucket: uniqueBucketName('missing') })),
      'NoSuchBucket',
      404,
    );
  });
});
