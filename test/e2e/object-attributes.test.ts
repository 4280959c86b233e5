import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { checksumOf } from '../../server/checksums/index.js';
import { bytesFor, md5Hex } from '../helpers/data.js';
import { encodeKey, parseXmlError, signedRequest } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;
const ALL = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;

describe('GetObjectAttributes', () => {
  const server = useStrataServer();

  it('reports ETag, checksum, size and storage class of a single-part object', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('attr-single');
    await createBucket(s3, bucket);
    const key = 'single 😀 %2F';
    const data = bytesFor(300_000, 'attr-single');
    await put(s3, bucket, key, data, { ChecksumAlgorithm: 'SHA256' });
    const r = await s3.send(
      new GetObjectAttributesCommand({ Bucket: bucket, Key: key, ObjectAttributes: [...ALL] }),
    );
    expect(r.ETag).toBe(md5Hex(data));
    expect(r.ObjectSize).toBe(data.length);
    expect(r.StorageClass).toBe('STANDARD');
    expect(r.Checksum?.ChecksumSHA256).toBe(Buffer.from(await checksumOf('SHA256', data)).toString('base64'));
    expect(r.Checksum?.ChecksumType).toBe('FULL_OBJECT');
    expect(r.ObjectParts).toBeUndefined();
    expect(r.LastModified).toBeInstanceOf(Date);

    const some = await s3.send(
      new GetObjectAttributesCommand({
        Bucket: bucket,
        Key: key,
        ObjectAttributes: ['ObjectSize'],
        VersionId: 'null',
      }),
    );
    expect(some.ObjectSize).toBe(data.length);
    expect(some.ETag).toBeUndefined();
    expect(some.Checksum).toBeUndefined();
    await expectS3Error(
      s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'missing', ObjectAttributes: ['ETag'] })),
      'NoSuchKey',
      404,
    );
  });

  it('pages the parts of a multipart object with MaxParts and PartNumberMarker', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('attr-mp');
    await createBucket(s3, bucket);
    const parts = [
      bytesFor(5 * MiB, 'at1'),
      bytesFor(5 * MiB, 'at2'),
      bytesFor(5 * MiB, 'at3'),
      bytesFor(10, 'at4'),
    ];
    const uploadId = (
      await s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ChecksumAlgorithm: 'CRC32' }),
      )
    ).UploadId as string;
    const completed: CompletedPart[] = [];
    for (const [i, body] of parts.entries()) {
      const r = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          PartNumber: i + 1,
          Body: body,
          ChecksumAlgorithm: 'CRC32',
        }),
      );
      completed.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'k',
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
    );
    const all = await s3.send(
      new GetObjectAttributesCommand({ Bucket: bucket, Key: 'k', ObjectAttributes: [...ALL] }),
    );
    expect(all.ETag).toBe(done.ETag?.replace(/"/g, ''));
    expect(all.ObjectSize).toBe(15 * MiB + 10);
    expect(all.Checksum?.ChecksumCRC32).toBe(done.ChecksumCRC32);
    expect(all.Checksum?.ChecksumType).toBe('COMPOSITE');
    expect(all.ObjectParts?.TotalPartsCount).toBe(4);
    expect(all.ObjectParts?.IsTruncated).toBe(false);
    expect(all.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
      [3, 5 * MiB],
      [4, 10],
    ]);
    expect(all.ObjectParts?.Parts?.[3]?.ChecksumCRC32).toBe(completed[3]?.ChecksumCRC32);

    const page = await s3.send(
      new GetObjectAttributesCommand({
        Bucket: bucket,
        Key: 'k',
        ObjectAttributes: ['ObjectParts'],
        MaxParts: 1,
        PartNumberMarker: '1',
      }),
    );
    expect(page.ObjectParts?.Parts?.map((p) => p.PartNumber)).toEqual([2]);
    expect(page.ObjectParts?.IsTruncated).toBe(true);
    expect(page.ObjectParts?.NextPartNumberMarker).toBe('2');
    expect(page.ObjectParts?.PartNumberMarker).toBe('1');
    expect(page.ObjectParts?.MaxParts).toBe(1);
  });

  it('refuses an unknown attribute name with InvalidArgument', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('attr-bad');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'x');
    const r = await signedRequest(server().endpoint, {
      method: 'GET',
      path: `/${bucket}/${encodeKey('k')}`,
      query: { attributes: '' },
      headers: { 'x-amz-object-attributes': 'ETag,Bogus' },
    });
    expect([r.status, parseXmlError(r.text).code]).toEqual([400, 'InvalidArgument']);
  });
});
