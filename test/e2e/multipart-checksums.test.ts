import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../server/checksums/index.js';
import { bodyBytes, bytesFor } from '../helpers/data.js';
import { createBucket, expectS3Error } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;
type Alg = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
type Field = `Checksum${Alg}`;

const b64 = async (alg: Alg, data: Buffer): Promise<string> =>
  Buffer.from(await checksumOf(alg, data)).toString('base64');

/** Uploads `parts` with the SDK computing `alg` per part; returns the completed-part list. */
async function uploadWithChecksums(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  alg: Alg,
  parts: readonly Buffer[],
): Promise<CompletedPart[]> {
  const field = `Checksum${alg}` as Field;
  const out: CompletedPart[] = [];
  for (const [i, body] of parts.entries()) {
    const r = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: i + 1,
        Body: body,
        ChecksumAlgorithm: alg,
      }),
    );
    expect(r[field], `part ${i + 1}`).toBe(await b64(alg, body));
    out.push({ PartNumber: i + 1, ETag: r.ETag, [field]: r[field] });
  }
  return out;
}

describe('multipart checksums', () => {
  const server = useStrataServer();
  const parts = [bytesFor(5 * MiB, 'ck1'), bytesFor(5 * MiB + 17, 'ck2'), bytesFor(1234, 'ck3')];
  const whole = Buffer.concat(parts);

  it.each(['CRC32', 'CRC32C', 'CRC64NVME'] as const)(
    '%s FULL_OBJECT: the object checksum is the CRC of the whole object, validated by the SDK on GET',
    async (alg) => {
      const s3 = server().client();
      const bucket = uniqueBucketName(`mpck-full-${alg}`);
      await createBucket(s3, bucket);
      const field = `Checksum${alg}` as Field;
      const created = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          ChecksumAlgorithm: alg,
          ChecksumType: 'FULL_OBJECT',
        }),
      );
      expect(created.ChecksumAlgorithm).toBe(alg);
      expect(created.ChecksumType).toBe('FULL_OBJECT');
      const uploadId = created.UploadId as string;
      const completed = await uploadWithChecksums(s3, bucket, 'k', uploadId, alg, parts);
      const want = await b64(alg, whole);
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
          [field]: want,
        }),
      );
      expect(done[field]).toBe(want);
      expect(done.ChecksumType).toBe('FULL_OBJECT');

      const head = await s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }),
      );
      expect(head[field]).toBe(want);
      expect(head.ChecksumType).toBe('FULL_OBJECT');
      expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' })))[field]).toBeUndefined();
      // The SDK checks the streamed body against a full-object checksum.
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }));
      expect(got[field]).toBe(want);
      expect((await bodyBytes(got.Body)).equals(whole)).toBe(true);
      // A part read carries that part's checksum.
      const part2 = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: 'k', PartNumber: 2, ChecksumMode: 'ENABLED' }),
      );
      expect(part2[field]).toBe(await b64(alg, parts[1] as Buffer));
      expect((await bodyBytes(part2.Body)).equals(parts[1] as Buffer)).toBe(true);
    },
  );

  it.each(['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const)(
    '%s COMPOSITE: the object checksum is the checksum of the part checksums with -N',
    async (alg) => {
      const s3 = server().client();
      const bucket = uniqueBucketName(`mpck-comp-${alg}`);
      await createBucket(s3, bucket);
      const field = `Checksum${alg}` as Field;
      const created = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: alg }),
      );
      expect(created.ChecksumType).toBe('COMPOSITE');
      const uploadId = created.UploadId as string;
      const completed = await uploadWithChecksums(s3, bucket, 'k', uploadId, alg, parts);
      const raw = Buffer.concat(
        await Promise.all(parts.map(async (p) => Buffer.from(await checksumOf(alg, p)))),
      );
      const want = `${await b64(alg, raw)}-${parts.length}`;
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
        }),
      );
      expect(done[field]).toBe(want);
      expect(done.ChecksumType).toBe('COMPOSITE');
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }),
      );
      expect(head[field]).toBe(want);
      expect(head.ChecksumType).toBe('COMPOSITE');
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }));
      expect((await bodyBytes(got.Body)).equals(whole)).toBe(true);
    },
  );

  it('an upload without an algorithm gets a FULL_OBJECT CRC64NVME when parts carry no checksum', async () => {
    const s3 = server().newClient({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    try {
      const bucket = uniqueBucketName('mpck-default');
      await createBucket(s3, bucket);
      const uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k' })))
        .UploadId as string;
      const completed: CompletedPart[] = [];
      for (const [i, body] of parts.entries()) {
        const r = await s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: 'k',
            UploadId: uploadId,
            PartNumber: i + 1,
            Body: body,
          }),
        );
        expect(r.ChecksumCRC64NVME).toBe(await b64('CRC64NVME', body));
        completed.push({ PartNumber: i + 1, ETag: r.ETag });
      }
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
        }),
      );
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }),
      );
      expect(head.ChecksumCRC64NVME).toBe(await b64('CRC64NVME', whole));
      expect(head.ChecksumType).toBe('FULL_OBJECT');
    } finally {
      s3.destroy();
    }
  });

  it('refuses wrong checksums: part algorithm mismatch, part checksum in the request, object checksum', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mpck-bad');
    await createBucket(s3, bucket);
    const uploadId = (
      await s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'SHA256' }),
      )
    ).UploadId as string;
    await expectS3Error(
      s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          PartNumber: 1,
          Body: 'x',
          ChecksumAlgorithm: 'CRC32',
        }),
      ),
      'InvalidRequest',
      400,
    );
    await expectS3Error(
      s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          PartNumber: 1,
          Body: 'x',
          ChecksumSHA256: await b64('SHA256', Buffer.from('y')),
        }),
      ),
      'BadDigest',
      400,
    );
    const completed = await uploadWithChecksums(s3, bucket, 'k', uploadId, 'SHA256', [Buffer.from('abc')]);
    const complete = (extra: object, partsList = completed) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: partsList },
          ...extra,
        }),
      );
    await expectS3Error(
      complete({}, [{ ...completed[0], ChecksumSHA256: await b64('SHA256', Buffer.from('zzz')) }]),
      'BadDigest',
      400,
    );
    await expectS3Error(
      complete({ ChecksumSHA256: `${await b64('SHA256', Buffer.from('nope'))}-1` }),
      'BadDigest',
      400,
    );
    const raw = Buffer.from(await checksumOf('SHA256', Buffer.from('abc')));
    const want = `${await b64('SHA256', raw)}-1`;
    const done = await complete({ ChecksumSHA256: want });
    expect(done.ChecksumSHA256).toBe(want);
  });

  it('refuses unsupported algorithm and type combinations at CreateMultipartUpload', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mpck-create');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          ChecksumAlgorithm: 'SHA256',
          ChecksumType: 'FULL_OBJECT',
        }),
      ),
      'InvalidRequest',
      400,
    );
    await expectS3Error(
      s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          ChecksumAlgorithm: 'CRC64NVME',
          ChecksumType: 'COMPOSITE',
        }),
      ),
      'InvalidRequest',
      400,
    );
    await expectS3Error(
      s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumType: 'COMPOSITE' })),
      'InvalidRequest',
      400,
    );
  });
});
