/**
 * Server-side encryption end to end (issue 5): SSE-S3, SSE-KMS and SSE-C through the AWS
 * SDK against a real server with the built-in KMS, checked on the wire and on the drives.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  GetBucketEncryptionCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ObjectAttributes,
  PutBucketEncryptionCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bytesFor, md5Hex } from '../helpers/data.js';
import { shardFiles } from '../helpers/drives.js';
import { createBucket, expectS3Error, expectStatus } from '../helpers/s3.js';
import { customerKey, getBytes, KMS_SECRET, withHeaders } from '../helpers/sse.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

/** True when `needle` occurs in any shard file of the drives. */
async function drivesContain(drives: readonly string[], needle: Buffer): Promise<boolean> {
  for (const drive of drives) {
    for (const file of await shardFiles(drive)) {
      if ((await readFile(file)).includes(needle)) return true;
    }
  }
  return false;
}

const KiB = 1024;
const PACKAGE = 64 * KiB;

describe('server-side encryption', () => {
  const server = useStrataServer({
    env: { STRATA_KMS_SECRET_KEY: KMS_SECRET, STRATA_SSEC_ALLOW_HTTP: '1' },
  });

  it('SSE-S3: round trip, AES256 on PUT/GET/HEAD, plaintext size and MD5 ETag, ciphertext on the drives', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-s3');
    await createBucket(s3, bucket);
    const body = Buffer.concat([Buffer.from('strata-sse-marker-'), bytesFor(300 * KiB, 'sse-s3')]);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'a/obj', Body: body, ServerSideEncryption: 'AES256' }),
    );
    expect(put.ServerSideEncryption).toBe('AES256');
    expect(put.ETag).toBe(`"${md5Hex(body)}"`);
    const { bytes, res } = await getBytes(s3, { Bucket: bucket, Key: 'a/obj' });
    expect(bytes.equals(body)).toBe(true);
    expect(res.ServerSideEncryption).toBe('AES256');
    expect(res.ContentLength).toBe(body.length);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a/obj' }));
    expect(head.ServerSideEncryption).toBe('AES256');
    expect(head.ContentLength).toBe(body.length);
    const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(list.Contents?.map((o) => [o.Key, o.Size, o.ETag])).toEqual([
      ['a/obj', body.length, `"${md5Hex(body)}"`],
    ]);
    // A 300 KiB object is stored in shard files: the plaintext marker is nowhere on disk.
    expect(await drivesContain(server().drives, Buffer.from('strata-sse-marker-'))).toBe(false);
  });

  it('SSE-KMS: named key, context echoed, ETag is not the MD5, unknown key refused', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-kms');
    await createBucket(s3, bucket);
    const body = bytesFor(70 * KiB, 'sse-kms');
    const context = Buffer.from(JSON.stringify({ department: 'finance' })).toString('base64');
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'k',
        Body: body,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'strata-default',
        SSEKMSEncryptionContext: context,
      }),
    );
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.SSEKMSKeyId).toBe('strata-default');
    expect(put.SSEKMSEncryptionContext).toBe(context);
    expect(put.ETag).not.toBe(`"${md5Hex(body)}"`);
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const { bytes, res } = await getBytes(s3, { Bucket: bucket, Key: 'k' });
    expect(bytes.equals(body)).toBe(true);
    expect(res.SSEKMSKeyId).toBe('strata-default');
    expect(res.ETag).toBe(put.ETag);
    await expectS3Error(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'k2',
          Body: 'x',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: 'no-such-key',
        }),
      ),
      'KMS.NotFoundException',
      400,
    );
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k2' })).then(() => undefined),
      'NotFound',
      404,
    );
  });

  it('SSE-C: round trip with the key; missing, wrong and stray keys get the AWS errors', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-c');
    await createBucket(s3, bucket);
    const body = bytesFor(200 * KiB + 5, 'sse-c');
    const { headers } = customerKey();
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c', Body: body, ...headers }));
    expect(put.SSECustomerAlgorithm).toBe('AES256');
    expect(put.SSECustomerKeyMD5).toBe(headers.SSECustomerKeyMD5);
    expect(put.ETag).not.toBe(`"${md5Hex(body)}"`);
    const { bytes, res } = await getBytes(s3, { Bucket: bucket, Key: 'c', ...headers });
    expect(bytes.equals(body)).toBe(true);
    expect(res.SSECustomerKeyMD5).toBe(headers.SSECustomerKeyMD5);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'c', ...headers }));
    expect(head.ContentLength).toBe(body.length);

    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c' })), 'InvalidRequest', 400);
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'c' })), 400);
    const other = customerKey('two').headers;
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c', ...other })),
      'AccessDenied',
      403,
    );
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'c', ...other })), 403);
    // GetObjectAttributes needs the key too, and reports the plaintext size.
    const attributes = {
      Bucket: bucket,
      Key: 'c',
      ObjectAttributes: ['ObjectSize', 'ETag'] as ObjectAttributes[],
    };
    await expectS3Error(s3.send(new GetObjectAttributesCommand(attributes)), 'InvalidRequest', 400);
    const attrs = await s3.send(new GetObjectAttributesCommand({ ...attributes, ...headers }));
    expect(attrs.ObjectSize).toBe(body.length);
    expect(`"${attrs.ETag}"`).toBe(put.ETag);
    // A key for an object that is not SSE-C.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'p' }));
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'plain', ...headers })),
      'InvalidRequest',
      400,
    );
    // Malformed key headers change nothing.
    await expectS3Error(
      s3.send(
        withHeaders(new PutObjectCommand({ Bucket: bucket, Key: 'bad', Body: 'x', ...headers }), {
          'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update('other').digest('base64'),
        }),
      ),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'bad',
          Body: 'x',
          ...headers,
          SSECustomerAlgorithm: 'AES128' as 'AES256',
        }),
      ),
      'InvalidEncryptionAlgorithmError',
      400,
    );
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad' })), 404);
  });

  it('range GETs at 64 KiB package boundaries return exactly the plaintext bytes, in every mode', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-range');
    await createBucket(s3, bucket);
    const size = 3 * PACKAGE + 100;
    const body = bytesFor(size, 'sse-range');
    const modes = {
      s3: { ServerSideEncryption: 'AES256' as const },
      kms: { ServerSideEncryption: 'aws:kms' as const },
      c: customerKey('range').headers,
    };
    const ranges: [number, number][] = [
      [0, 0],
      [0, PACKAGE - 1],
      [PACKAGE - 1, PACKAGE],
      [PACKAGE, 2 * PACKAGE - 1],
      [PACKAGE - 5, 2 * PACKAGE + 5],
      [3 * PACKAGE, size - 1],
      [size - 1, size - 1],
      [123, size - 1],
    ];
    for (const [name, sse] of Object.entries(modes)) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: body, ...sse }));
      const readSse = name === 'c' ? sse : {};
      for (const [start, end] of ranges) {
        const { bytes, res } = await getBytes(s3, {
          Bucket: bucket,
          Key: name,
          Range: `bytes=${start}-${end}`,
          ...readSse,
        });
        expect(res.ContentRange, `${name} ${start}-${end}`).toBe(`bytes ${start}-${end}/${size}`);
        expect(bytes.equals(body.subarray(start, end + 1)), `${name} ${start}-${end}`).toBe(true);
      }
      const suffix = await getBytes(s3, { Bucket: bucket, Key: name, Range: 'bytes=-70000', ...readSse });
      expect(suffix.bytes.equals(body.subarray(size - 70000))).toBe(true);
      await expectS3Error(
        s3.send(new GetObjectCommand({ Bucket: bucket, Key: name, Range: `bytes=${size}-`, ...readSse })),
        'InvalidRange',
        416,
      );
    }
  });

  it('empty and 1-byte encrypted objects round trip', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-tiny');
    await createBucket(s3, bucket);
    for (const body of [Buffer.alloc(0), Buffer.from('x'), randomBytes(PACKAGE)]) {
      const key = `len-${body.length}`;
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ServerSideEncryption: 'AES256' }),
      );
      const { bytes, res } = await getBytes(s3, { Bucket: bucket, Key: key });
      expect(bytes.equals(body)).toBe(true);
      expect(res.ContentLength).toBe(body.length);
    }
  });

  it('refuses SSE headers on reads and contradictory SSE headers on writes', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-bad');
    await createBucket(s3, bucket);
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'o', Body: 'x', ServerSideEncryption: 'AES256' }),
    );
    await expectS3Error(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'both',
          Body: 'x',
          ServerSideEncryption: 'AES256',
          ...customerKey().headers,
        }),
      ),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'kid', Body: 'x', SSEKMSKeyId: 'strata-default' })),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'alg',
          Body: 'x',
          ServerSideEncryption: 'aes:kms' as 'AES256',
        }),
      ),
      'InvalidArgument',
      400,
    );
    await expectStatus(
      s3.send(
        withHeaders(new HeadObjectCommand({ Bucket: bucket, Key: 'o' }), {
          'x-amz-server-side-encryption': 'AES256',
        }),
      ),
      400,
    );
    for (const key of ['both', 'kid', 'alg']) {
      await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), 404);
    }
  });
});

describe('server-side encryption without a KMS', () => {
  const server = useStrataServer();

  it('SSE-S3 is NotImplemented, SSE-C over plain HTTP is refused, nothing is stored', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-nokms');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'o', Body: 'x', ServerSideEncryption: 'AES256' })),
      'NotImplemented',
      501,
    );
    await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'o', Body: 'x', ...customerKey().headers })),
      'InvalidRequest',
      400,
    );
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'o' })), 404);
    // A bucket default it could not honour is refused rather than stored.
    await expectS3Error(
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
          },
        }),
      ),
      'NotImplemented',
      501,
    );
    await expectS3Error(
      s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
      'ServerSideEncryptionConfigurationNotFoundError',
      404,
    );
  });
});
