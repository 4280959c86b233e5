/**
 * Server-side encryption across multipart uploads, copies, POST uploads and bucket default
 * encryption (issue 5), through the AWS SDK against a real server with the built-in KMS.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../storage/index.js';
import { bytesFor, md5Hex } from '../helpers/data.js';
import { createBucket, expectS3Error, expectStatus } from '../helpers/s3.js';
import { customerKey, getBytes, KMS_SECRET, withHeaders, withResponseHeaders } from '../helpers/sse.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const PACKAGE = 64 * KiB;

type SseInput = Record<string, string>;

/** Uploads `parts` as a multipart upload with `sse` on create and `partSse` on each part. */
async function multipartUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  parts: Buffer[],
  sse: SseInput,
  partSse: SseInput,
  partRawHeaders: Record<string, string> = {},
): Promise<{
  etag: string;
  createHeaders: Record<string, unknown>;
  completeHeaders: Record<string, unknown>;
}> {
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...sse }));
  const uploadId = created.UploadId as string;
  const done: { PartNumber: number; ETag: string }[] = [];
  for (const [i, body] of parts.entries()) {
    const part = new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: i + 1,
      Body: body,
      ...partSse,
    });
    const r = await s3.send(withHeaders(part, partRawHeaders));
    done.push({ PartNumber: i + 1, ETag: r.ETag as string });
  }
  const complete = { Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: done } };
  if (partSse.SSECustomerKey !== undefined) {
    // An SSE-C upload is completed with its key only.
    await expectS3Error(s3.send(new CompleteMultipartUploadCommand(complete)), 'InvalidRequest', 400);
  }
  const completion = withResponseHeaders(new CompleteMultipartUploadCommand({ ...complete, ...partSse }));
  const completed = await s3.send(completion.command);
  return {
    etag: completed.ETag as string,
    createHeaders: created as unknown as Record<string, unknown>,
    completeHeaders: completion.headers,
  };
}

describe('server-side encryption: multipart, copy, POST, bucket default', () => {
  const server = useStrataServer({
    env: { STRATA_KMS_SECRET_KEY: KMS_SECRET, STRATA_SSEC_ALLOW_HTTP: '1' },
  });

  it('multipart SSE-C: parts sealed with the upload key, ranges across parts, partNumber reads, key on every part', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-mp-c');
    await createBucket(s3, bucket);
    const { headers } = customerKey('mp');
    const parts = [bytesFor(5 * MiB, 'p1'), bytesFor(5 * MiB + 3, 'p2'), bytesFor(PACKAGE + 1, 'p3')];
    const all = Buffer.concat(parts);
    const { etag, createHeaders, completeHeaders } = await multipartUpload(
      s3,
      bucket,
      'mp',
      parts,
      headers,
      headers,
    );
    expect(createHeaders.SSECustomerAlgorithm).toBe('AES256');
    expect(completeHeaders['x-amz-server-side-encryption-customer-key-md5']).toBe(headers.SSECustomerKeyMD5);
    expect(etag).toMatch(/^"[0-9a-f]{32}-3"$/);

    const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(list.Contents?.[0]?.Size).toBe(all.length);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mp', ...headers }));
    expect(head.ContentLength).toBe(all.length);
    const whole = await getBytes(s3, { Bucket: bucket, Key: 'mp', ...headers });
    expect(whole.bytes.equals(all)).toBe(true);
    for (const [start, end] of [
      [5 * MiB - 10, 5 * MiB + 10],
      [5 * MiB - PACKAGE, 10 * MiB + 5],
      [all.length - PACKAGE - 2, all.length - 1],
      [0, 2 * MiB],
    ] as const) {
      const r = await getBytes(s3, { Bucket: bucket, Key: 'mp', Range: `bytes=${start}-${end}`, ...headers });
      expect(r.bytes.equals(all.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
    const part2 = await getBytes(s3, { Bucket: bucket, Key: 'mp', PartNumber: 2, ...headers });
    expect(part2.bytes.equals(parts[1] as Buffer)).toBe(true);
    expect(part2.res.ContentLength).toBe((parts[1] as Buffer).length);

    // Every part of an SSE-C upload needs the key; another key is refused before anything is
    // stored; SSE headers other than SSE-C ones on a part are ignored (the upload decided).
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp2', ...headers }),
    );
    const upload = { Bucket: bucket, Key: 'mp2', UploadId: created.UploadId as string, PartNumber: 1 };
    await expectS3Error(s3.send(new UploadPartCommand({ ...upload, Body: 'x' })), 'InvalidRequest', 400);
    await expectS3Error(
      s3.send(new UploadPartCommand({ ...upload, Body: 'x', ...customerKey('other').headers })),
      'InvalidArgument',
      400,
    );
  });

  it('multipart SSE-KMS and SSE-S3: sizes, ETags, reads; UploadPartCopy from an SSE-C source', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-mp-kms');
    await createBucket(s3, bucket);
    const parts = [bytesFor(5 * MiB, 'k1'), bytesFor(777, 'k2')];
    const all = Buffer.concat(parts);
    const kms = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'strata-default' };
    // SSE-KMS headers on the parts (as some clients send them) are ignored: the upload decided.
    const { createHeaders } = await multipartUpload(
      s3,
      bucket,
      'kms',
      parts,
      kms,
      {},
      {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'not-this-key',
      },
    );
    expect(createHeaders.ServerSideEncryption).toBe('aws:kms');
    const got = await getBytes(s3, { Bucket: bucket, Key: 'kms' });
    expect(got.bytes.equals(all)).toBe(true);
    expect(got.res.ServerSideEncryption).toBe('aws:kms');
    expect(got.res.SSEKMSKeyId).toBe('strata-default');

    // SSE-C source, copied as parts (a range and a whole object) into an SSE-S3 upload.
    const source = customerKey('src');
    const srcData = bytesFor(6 * MiB, 'src');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: srcData, ...source.headers }));
    const created = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'dst', ServerSideEncryption: 'AES256' }),
    );
    const uploadId = created.UploadId as string;
    const copySourceKey = {
      CopySourceSSECustomerAlgorithm: 'AES256',
      CopySourceSSECustomerKey: source.headers.SSECustomerKey,
      CopySourceSSECustomerKeyMD5: source.headers.SSECustomerKeyMD5,
    };
    await expectS3Error(
      s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: 'dst',
          UploadId: uploadId,
          PartNumber: 1,
          CopySource: `${bucket}/src`,
        }),
      ),
      'InvalidRequest',
      400,
    );
    const p1 = await s3.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: 'dst',
        UploadId: uploadId,
        PartNumber: 1,
        CopySource: `${bucket}/src`,
        CopySourceRange: `bytes=${MiB - 5}-${6 * MiB - 6}`,
        ...copySourceKey,
      }),
    );
    const p2 = await s3.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: 'dst',
        UploadId: uploadId,
        PartNumber: 2,
        CopySource: `${bucket}/kms`,
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'dst',
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.CopyPartResult?.ETag as string },
            { PartNumber: 2, ETag: p2.CopyPartResult?.ETag as string },
          ],
        },
      }),
    );
    const expected = Buffer.concat([srcData.subarray(MiB - 5, 6 * MiB - 5), all]);
    const dst = await getBytes(s3, { Bucket: bucket, Key: 'dst' });
    expect(dst.res.ServerSideEncryption).toBe('AES256');
    expect(dst.res.ContentLength).toBe(expected.length);
    expect(dst.bytes.equals(expected)).toBe(true);
  });

  it('CopyObject between every pair of modes decrypts with the source key and seals with the target', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-copy');
    await createBucket(s3, bucket);
    const data = bytesFor(200 * KiB + 9, 'copy');
    const c1 = customerKey('c1').headers;
    const c2 = customerKey('c2').headers;
    const modes: Record<string, { write: SseInput; read: SseInput; source: SseInput }> = {
      none: { write: {}, read: {}, source: {} },
      s3: { write: { ServerSideEncryption: 'AES256' }, read: {}, source: {} },
      kms: { write: { ServerSideEncryption: 'aws:kms' }, read: {}, source: {} },
      c1: {
        write: c1,
        read: c1,
        source: {
          CopySourceSSECustomerAlgorithm: 'AES256',
          CopySourceSSECustomerKey: c1.SSECustomerKey,
          CopySourceSSECustomerKeyMD5: c1.SSECustomerKeyMD5,
        },
      },
    };
    const targets = { ...modes, c2: { write: c2, read: c2, source: {} } };
    for (const [from, f] of Object.entries(modes)) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `src-${from}`, Body: data, ...f.write }));
      for (const [to, t] of Object.entries(targets)) {
        const key = `copy-${from}-${to}`;
        const res = await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: key,
            CopySource: `${bucket}/src-${from}`,
            ...f.source,
            ...t.write,
          }),
        );
        const got = await getBytes(s3, { Bucket: bucket, Key: key, ...t.read });
        expect(got.bytes.equals(data), `${from} → ${to}`).toBe(true);
        expect(got.res.ContentLength).toBe(data.length);
        const expectedSse = to === 's3' ? 'AES256' : to === 'kms' ? 'aws:kms' : undefined;
        expect(res.ServerSideEncryption, `${from} → ${to}`).toBe(expectedSse);
        expect(got.res.ServerSideEncryption, `${from} → ${to}`).toBe(expectedSse);
        if (to === 'none' || to === 's3') expect(res.CopyObjectResult?.ETag).toBe(`"${md5Hex(data)}"`);
      }
    }
    // An SSE-C source without its key is refused, and nothing is written.
    await expectS3Error(
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'no-key', CopySource: `${bucket}/src-c1` })),
      'InvalidRequest',
      400,
    );
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'no-key' })), 404);
  });

  it('self-copy: REPLACE keeps the encryption; naming an encryption re-encrypts a plaintext object', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-self');
    await createBucket(s3, bucket);
    const data = bytesFor(100 * KiB, 'self');
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'enc', Body: data, ServerSideEncryption: 'AES256' }),
    );
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'enc',
        CopySource: `${bucket}/enc`,
        MetadataDirective: 'REPLACE',
        Metadata: { color: 'blue' },
      }),
    );
    const enc = await getBytes(s3, { Bucket: bucket, Key: 'enc' });
    expect(enc.bytes.equals(data)).toBe(true);
    expect(enc.res.ServerSideEncryption).toBe('AES256');
    expect(enc.res.Metadata).toEqual({ color: 'blue' });

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: data }));
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'plain',
        CopySource: `${bucket}/plain`,
        ServerSideEncryption: 'AES256',
      }),
    );
    const now = await getBytes(s3, { Bucket: bucket, Key: 'plain' });
    expect(now.bytes.equals(data)).toBe(true);
    expect(now.res.ServerSideEncryption).toBe('AES256');
  });

  it('bucket default encryption applies to PUT, multipart, copy and POST; deleting it stops it', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-default');
    await createBucket(s3, bucket);
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: 'strata-default',
              },
            },
          ],
        },
      }),
    );
    const data = bytesFor(90 * KiB, 'default');
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'put', Body: data }));
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.SSEKMSKeyId).toBe('strata-default');
    await multipartUpload(s3, bucket, 'mp', [data], {}, {});
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'explicit', Body: data, ServerSideEncryption: 'AES256' }),
    );
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/explicit` }));
    const { url, fields } = await createPresignedPost(s3, { Bucket: bucket, Key: 'post' });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([data]), 'f.bin');
    const posted = await fetch(url, { method: 'POST', body: form });
    expect(posted.status, await posted.text()).toBe(204);
    expect(posted.headers.get('x-amz-server-side-encryption')).toBe('aws:kms');
    for (const [key, sse] of [
      ['put', 'aws:kms'],
      ['mp', 'aws:kms'],
      ['explicit', 'AES256'],
      ['copy', 'aws:kms'],
      ['post', 'aws:kms'],
    ] as const) {
      const got = await getBytes(s3, { Bucket: bucket, Key: key });
      expect(got.bytes.equals(data), key).toBe(true);
      expect(got.res.ServerSideEncryption, key).toBe(sse);
    }
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
    await expectS3Error(
      s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
      'ServerSideEncryptionConfigurationNotFoundError',
      404,
    );
    const after = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'after', Body: data }));
    expect(after.ServerSideEncryption).toBeUndefined();
  });

  it('POST uploads take SSE-C and SSE-KMS form fields', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-post');
    await createBucket(s3, bucket);
    const data = bytesFor(70 * KiB, 'post');
    const c = customerKey('post').headers;
    const sseFields = {
      c: {
        'x-amz-server-side-encryption-customer-algorithm': 'AES256',
        'x-amz-server-side-encryption-customer-key': c.SSECustomerKey,
        'x-amz-server-side-encryption-customer-key-MD5': c.SSECustomerKeyMD5,
      },
      kms: {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'strata-default',
      },
    };
    for (const [name, extra] of Object.entries(sseFields)) {
      const { url, fields } = await createPresignedPost(s3, { Bucket: bucket, Key: name, Fields: extra });
      const form = new FormData();
      for (const [field, value] of Object.entries(fields)) form.append(field, value);
      form.append('file', new Blob([data]), 'f.bin');
      const posted = await fetch(url, { method: 'POST', body: form });
      expect(posted.status, await posted.text()).toBe(204);
      const got = await getBytes(s3, { Bucket: bucket, Key: name, ...(name === 'c' ? c : {}) });
      expect(got.bytes.equals(data), name).toBe(true);
    }
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c' })), 'InvalidRequest', 400);
  });
});

describe('server-side encryption: auto-encryption and ChaCha20-Poly1305', () => {
  const server = useStrataServer({
    env: {
      STRATA_KMS_SECRET_KEY: KMS_SECRET,
      STRATA_KMS_AUTO_ENCRYPTION: 'on',
      STRATA_SSE_AEAD: 'ChaCha20-Poly1305',
    },
  });

  it('encrypts every object written without SSE headers, readable across a restart', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sse-auto');
    await createBucket(s3, bucket);
    const data = bytesFor(3 * PACKAGE + 17, 'auto');
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'auto', Body: data }));
    expect(put.ServerSideEncryption).toBe('AES256');
    expect(put.ETag).toBe(`"${md5Hex(data)}"`);
    await server().restart();
    const s3b = server().client();
    const got = await getBytes(s3b, {
      Bucket: bucket,
      Key: 'auto',
      Range: `bytes=${PACKAGE - 1}-${2 * PACKAGE}`,
    });
    expect(got.bytes.equals(data.subarray(PACKAGE - 1, 2 * PACKAGE + 1))).toBe(true);
    const whole = await getBytes(s3b, { Bucket: bucket, Key: 'auto' });
    expect(whole.bytes.equals(data)).toBe(true);
    expect(whole.res.ServerSideEncryption).toBe('AES256');
  });

  it('uses the server AEAD (ChaCha20-Poly1305) unless the bucket picks another with x-strata-sse-aead', async () => {
    const s3 = server().client();
    const chacha = uniqueBucketName('aead-chacha');
    const gcm = uniqueBucketName('aead-gcm');
    await createBucket(s3, chacha);
    await createBucket(s3, gcm);
    await expectS3Error(
      s3.send(
        withHeaders(
          new PutBucketEncryptionCommand({
            Bucket: gcm,
            ServerSideEncryptionConfiguration: {
              Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
            },
          }),
          { 'x-strata-sse-aead': 'AES-128-CBC' },
        ),
      ),
      'InvalidArgument',
      400,
    );
    await s3.send(
      withHeaders(
        new PutBucketEncryptionCommand({
          Bucket: gcm,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
          },
        }),
        { 'x-strata-sse-aead': 'aes-256-gcm' },
      ),
    );
    const data = bytesFor(PACKAGE + 3, 'aead');
    for (const bucket of [chacha, gcm])
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'o', Body: data }));
    const s = server();
    await s.stop();
    const { objectLayer } = await openStorage({ drives: s.drives, logger: pino({ level: 'silent' }) });
    try {
      expect((await objectLayer.getObjectInfo(chacha, 'o')).metadata['x-strata-sse-aead']).toBe(
        'ChaCha20-Poly1305',
      );
      expect((await objectLayer.getObjectInfo(gcm, 'o')).metadata['x-strata-sse-aead']).toBe('AES-256-GCM');
    } finally {
      await objectLayer.close();
    }
    await s.restart();
    for (const bucket of [chacha, gcm]) {
      expect((await getBytes(s.client(), { Bucket: bucket, Key: 'o' })).bytes.equals(data), bucket).toBe(
        true,
      );
    }
  });
});
