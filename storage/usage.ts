import { compareUtf8 } from './names.js';
import type { ObjectVersion } from './records.js';
import type { BucketUsage } from './types.js';

/**
 * Per-bucket usage (bytes, objects, versions, delete markers) kept current in memory
 * without walking the namespace on every read.
 *
 * How: the erasure set tells the tracker about every change of a key's agreed version
 * list, under the key's write lock, around the record commit (`begin` before, `end`
 * after, with the lists before and after). Nothing is persisted: at start one scan of
 * each bucket counts what is stored (`scanned`), in key order, in the background,
 * while writes go on. The counts are exact once every bucket is scanned; until then
 * `snapshot()` answers undefined.
 *
 * Writes during the scan. A bucket being scanned has a cursor (the greatest key the
 * scan has counted). A change to a key the scan has already counted is applied as a
 * delta; a change to a key beyond the cursor records the key's whole count as an
 * override (at `begin` its count before the change, at `end` its count after, or
 * before when the commit failed), and the scan skips keys that have an override. When
 * the scan of the bucket ends, the overrides are added. This is exact because the
 * scan's read of a key, its counting, and a writer's begin/end are ordered: a writer
 * that begins after the scan counted the key changes a state the scan saw (the scan
 * read it before, and the key only changes under the lock the writer holds); a writer
 * that begins before the scan counts the key leaves an override, and the scan skips it.
 */

/** What one key contributes to its bucket's usage. */
export interface UsageCounts {
  /** Bytes of every stored version (current and noncurrent; delete markers have none). */
  sizeBytes: number;
  /** 1 when the latest version is an object (not a delete marker), else 0. */
  objects: number;
  /** Versions that are not delete markers. */
  versions: number;
  deleteMarkers: number;
}

const ZERO: Readonly<UsageCounts> = Object.freeze({
  sizeBytes: 0,
  objects: 0,
  versions: 0,
  deleteMarkers: 0,
});

/** The usage of one key with these versions (newest first, as agreed by quorum). */
export function usageOf(versions: readonly ObjectVersion[]): UsageCounts {
  const counts: UsageCounts = { sizeBytes: 0, objects: 0, versions: 0, deleteMarkers: 0 };
  for (const v of versions) {
    if (v.isDeleteMarker) {
      counts.deleteMarkers++;
    } else {
      counts.versions++;
      counts.sizeBytes += v.sizeBytes;
    }
  }
  const latest = versions[0];
  if (latest !== undefined && !latest.isDeleteMarker) counts.objects = 1;
  return counts;
}

function add(into: UsageCounts, counts: Readonly<UsageCounts>, sign: 1 | -1): void {
  into.sizeBytes += sign * counts.sizeBytes;
  into.objects += sign * counts.objects;
  into.versions += sign * counts.versions;
  into.deleteMarkers += sign * counts.deleteMarkers;
}

interface BucketScan {
  /** The greatest key the scan has counted; null before its first batch. */
  cursor: string | null;
  /** Whole counts of keys changed beyond the cursor while the scan runs (the scan skips them). */
  overrides: Map<string, UsageCounts>;
}

interface BucketEntry {
  /** Counted so far: everything when `scan` is null. */
  total: UsageCounts;
  /** Null once the bucket is fully counted. */
  scan: BucketScan | null;
}

/** One scanned key: its agreed versions, or null when too few drives agree to tell. */
export interface ScannedKey {
  key: string;
  versions: readonly ObjectVersion[] | null;
}

export class UsageTracker {
  private readonly buckets: Map<string, BucketEntry>;
  /** True once the bucket list was read: every existing bucket has an entry. */
  private listed: boolean;

  constructor() {
    this.buckets = new Map();
    this.listed = false;
  }

  /** A bucket that was just created (empty): counted from zero, no scan needed. */
  bucketCreated(bucket: string): void {
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, { total: { ...ZERO }, scan: null });
  }

  /** The bucket is gone: its usage too (a scan in progress over it is abandoned). */
  bucketDeleted(bucket: string): void {
    this.buckets.delete(bucket);
  }

  /**
   * The start-up scan read the bucket list: buckets not seen yet get an entry that needs
   * a scan. Returns the buckets that still need one, in name order.
   */
  listedBuckets(names: readonly string[]): string[] {
    for (const name of names) {
      if (!this.buckets.has(name)) {
        this.buckets.set(name, { total: { ...ZERO }, scan: { cursor: null, overrides: new Map() } });
      }
    }
    this.listed = true;
    return this.pendingBuckets();
  }

  /** Buckets whose scan has not finished, in name order. */
  pendingBuckets(): string[] {
    return [...this.buckets]
      .filter(([, e]) => e.scan !== null)
      .map(([name]) => name)
      .sort(compareUtf8);
  }

  /** Where the scan of `bucket` continues (after this key; '' from the start), or null when it needs none. */
  scanCursor(bucket: string): string | null {
    const scan = this.buckets.get(bucket)?.scan;
    if (!scan) return null;
    return scan.cursor ?? '';
  }

  /**
   * Counts one batch of the scan of `bucket`: every key in `keys` (in key order, all
   * after the current cursor), then moves the cursor to `bound` (the greatest key the
   * batch covered). Must be called synchronously after the batch was read. `done`: the
   * bucket has no keys after the batch; its overrides are added and it is complete.
   */
  scanned(bucket: string, keys: readonly ScannedKey[], bound: string, done: boolean): void {
    const entry = this.buckets.get(bucket);
    const scan = entry?.scan;
    if (!entry || !scan) return;
    for (const { key, versions } of keys) {
      if (scan.overrides.has(key) || versions === null) continue;
      add(entry.total, usageOf(versions), 1);
    }
    if (scan.cursor === null || compareUtf8(bound, scan.cursor) > 0) scan.cursor = bound;
    if (done) {
      for (const counts of scan.overrides.values()) add(entry.total, counts, 1);
      entry.scan = null;
    }
  }

  /**
   * A key's version list is about to change from `before` (called under the key lock,
   * right before the record commit).
   */
  begin(bucket: string, key: string, before: readonly ObjectVersion[]): void {
    let entry = this.buckets.get(bucket);
    if (!entry) {
      // Before the bucket list was read every bucket is unknown: count it by a scan too.
      if (this.listed) return;
      entry = { total: { ...ZERO }, scan: { cursor: null, overrides: new Map() } };
      this.buckets.set(bucket, entry);
    }
    const scan = entry.scan;
    if (scan === null || scan.overrides.has(key)) return;
    if (scan.cursor === null || compareUtf8(key, scan.cursor) > 0) scan.overrides.set(key, usageOf(before));
  }

  /**
   * The commit that `begin` announced is over: `committed` tells whether the key now has
   * `after` (true) or still `before` (false). Called under the same key lock.
   */
  end(
    bucket: string,
    key: string,
    before: readonly ObjectVersion[],
    after: readonly ObjectVersion[],
    committed: boolean,
  ): void {
    const entry = this.buckets.get(bucket);
    if (!entry) return;
    if (entry.scan?.overrides.has(key)) {
      entry.scan.overrides.set(key, usageOf(committed ? after : before));
      return;
    }
    if (!committed) return;
    add(entry.total, usageOf(before), -1);
    add(entry.total, usageOf(after), 1);
  }

  /** Usage of every bucket, by name; undefined while the start-up count is still running. */
  snapshot(): BucketUsage[] | undefined {
    if (!this.listed) return undefined;
    const out: BucketUsage[] = [];
    for (const [bucket, entry] of this.buckets) {
      if (entry.scan !== null) return undefined;
      const { sizeBytes, objects, versions, deleteMarkers } = entry.total;
      out.push({ bucket, sizeBytes, objects, versions, deleteMarkers });
    }
    return out.sort((a, b) => compareUtf8(a.bucket, b.bucket));
  }
}
