import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ErasureSet } from './erasure-set.js';
import { body, faultySet, md5, put, tempDirs } from './set-test-helpers.js';
import type { BucketUsage } from './types.js';

/** Polls until the start-up usage count has finished. */
async function usageOf(set: ErasureSet): Promise<BucketUsage[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const usage = set.bucketUsage();
    if (usage !== undefined) return usage;
    if (Date.now() > deadline) throw new Error('usage count did not finish');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What a full listing says a bucket uses (the truth the counters must match). */
async function listedUsage(set: ErasureSet, bucket: string): Promise<BucketUsage> {
  const usage: BucketUsage = { bucket, sizeBytes: 0, objects: 0, versions: 0, deleteMarkers: 0 };
  let keyMarker = '';
  let versionIdMarker = '';
  for (;;) {
    const page = await set.listObjectVersions(bucket, {
      prefix: '',
      delimiter: '',
      keyMarker,
      versionIdMarker,
      maxKeys: 1000,
    });
    for (const v of page.versions) {
      if (v.isDeleteMarker) usage.deleteMarkers++;
      else {
        usage.versions++;
        usage.sizeBytes += v.sizeBytes;
        if (v.isLatest) usage.objects++;
      }
    }
    if (!page.isTruncated) return usage;
    keyMarker = page.nextKeyMarker ?? '';
    versionIdMarker = page.nextVersionIdMarker ?? '';
  }
}

describe('ErasureSet usage counters', () => {
  it('follow puts, overwrites, versions, delete markers, multipart completes and deletes', async () => {
    const { set } = await faultySet(4);
    set.startUsageCount();
    expect(await usageOf(set)).toEqual([]);
    await set.makeBucket('plain', { location: '' });
    await set.makeBucket('versioned', { location: '' });
    await set.setBucketVersioning('versioned', 'Enabled');

    await put(set, 'plain', 'a', randomBytes(1000));
    await put(set, 'plain', 'a', randomBytes(300_000)); // overwrite replaces the null version
    await put(set, 'plain', 'b', randomBytes(10));
    await set.deleteObject('plain', 'b');
    await set.deleteObject('plain', 'never-existed');
    expect(await usageOf(set)).toContainEqual({
      bucket: 'plain',
      sizeBytes: 300_000,
      objects: 1,
      versions: 1,
      deleteMarkers: 0,
    });

    const v1 = await put(set, 'versioned', 'k', randomBytes(100));
    await put(set, 'versioned', 'k', randomBytes(200));
    await set.deleteObject('versioned', 'k'); // delete marker
    const uploadId = await set.createMultipartUpload('versioned', 'mp', { metadata: {} });
    const part = randomBytes(5 * 1024 * 1024);
    const p1 = await set.putObjectPart('versioned', 'mp', uploadId, 1, body(part), {
      sizeBytes: part.length,
      finalize: () => ({ etag: md5(part) }),
    });
    // Parts of an upload in progress are not usage yet.
    expect((await usageOf(set)).find((u) => u.bucket === 'versioned')?.sizeBytes).toBe(300);
    await set.completeMultipartUpload('versioned', 'mp', uploadId, {
      parts: [{ partNumber: 1, etag: p1.etag }],
      finalize: () => ({ etag: 'x-1' }),
    });
    await set.deleteObject('versioned', 'k', { versionId: v1.versionId });
    const usage = await usageOf(set);
    expect(usage).toContainEqual({
      bucket: 'versioned',
      sizeBytes: 200 + part.length,
      objects: 1,
      versions: 2,
      deleteMarkers: 1,
    });
    expect(usage.find((u) => u.bucket === 'versioned')).toEqual(await listedUsage(set, 'versioned'));

    await set.deleteObject('plain', 'a');
    await set.deleteBucket('plain');
    expect((await usageOf(set)).map((u) => u.bucket)).toEqual(['versioned']);
  });

  it('are recounted at start by one scan, exactly, while writes go on during the scan', async () => {
    const dirs = await tempDirs(4);
    const first = await faultySet(4, dirs);
    await first.set.makeBucket('many', { location: '' });
    await first.set.makeBucket('other', { location: '' });
    await first.set.setBucketVersioning('other', 'Enabled');
    // Enough keys for several scan batches (1,000 keys each).
    const keys = Array.from({ length: 2500 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).map((k) => put(first.set, 'many', k, randomBytes(1 + (k.length % 7)))),
      );
    }
    await put(first.set, 'other', 'x', randomBytes(10));
    await put(first.set, 'other', 'x', randomBytes(20));
    await first.set.close();

    const { set } = await faultySet(4, dirs);
    set.startUsageCount();
    // Writes racing the count: overwrites of early and late keys, new keys, deletes.
    await Promise.all([
      put(set, 'many', keys[0] as string, randomBytes(1000)),
      put(set, 'many', keys[2400] as string, randomBytes(2000)),
      put(set, 'many', 'z-new', randomBytes(3000)),
      set.deleteObject('many', keys[1200] as string),
      set.deleteObject('other', 'x'),
      put(set, 'many', keys[1800] as string, randomBytes(4000)),
    ]);
    const usage = await usageOf(set);
    expect(usage.find((u) => u.bucket === 'many')).toEqual(await listedUsage(set, 'many'));
    expect(usage.find((u) => u.bucket === 'other')).toEqual({
      bucket: 'other',
      sizeBytes: 30,
      objects: 0,
      versions: 2,
      deleteMarkers: 1,
    });
  }, 120_000);

  it('reports drives, quorum and heal counts', async () => {
    const { set, drives } = await faultySet(4);
    const status = await set.setStatus();
    expect(status.readQuorum).toBe(2);
    expect(status.writeQuorum).toBe(3);
    expect(status.drives).toHaveLength(4);
    for (const d of status.drives) {
      expect(d.online).toBe(true);
      expect(d.totalBytes).toBeGreaterThan(0);
      expect(d.freeBytes).toBeGreaterThan(0);
      expect(d.metadataBytes).toBeGreaterThan(0);
    }
    const faulty = drives[1];
    if (!faulty) throw new Error('no drive 1');
    faulty.mode = 'fail';
    const degraded = await set.setStatus();
    expect(degraded.drives.map((d) => d.online)).toEqual([true, false, true, true]);
    expect(degraded.drives[1]).toMatchObject({ totalBytes: 0, freeBytes: 0, metadataBytes: 0 });

    expect(set.healStats()).toEqual({ queuedObjects: 0, objectsHealed: 0 });
    await set.makeBucket('healme', { location: '' });
    await put(set, 'healme', 'missed', randomBytes(1000));
    faulty.mode = 'none';
    await set.heal();
    expect(set.healStats()).toEqual({ queuedObjects: 0, objectsHealed: 1 });
  });
});
