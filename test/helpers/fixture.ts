/** A standard set of objects (inline, one block, many blocks; hostile keys) written once and verified often. */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { bytesFor, md5Hex, sha256Hex, sha256OfBody } from './data.js';
import { listAllKeys, put } from './s3.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface FixtureObject {
  key: string;
  sizeBytes: number;
  sha256: string;
  md5: string;
}

export const FIXTURE_SIZES = [0, 1, 1000, 100 * KiB, 300 * KiB, MiB, MiB + 1, 3 * MiB + 12_345, 6 * MiB + 7];

/** Writes one object per size (deterministic content) and returns what was written. */
export async function writeFixture(s3: S3Client, bucket: string, label = 'fx'): Promise<FixtureObject[]> {
  const out: FixtureObject[] = [];
  for (const [i, size] of FIXTURE_SIZES.entries()) {
    const key = `${label}/${i} 😀 %2F+/${size}`;
    const data = bytesFor(size, key);
    await put(s3, bucket, key, data);
    out.push({ key, sizeBytes: size, sha256: sha256Hex(data), md5: md5Hex(data) });
  }
  return out;
}

/** Every fixture object is listed and reads back byte-identical (whole, and one range of the largest). */
export async function verifyFixture(
  s3: S3Client,
  bucket: string,
  objects: readonly FixtureObject[],
): Promise<void> {
  const listed = await listAllKeys(s3, bucket);
  for (const o of objects) expect(listed, 'listing').toContain(o.key);
  for (const o of objects) {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
    expect(r.ETag, o.key).toBe(`"${o.md5}"`);
    const got = await sha256OfBody(r.Body);
    expect(got, o.key).toEqual({ sha256: o.sha256, sizeBytes: o.sizeBytes });
  }
  const largest = objects.reduce((a, b) => (b.sizeBytes > a.sizeBytes ? b : a));
  const start = MiB - 10;
  const end = Math.min(largest.sizeBytes - 1, 3 * MiB + 10);
  const r = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: largest.key, Range: `bytes=${start}-${end}` }),
  );
  const want = sha256Hex(bytesFor(largest.sizeBytes, largest.key).subarray(start, end + 1));
  expect((await sha256OfBody(r.Body)).sha256, `range of ${largest.key}`).toBe(want);
}
