import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { crc32c } from '@node-rs/crc32';
import { crc64 } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { bodyBytes, bytesFor, md5Hex } from '../helpers/data.js';
import { encodeKey, parseXmlError, signedRequest, unsignedTrailerBody } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, expectStatus, getBytes, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

function be32(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
}

async function expectedChecksum(alg: ChecksumAlgorithm, data: Buffer): Promise<string> {
  switch (alg) {
    case 'CRC32':
      return be32(zlibCrc32(data));
    case 'CRC32C':
      return be32(crc32c(data));
    case 'CRC64NVME':
      return Buffer.from(await crc64(data, '9a6c9329ac4bc9b5'), 'hex').toString('base64');
    case 'SHA1':
      return createHash('sha1').update(data).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(data).digest('base64');
  }
}

function checksumField(
  alg: ChecksumAlgorithm,
): 'ChecksumCRC32' | 'ChecksumCRC32C' | 'ChecksumCRC64NVME' | 'ChecksumSHA1' | 'ChecksumSHA256' {
  return `Checksum${alg}` as const;
}

const ALGORITHMS: ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

describe('flexible checksums', () => {
  const server = useStrataServer();

  it('the checksum-helper vectors match the published check values', async () => {
    // "123456789" check values: CRC32 cbf43926, CRC32C e3069283, CRC64NVME ae8b14860a799888.
    const v = Buffer.from('123456789');
    expect(Buffer.from(await expectedChecksum('CRC32', v), 'base64').toString('hex')).toBe('cbf43926');
    expect(Buffer.from(await expectedChecksum('CRC32C', v), 'base64').toString('hex')).toBe('e3069283');
    expect(Buffer.from(await expectedChecksum('CRC64NVME', v), 'base64').toString('hex')).toBe(
      'ae8b14860a799888',
    );
  });

  it.each(ALGORITHMS)(
    'putObject with ChecksumAlgorithm %s stores it and returns it with ChecksumMode ENABLED',
    async (alg) => {
      const s3 = server().client();
      const bucket = uniqueBucketName(`ck-${alg}`);
      await createBucket(s3, bucket);
      const field = checksumField(alg);
      for (const [key, size] of [
        ['small 😀', 1000],
        ['large %2F', 2 * 1024 * 1024 + 3],
      ] as const) {
        const data = bytesFor(size, `${alg}-${size}`);
        const want = await expectedChecksum(alg, data);
        const putRes = await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ChecksumAlgorithm: alg }),
        );
        expect(putRes[field]).toBe(want);
        expect(putRes.ETag).toBe(`"${md5Hex(data)}"`);

        const got = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
        );
        expect(got[field]).toBe(want);
        expect((await bodyBytes(got.Body)).equals(data)).toBe(true);
        const head = await s3.send(
          new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
        );
        expect(head[field]).toBe(want);
      }
    },
  );

  it.each(ALGORITHMS)(
    'a streamed body (aws-chunked with a %s trailer) is verified and stored',
    async (alg) => {
      const s3 = server().client();
      const bucket = uniqueBucketName(`cks-${alg}`);
      await createBucket(s3, bucket);
      const data = bytesFor(1024 * 1024 + 77, `stream-${alg}`);
      const want = await expectedChecksum(alg, data);
      const putRes = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'streamed',
          Body: Readable.from([data.subarray(0, 500_000), data.subarray(500_000)]),
          ContentLength: data.length,
          ChecksumAlgorithm: alg,
        }),
      );
      expect(putRes[checksumField(alg)]).toBe(want);
      const got = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: 'streamed', ChecksumMode: 'ENABLED' }),
      );
      expect(got[checksumField(alg)]).toBe(want);
      expect((await bodyBytes(got.Body)).equals(data)).toBe(true);
    },
  );

  it('a stock putObject (default CRC32 checksum) can be read back with its checksum', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ck-default');
    await createBucket(s3, bucket);
    const data = bytesFor(4096, 'default');
    await put(s3, bucket, 'default', data);
    const got = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'default', ChecksumMode: 'ENABLED' }),
    );
    expect(got.ChecksumCRC32).toBe(await expectedChecksum('CRC32', data));
    expect((await bodyBytes(got.Body)).equals(data)).toBe(true);
  });

  it('a wrong x-amz-checksum-crc32 header fails with BadDigest and stores nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ck-bad');
    await createBucket(s3, bucket);
    const data = bytesFor(300_000, 'bad-crc');
    const wrong = be32(zlibCrc32(data) ^ 1);
    const path = `/${bucket}/${encodeKey('bad crc 😀')}`;
    const r = await signedRequest(server().endpoint, {
      method: 'PUT',
      path,
      headers: { 'x-amz-checksum-crc32': wrong },
      body: data,
    });
    expect(r.status, r.text).toBe(400);
    expect(parseXmlError(r.text).code).toBe('BadDigest');
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad crc 😀' })), 404);

    const ok = await signedRequest(server().endpoint, {
      method: 'PUT',
      path,
      headers: { 'x-amz-checksum-crc32': be32(zlibCrc32(data)) },
      body: data,
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers['x-amz-checksum-crc32']).toBe(be32(zlibCrc32(data)));
  });

  it('a malformed x-amz-checksum-* header value fails with BadDigest (as ceph/s3-tests) and stores nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ck-malformed');
    await createBucket(s3, bucket);
    for (const alg of ['SHA256', 'CRC64NVME'] as const) {
      await expectS3Error(
        put(s3, bucket, 'k', 'body', { ChecksumAlgorithm: alg, [checksumField(alg)]: 'bad' }),
        'BadDigest',
        400,
      );
      const raw = await signedRequest(server().endpoint, {
        method: 'PUT',
        path: `/${bucket}/k`,
        headers: { [`x-amz-checksum-${alg.toLowerCase()}`]: 'bad' },
        body: 'body',
      });
      expect([raw.status, parseXmlError(raw.text).code], raw.text).toEqual([400, 'BadDigest']);
    }
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' })), 404);
    // An unknown algorithm name stays InvalidRequest.
    const unknown = await signedRequest(server().endpoint, {
      method: 'PUT',
      path: `/${bucket}/k`,
      headers: { 'x-amz-sdk-checksum-algorithm': 'MD4' },
      body: 'body',
    });
    expect([unknown.status, parseXmlError(unknown.text).code]).toEqual([400, 'InvalidRequest']);
  });

  it('a wrong checksum trailer on STREAMING-UNSIGNED-PAYLOAD-TRAILER fails with BadDigest and stores nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ck-trailer');
    await createBucket(s3, bucket);
    const data = bytesFor(200_000, 'trailer');
    const path = `/${bucket}/${encodeKey('trailer key')}`;
    const send = (checksum: string) => {
      const body = unsignedTrailerBody(data, { 'x-amz-checksum-crc32c': checksum });
      return signedRequest(server().endpoint, {
        method: 'PUT',
        path,
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(data.length),
          'x-amz-trailer': 'x-amz-checksum-crc32c',
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        },
        body,
      });
    };
    const bad = await send(be32(crc32c(data) ^ 0x100));
    expect(bad.status, bad.text).toBe(400);
    expect(parseXmlError(bad.text).code).toBe('BadDigest');
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'trailer key' })), 404);

    const good = await send(be32(crc32c(data)));
    expect(good.status, good.text).toBe(200);
    expect((await getBytes(s3, bucket, 'trailer key')).equals(data)).toBe(true);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'trailer key', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32C).toBe(be32(crc32c(data)));
  });

  it('a wrong Content-MD5 fails with BadDigest and stores nothing; a right one succeeds', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('md5');
    await createBucket(s3, bucket);
    const data = Buffer.from('content-md5 body');
    const wrongMd5 = createHash('md5').update('something else').digest('base64');
    await expectS3Error(put(s3, bucket, 'md5 key', data, { ContentMD5: wrongMd5 }), 'BadDigest', 400);
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'md5 key' })), 404);
    const rightMd5 = createHash('md5').update(data).digest('base64');
    const r = await put(s3, bucket, 'md5 key', data, { ContentMD5: rightMd5 });
    expect(r.ETag).toBe(`"${md5Hex(data)}"`);
  });

  it('a malformed Content-MD5 fails with InvalidDigest', async () => {
    const bucket = uniqueBucketName('md5bad');
    await createBucket(server().client(), bucket);
    const r = await signedRequest(server().endpoint, {
      method: 'PUT',
      path: `/${bucket}/k`,
      headers: { 'content-md5': 'not-base64-md5' },
      body: 'x',
    });
    expect(r.status, r.text).toBe(400);
    expect(parseXmlError(r.text).code).toBe('InvalidDigest');
  });
});
