/**
 * Flipped bytes in shard files: reads stay correct (a corrupt block is never
 * returned), and the shard is repaired by read-triggered healing or an admin heal.
 */
import { readFile, rm } from 'node:fs/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeal } from '../helpers/admin.js';
import { bytesFor, sha256Hex, sha256OfBody } from '../helpers/data.js';
import { fileSize, flipByte, shardFiles } from '../helpers/drives.js';
import { createBucket, put } from '../helpers/s3.js';
import { pollUntil, type StrataServer, uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;
const OBJECT_BYTES = 5 * MiB + 4321;
const HEAL_DEADLINE_MS = 30_000;

interface Written {
  key: string;
  data: Buffer;
  /** Shard file of this object on each drive (index = drive). */
  shards: string[];
  originals: Buffer[];
}

/** Puts an object and finds its shard file on every drive (the files that appeared). */
async function putAndFindShards(server: StrataServer, bucket: string, key: string): Promise<Written> {
  const before = await Promise.all(server.drives.map((d) => shardFiles(d)));
  const data = bytesFor(OBJECT_BYTES, key);
  await put(server.client(), bucket, key, data);
  const shards: string[] = [];
  for (const [i, d] of server.drives.entries()) {
    const added = (await shardFiles(d)).filter((f) => !before[i]?.includes(f));
    expect(added, `new shard files on drive ${i}`).toHaveLength(1);
    shards.push(added[0] as string);
  }
  const originals = await Promise.all(shards.map((f) => readFile(f)));
  // Shards interleave bitrot hashes: a file is a bit more than half the object (2 data shards).
  for (const o of originals) expect(o.length).toBeGreaterThan(OBJECT_BYTES / 2);
  return { key, data, shards, originals };
}

async function readSha(s3: S3Client, bucket: string, key: string, range?: string) {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
  return sha256OfBody(r.Body);
}

async function shardRestored(w: Written, drive: number): Promise<boolean> {
  try {
    return (await readFile(w.shards[drive] as string)).equals(w.originals[drive] as Buffer);
  } catch {
    return false;
  }
}

describe('bitrot', () => {
  const server = useStrataServer();
  let bucket = '';
  beforeAll(async () => {
    bucket = uniqueBucketName('bitrot');
    await createBucket(server().client(), bucket);
  });

  it('reads stay correct with flipped bytes in two shards, and reading queues a heal that restores them', async () => {
    const s = server();
    const w = await putAndFindShards(s, bucket, 'rot/read-heal 😀');
    const size0 = await fileSize(w.shards[0] as string);
    const size1 = await fileSize(w.shards[1] as string);
    await flipByte(w.shards[0] as string, 3); // inside the first block's hash
    await flipByte(w.shards[0] as string, size0 - 1); // last byte of the last block
    await flipByte(w.shards[1] as string, Math.floor(size1 / 2)); // middle of the file
    await flipByte(w.shards[1] as string, 100); // first block's shard data

    expect(await readSha(s.client(), bucket, w.key)).toEqual({
      sha256: sha256Hex(w.data),
      sizeBytes: OBJECT_BYTES,
    });
    const start = 2 * MiB + 17;
    const end = 3 * MiB + 50;
    expect((await readSha(s.client(), bucket, w.key, `bytes=${start}-${end}`)).sha256).toBe(
      sha256Hex(w.data.subarray(start, end + 1)),
    );

    await pollUntil(
      'corrupt shards on drives 0 and 1 rewritten with their original bytes',
      async () => (await shardRestored(w, 0)) && (await shardRestored(w, 1)),
      HEAL_DEADLINE_MS,
    );
    expect(await shardRestored(w, 2)).toBe(true);
    expect(await shardRestored(w, 3)).toBe(true);
  });

  it('a deleted shard file is reconstructed on read and restored by healing', async () => {
    const s = server();
    const w = await putAndFindShards(s, bucket, 'rot/missing shard');
    await rm(w.shards[2] as string);
    expect(await readSha(s.client(), bucket, w.key)).toEqual({
      sha256: sha256Hex(w.data),
      sizeBytes: OBJECT_BYTES,
    });
    await pollUntil('deleted shard on drive 2 restored', () => shardRestored(w, 2), HEAL_DEADLINE_MS);
  });

  it('admin heal finds and repairs corrupt shards nobody has read, and reports them', async () => {
    const s = server();
    const w = await putAndFindShards(s, bucket, 'rot/admin-heal %2F');
    await flipByte(w.shards[2] as string, 8 + 1234);
    await flipByte(w.shards[3] as string, (await fileSize(w.shards[3] as string)) - 5);
    const report = await adminHeal(s);
    expect(report.objectsFailed).toBe(0);
    expect(report.shardsRepaired).toBeGreaterThanOrEqual(2);
    expect(report.objectsHealed).toBeGreaterThanOrEqual(1);
    expect(report.objectsScanned).toBeGreaterThanOrEqual(3);
    await pollUntil(
      'admin heal rewrote shards on drives 2 and 3',
      async () => (await shardRestored(w, 2)) && (await shardRestored(w, 3)),
      HEAL_DEADLINE_MS,
    );
    expect(await readSha(s.client(), bucket, w.key)).toEqual({
      sha256: sha256Hex(w.data),
      sizeBytes: OBJECT_BYTES,
    });
    // A second heal has nothing left to do.
    const again = await adminHeal(s);
    expect(again.shardsRepaired).toBe(0);
    expect(again.objectsFailed).toBe(0);
  });

  it('never returns corrupt data: with three of four shards of a block corrupt, the read fails', async () => {
    const s = server();
    const key = 'rot/unrecoverable';
    const w = await putAndFindShards(s, bucket, key);
    for (const drive of [0, 1, 2]) await flipByte(w.shards[drive] as string, 8 + 10 + drive);
    let delivered: { sha256: string; sizeBytes: number } | undefined;
    try {
      delivered = await readSha(s.client(), bucket, key);
    } catch {
      delivered = undefined; // An error (status or aborted body) is the right answer.
    }
    expect(delivered, 'a GET that completes must not deliver corrupt bytes').toBeUndefined();
    // Put the shards back so later heals in this file see a healthy object.
    for (const drive of [0, 1, 2]) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(w.shards[drive] as string, w.originals[drive] as Buffer);
    }
    expect(await readSha(s.client(), bucket, key)).toEqual({
      sha256: sha256Hex(w.data),
      sizeBytes: OBJECT_BYTES,
    });
  });
});
