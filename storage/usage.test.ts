import { describe, expect, it } from 'vitest';
import type { ObjectVersion } from './records.js';
import { UsageTracker, usageOf } from './usage.js';

function version(sizeBytes: number, isDeleteMarker = false): ObjectVersion {
  return {
    versionId: 'null',
    isDeleteMarker,
    modTimeMs: 0,
    sizeBytes,
    etag: '',
    metadata: {},
    dataDir: '',
    parts: [],
    k: 2,
    m: 2,
    driveIndex: 0,
    blockSizeBytes: 1 << 20,
  };
}

const marker = () => version(0, true);

/** A full commit of `key` from `before` to `after`. */
function commit(
  t: UsageTracker,
  bucket: string,
  key: string,
  before: ObjectVersion[],
  after: ObjectVersion[],
) {
  t.begin(bucket, key, before);
  t.end(bucket, key, before, after, true);
}

describe('usageOf', () => {
  it('counts bytes of every version, the latest object, versions and delete markers', () => {
    expect(usageOf([])).toEqual({ sizeBytes: 0, objects: 0, versions: 0, deleteMarkers: 0 });
    expect(usageOf([version(10), version(5)])).toEqual({
      sizeBytes: 15,
      objects: 1,
      versions: 2,
      deleteMarkers: 0,
    });
    expect(usageOf([marker(), version(7)])).toEqual({
      sizeBytes: 7,
      objects: 0,
      versions: 1,
      deleteMarkers: 1,
    });
  });
});

describe('UsageTracker', () => {
  it('answers nothing until the start-up count has read the bucket list and scanned every bucket', () => {
    const t = new UsageTracker();
    expect(t.snapshot()).toBeUndefined();
    expect(t.listedBuckets(['a'])).toEqual(['a']);
    expect(t.snapshot()).toBeUndefined();
    t.scanned('a', [{ key: 'k', versions: [version(3)] }], 'k', true);
    expect(t.snapshot()).toEqual([{ bucket: 'a', sizeBytes: 3, objects: 1, versions: 1, deleteMarkers: 0 }]);
  });

  it('applies commits as deltas once a bucket is counted; created and deleted buckets come and go', () => {
    const t = new UsageTracker();
    t.listedBuckets([]);
    t.bucketCreated('b');
    commit(t, 'b', 'x', [], [version(100)]);
    commit(t, 'b', 'x', [version(100)], [version(40)]);
    commit(t, 'b', 'y', [], [version(1)]);
    expect(t.snapshot()).toEqual([{ bucket: 'b', sizeBytes: 41, objects: 2, versions: 2, deleteMarkers: 0 }]);
    // A delete marker on y keeps its version.
    commit(t, 'b', 'y', [version(1)], [marker(), version(1)]);
    expect(t.snapshot()).toEqual([{ bucket: 'b', sizeBytes: 41, objects: 1, versions: 2, deleteMarkers: 1 }]);
    // A failed commit changes nothing.
    t.begin('b', 'x', [version(40)]);
    t.end('b', 'x', [version(40)], [], false);
    expect(t.snapshot()?.[0]?.sizeBytes).toBe(41);
    t.bucketDeleted('b');
    expect(t.snapshot()).toEqual([]);
  });

  it('counts a key changed beyond the scan cursor once, whether its commit ends before or after the scan reaches it', () => {
    const t = new UsageTracker();
    t.listedBuckets(['a']);
    // Batch 1 covers k1..k2.
    t.scanned(
      'a',
      [
        { key: 'k1', versions: [version(1)] },
        { key: 'k2', versions: [version(2)] },
      ],
      'k2',
      false,
    );
    // k1 (already counted) changes: a delta.
    commit(t, 'a', 'k1', [version(1)], [version(10)]);
    // k3 (not scanned yet) is overwritten; the scan then reads the new state and skips it.
    commit(t, 'a', 'k3', [version(3)], [version(30)]);
    // k4's commit begins before the scan reads it and ends after (the scan saw either state).
    t.begin('a', 'k4', [version(4)]);
    // k5 is created beyond the cursor.
    commit(t, 'a', 'k5', [], [version(5)]);
    t.scanned(
      'a',
      [
        { key: 'k3', versions: [version(30)] },
        { key: 'k4', versions: [version(40)] },
        { key: 'k5', versions: [version(5)] },
      ],
      'k5',
      true,
    );
    t.end('a', 'k4', [version(4)], [version(40)], true);
    expect(t.snapshot()).toEqual([
      { bucket: 'a', sizeBytes: 10 + 2 + 30 + 40 + 5, objects: 5, versions: 5, deleteMarkers: 0 },
    ]);
    // Once counted, later commits are deltas.
    commit(t, 'a', 'k5', [version(5)], []);
    expect(t.snapshot()?.[0]).toMatchObject({ sizeBytes: 82, objects: 4 });
  });

  it('keeps the state before a commit that failed while the scan was running', () => {
    const t = new UsageTracker();
    t.listedBuckets(['a']);
    t.begin('a', 'k', [version(7)]);
    t.scanned('a', [{ key: 'k', versions: [version(7)] }], 'k', false);
    t.end('a', 'k', [version(7)], [version(70)], false);
    t.scanned('a', [], 'k', true);
    expect(t.snapshot()?.[0]).toMatchObject({ sizeBytes: 7, objects: 1 });
  });

  it('counts buckets written before the bucket list was read by the scan as well', () => {
    const t = new UsageTracker();
    commit(t, 'early', 'k', [version(5)], [version(6)]);
    t.bucketCreated('fresh');
    commit(t, 'fresh', 'k', [], [version(1)]);
    expect(t.listedBuckets(['early', 'fresh', 'other'])).toEqual(['early', 'other']);
    t.scanned(
      'early',
      [
        { key: 'a', versions: [version(2)] },
        { key: 'k', versions: [version(6)] },
      ],
      'k',
      true,
    );
    t.scanned('other', [], '', true);
    expect(t.snapshot()).toEqual([
      { bucket: 'early', sizeBytes: 8, objects: 2, versions: 2, deleteMarkers: 0 },
      { bucket: 'fresh', sizeBytes: 1, objects: 1, versions: 1, deleteMarkers: 0 },
      { bucket: 'other', sizeBytes: 0, objects: 0, versions: 0, deleteMarkers: 0 },
    ]);
  });

  it('abandons the scan of a bucket deleted meanwhile and skips keys no quorum agrees on', () => {
    const t = new UsageTracker();
    t.listedBuckets(['gone', 'kept']);
    t.bucketDeleted('gone');
    t.scanned('gone', [{ key: 'k', versions: [version(1)] }], 'k', true);
    t.scanned('kept', [{ key: 'k', versions: null }], 'k', true);
    expect(t.snapshot()).toEqual([
      { bucket: 'kept', sizeBytes: 0, objects: 0, versions: 0, deleteMarkers: 0 },
    ]);
    expect(t.scanCursor('kept')).toBeNull();
  });
});
