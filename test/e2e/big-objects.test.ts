import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { describe, expect, it } from 'vitest';
import { generatedRangeSha256, generatedSha256, generatedStream, sha256OfBody } from '../helpers/data.js';
import { createBucket } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;
const BIG_BYTES = 100 * MiB;

describe('big objects', () => {
  const server = useStrataServer();

  it('a 100 MiB object uploaded with lib-storage from a generated stream reads back identical', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('big-upload');
    await createBucket(s3, bucket);
    const key = 'big/100 MiB 😀.bin';
    const { stream, digest } = generatedStream(BIG_BYTES, 'big-lib-storage');
    // A part size above the object size keeps lib-storage on a single PutObject.
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: stream, ContentType: 'application/x-big' },
      partSize: BIG_BYTES + MiB,
      queueSize: 1,
    });
    const done = await upload.done();
    expect(done.$metadata.httpStatusCode).toBe(200);
    const sentSha = await digest;

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(BIG_BYTES);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const { sha256, sizeBytes } = await sha256OfBody(got.Body);
    expect(sizeBytes).toBe(BIG_BYTES);
    expect(sha256).toBe(sentSha);
  });

  it('a 100 MiB PutObject with a streamed body of known length reads back identical, also by ranges', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('big-stream');
    await createBucket(s3, bucket);
    const key = '//big/streamed %2F+.bin';
    const { stream, digest } = generatedStream(BIG_BYTES, 'big-put-stream');
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: stream, ContentLength: BIG_BYTES }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const sentSha = await digest;
    expect(sentSha).toBe(generatedSha256(BIG_BYTES, 'big-put-stream'));

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const whole = await sha256OfBody(got.Body);
    expect(whole).toEqual({ sha256: sentSha, sizeBytes: BIG_BYTES });

    // The tail from the middle of a block to the end, streamed.
    const start = 77 * MiB + 12_345;
    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-` }),
    );
    expect(ranged.ContentLength).toBe(BIG_BYTES - start);
    const tail = await sha256OfBody(ranged.Body);
    expect(tail).toEqual({
      sha256: generatedRangeSha256(BIG_BYTES, 'big-put-stream', start, BIG_BYTES - 1),
      sizeBytes: BIG_BYTES - start,
    });
  });
});
