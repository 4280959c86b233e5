/**
 * Integrity of encrypted objects (issue 5): ciphertext that passes the bitrot check but was
 * changed, and a tampered sealed key, make reads fail (never wrong bytes); erasure coding
 * sits under encryption, so lost drives are healed without any key.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { bitrotHash } from '../../storage/erasure/bitrot.js';
import { openStorage } from '../../storage/index.js';
import { adminHeal } from '../helpers/admin.js';
import { bodyBytes, bytesFor } from '../helpers/data.js';
import { shardFiles, wipeDrive } from '../helpers/drives.js';
import { createBucket, expectS3Error } from '../helpers/s3.js';
import { KMS_SECRET } from '../helpers/sse.js';
import { type StrataServer, uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const KiB = 1024;
const PACKAGE = 64 * KiB;
/** Above the inline threshold (shard files), below one 1 MiB erasure block. */
const OBJECT_BYTES = 300 * KiB;

async function putEncrypted(server: StrataServer, bucket: string, key: string): Promise<Buffer> {
  const data = bytesFor(OBJECT_BYTES, key);
  await server
    .client()
    .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ServerSideEncryption: 'AES256' }));
  return data;
}

async function read(s3: S3Client, bucket: string, key: string, range?: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
  return bodyBytes(res.Body);
}

describe('encrypted object integrity', () => {
  const server = useStrataServer({ env: { STRATA_KMS_SECRET_KEY: KMS_SECRET } });

  it('a changed ciphertext byte with a valid bitrot hash fails the read of its package, and only that', async () => {
    const s = server();
    const s3 = s.client();
    const bucket = uniqueBucketName('sse-tamper');
    await createBucket(s3, bucket);
    const before = await Promise.all(s.drives.map((d) => shardFiles(d)));
    const data = await putEncrypted(s, bucket, 'victim');
    // One erasure block: each shard file is [8-byte xxh64][shard]. Flip a byte 100 bytes into
    // a shard and re-hash it, as a drive that returned wrong data with a matching checksum (or
    // an attacker) would. Reads use data shards only, and which drives hold them depends on
    // the object's placement: drives are changed in turn until a read sees the change.
    let failed = false;
    for (const [i, drive] of s.drives.entries()) {
      const [shard] = (await shardFiles(drive)).filter((f) => !before[i]?.includes(f));
      expect(shard, `new shard on drive ${i}`).toBeDefined();
      const file = await readFile(shard as string);
      file[8 + 100] = (file[8 + 100] as number) ^ 0x01;
      bitrotHash(file.subarray(8), file, 0);
      await writeFile(shard as string, file);
      failed = await read(s3, bucket, 'victim').then(
        () => false,
        () => true,
      );
      if (failed) break;
    }
    expect(failed, 'a whole-object read fails once a data shard is changed').toBe(true);
    // Package by package: the ones the changed shard holds fail, every other one reads exact.
    const outcomes: string[] = [];
    for (let start = 0; start < OBJECT_BYTES; start += PACKAGE) {
      const end = Math.min(start + PACKAGE, OBJECT_BYTES) - 1;
      try {
        const got = await read(s3, bucket, 'victim', `bytes=${start}-${end}`);
        outcomes.push(got.equals(data.subarray(start, end + 1)) ? 'ok' : 'WRONG BYTES');
      } catch {
        outcomes.push('failed');
      }
    }
    expect(outcomes).not.toContain('WRONG BYTES');
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(outcomes.length - 1);
    expect(s.output()).toContain('encrypted object data failed authentication');
  });

  it('a tampered sealed key fails GET with 500 InternalError; HEAD still answers', async () => {
    const s = server();
    const bucket = uniqueBucketName('sse-key');
    await createBucket(s.client(), bucket);
    const data = await putEncrypted(s, bucket, 'k');
    await s.stop();
    const { objectLayer } = await openStorage({ drives: s.drives, logger: pino({ level: 'silent' }) });
    try {
      await objectLayer.updateObjectMetadata(
        bucket,
        'k',
        (current) => {
          const sealed = Buffer.from(current.metadata['x-strata-sse-sealed-key'] as string, 'base64');
          sealed[40] = (sealed[40] as number) ^ 0x80; // inside the sealed object key
          return { ...current.metadata, 'x-strata-sse-sealed-key': sealed.toString('base64') };
        },
        { touch: false },
      );
    } finally {
      await objectLayer.close();
    }
    await s.restart();
    const s3 = s.client();
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })), 'InternalError', 500);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(head.ContentLength).toBe(data.length);
    expect(head.ServerSideEncryption).toBe('AES256');
  });

  it('heals wiped drives under encryption: reads survive the loss of two drives, then the healed ones', async () => {
    const s = server();
    const s3 = s.client();
    const bucket = uniqueBucketName('sse-heal');
    await createBucket(s3, bucket);
    const data = await putEncrypted(s, bucket, 'healme');
    await s.stop();
    await wipeDrive(s.drives[0] as string);
    await wipeDrive(s.drives[1] as string);
    await s.restart();
    expect((await read(s.client(), bucket, 'healme')).equals(data)).toBe(true);
    // Everything, the KMS's own records in the system area included.
    const report = await adminHeal(s);
    expect(report.objectsFailed).toBe(0);
    // Now lose the two drives that were never wiped: the healed ones carry the object alone.
    await s.stop();
    await wipeDrive(s.drives[2] as string);
    await wipeDrive(s.drives[3] as string);
    await s.restart();
    expect((await read(s.client(), bucket, 'healme')).equals(data)).toBe(true);
    expect(
      (await read(s.client(), bucket, 'healme', 'bytes=70000-200000')).equals(data.subarray(70000, 200001)),
    ).toBe(true);
  });
});
