import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/index.js';
import type { BufferPool } from './buffer-pool.js';
import {
  type Drive,
  DriveError,
  type DriveErrorCode,
  isDriveError,
  type ShardHandle,
  type StoredRecords,
} from './drive.js';
import { DriveShardWriter } from './drive-shard-writer.js';
import { decodeObject, decodeParts, healShards } from './erasure/erasure-decode.js';
import { encodeObject } from './erasure/erasure-encode.js';
import { BLOCK_SIZE_BYTES, shardFileSizeBytes } from './erasure/layout.js';
import { MemoryShardReader } from './erasure/memory-shards.js';
import { RonomonCodec } from './erasure/reed-solomon-codec.js';
import type { ErasureCodec, ShardReader, ShardWriter } from './erasure/types.js';
import { Healer } from './healer.js';
import { IdGenerator, TIME_ORDERED_ID_RE } from './ids.js';
import { InProcessKeyLock, type KeyLock } from './key-lock.js';
import { compareUtf8, validateBucketName, validateObjectKey } from './names.js';
import {
  countOk,
  type DriveResult,
  pickByQuorum,
  readQuorum,
  reduceWriteResults,
  settleAll,
  writeQuorum,
} from './quorum.js';
import { decodeStoredObjectRecord, driveIndexOffsets, sameStoredRecord } from './record-codec.js';
import {
  type BucketRecord,
  NULL_VERSION_ID,
  type ObjectRecord,
  type ObjectVersion,
  type PartRecord,
  RECORD_FORMAT_VERSION,
  UPLOAD_RECORD_FORMAT_VERSION,
  type UploadRecord,
  type VersionPart,
} from './records.js';
import {
  type BucketConfigName,
  type BucketInfo,
  type BucketUsage,
  type CompleteMultipartOptions,
  type DeleteObjectOptions,
  type DeleteObjectResult,
  type GetObjectOptions,
  type GetObjectResult,
  type HealReport,
  type HealStats,
  isStorageError,
  type ListMultipartUploadsOptions,
  type ListMultipartUploadsResult,
  type ListObjectsOptions,
  type ListObjectsResult,
  type ListObjectVersionsOptions,
  type ListObjectVersionsResult,
  type ListPartsResult,
  type MultipartUploadInfo,
  type ObjectInfo,
  type ObjectLayer,
  type ObjectMetadata,
  type PartInfo,
  type PutObjectOptions,
  type SetStatus,
  type StorageAdmin,
  StorageError,
  type StorageStats,
  type WritePrecondition,
} from './types.js';
import { UsageTracker } from './usage.js';
import { verifyShardStream } from './verify-shard-stream.js';
import { copiesOf, ownVersions, type ResolvedKey, resolveKey } from './version-resolve.js';

/**
 * Objects whose shard stream is at most this size are stored inside each drive's
 * record instead of a shard file: one LMDB write per drive and no file or directory
 * fsyncs (ARCHITECTURE.md, "Small objects inline"). Multipart parts are never inline.
 */
export const INLINE_SHARD_MAX_BYTES = 128 * 1024;

/**
 * Versions (and delete markers) kept per key at most: the whole list is one record
 * rewritten by every write of the key, so it must stay bounded (10,000 versions are
 * a few MB). A write beyond it fails with StorageError('TooManyVersions') until old
 * versions are deleted.
 */
export const MAX_VERSIONS_PER_KEY = 10_000;

/** Part numbers S3 allows. */
const MAX_PART_NUMBER = 10_000;

/** Entries asked from each drive per scan in a listing or full heal (one LMDB range read). */
const SCAN_BATCH_MAX = 1000;
const SCAN_BATCH_MIN = 32;

/**
 * Keys one listObjects call examines at most. Keys whose latest version is a delete
 * marker are skipped; a long run of them would otherwise make one page scan without
 * bound. Past this, the page ends early (truncated, possibly with fewer entries) and
 * nextMarker continues after the last key examined.
 */
export const LIST_SCAN_MAX_KEYS = 10_000;

/**
 * Parts of a multipart object whose shard files a GET opens before it resolves (so a
 * concurrent delete cannot pull them away); later parts are opened as the stream gets
 * to them (a delete in between makes the stream fail, never mix).
 */
const EAGER_PART_OPENS = 16;

/** Upload ids are sorted after every other character of an id in the uploads db. */
const AFTER_ALL_UPLOAD_IDS = '\u0000~';

const STORAGE_CLASS = 'STANDARD';

/** Drive errors that mean "cannot reach it now" (heal skips it), as opposed to bad data on a live drive. */
const OFFLINE_CODES: ReadonlySet<DriveErrorCode> = new Set([
  'DriveNotFound',
  'DriveClosed',
  'UnformattedDrive',
  'DriveFaulty',
]);

function isOffline(err: unknown): boolean {
  return !isDriveError(err) || OFFLINE_CODES.has(err.code);
}

/** Closes shard handles (close never rejects). */
async function closeAll(handles: readonly ShardHandle[]): Promise<void> {
  await Promise.all(handles.map((h) => h.close()));
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"+|"+$/g, '');
}

/**
 * Shard index held by each slot for `key`: the shards are rotated by a hash of the key
 * so data-shard reads spread over all drives. Do not change: on-disk format (healing
 * recomputes which shard a drive missing the record must get).
 */
export function shardLayout(key: string, driveCount: number): number[] {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const rotation = h % driveCount;
  return Array.from({ length: driveCount }, (_, slot) => (slot + rotation) % driveCount);
}

export interface ErasureSetOptions {
  /** The set's drives in slot order. */
  drives: Drive[];
  /** Parity shards for new objects (data shards = drives - parity). */
  parityShards: number;
  pool: BufferPool;
  logger: Logger;
  keyLock?: KeyLock;
  /** Keys one listObjects page examines at most (default LIST_SCAN_MAX_KEYS; tests lower it). */
  listScanMaxKeys?: number;
  /** Versions a key keeps at most (default MAX_VERSIONS_PER_KEY; tests lower it). */
  maxVersionsPerKey?: number;
}

export interface ObjectHealResult {
  healed: boolean;
  shardsRepaired: number;
  failed: boolean;
}

interface MergedEntry<T> {
  key: string;
  /** Per slot: the drive's value, null when its scan covered the key without it, or its error. */
  results: DriveResult<T | null>[];
}

interface ScanBatch<T> {
  entries: MergedEntry<T>[];
  /** No drive has keys beyond this batch. */
  exhausted: boolean;
  /** The greatest key every answering drive has covered (the next cursor). */
  bound: string;
}

/** One key of a merged scan of object records. */
interface ScannedKey {
  key: string;
  /** The versions a quorum agrees on, newest first ([] when it agrees the key is gone); null when too few drives agree to tell. */
  versions: ObjectVersion[] | null;
}

interface RecordBatch {
  entries: ScannedKey[];
  /** No drive has keys beyond this batch. */
  exhausted: boolean;
  /** The greatest key every answering drive has covered (the next cursor). */
  bound: string;
}

/** One drive's answer to a record scan, cut at the batch bound. */
interface DriveScan {
  keys: string[];
  bytes: Buffer;
  ends: number[];
  /** Entries up to the batch bound (the rest are left to the next batch). */
  length: number;
}

/** Pause before the usage count retries a batch that failed (e.g. too few drives answered). */
const USAGE_COUNT_RETRY_MS = 10_000;

/** Per-drive records to write for one key: a version list (empty: delete the record), or null to skip the drive. */
type RecordPlan = (ObjectVersion[] | null)[];

/**
 * k data + m parity drives holding every object of the namespace. Metadata lives on
 * every drive; writes succeed at write quorum, reads take the record agreed by read
 * quorum. Implements ObjectLayer for server/ and StorageAdmin for healing.
 *
 * Locks: a key's writers take `bucket/key`; multipart part commits, aborts and
 * completes also take `upload\0<uploadId>` (always after the key lock, never before),
 * so a part cannot be replaced under a completion that references it. No lock is held
 * while a request body streams (putObject, putObjectPart): only around the commit.
 */
export class ErasureSet implements ObjectLayer, StorageAdmin, StorageStats {
  private readonly drives: Drive[];
  private readonly n: number;
  private readonly k: number;
  private readonly m: number;
  private readonly pool: BufferPool;
  private readonly logger: Logger;
  private readonly locks: KeyLock;
  private readonly codecs: Map<string, ErasureCodec>;
  private readonly healer: Healer;
  private readonly ids: IdGenerator;
  private readonly listScanMaxKeys: number;
  private readonly maxVersionsPerKey: number;
  private backgroundHeal: Promise<void> | null;
  /** Repairs made by background full heals since the last heal() call reported them. */
  private unreportedRepairs: Pick<HealReport, 'objectsHealed' | 'shardsRepaired' | 'bucketsHealed'>;
  private closed: boolean;
  /** Per-bucket usage, told about every commit (storage/usage.ts). */
  private readonly usage: UsageTracker;
  /** The start-up usage count while it runs. */
  private usageCount: Promise<void> | null;
  /** Cuts the usage count's pause before a retry short when the set closes. */
  private readonly closing: AbortController;
  /** Objects repaired since start by any heal (StorageStats.healStats). */
  private objectsHealedTotal: number;

  constructor(opts: ErasureSetOptions) {
    this.drives = opts.drives;
    this.n = opts.drives.length;
    this.m = opts.parityShards;
    this.k = this.n - this.m;
    if (this.k < 1 || this.m < 0)
      throw new RangeError(`invalid erasure geometry: ${this.n} drives, ${this.m} parity`);
    this.pool = opts.pool;
    this.logger = opts.logger;
    this.locks = opts.keyLock ?? new InProcessKeyLock();
    this.codecs = new Map();
    this.healer = new Healer({
      logger: opts.logger,
      healObject: async (bucket, key) => {
        const result = await this.healObject(bucket, key);
        if (result.healed) this.objectsHealedTotal++;
        return result;
      },
    });
    this.ids = new IdGenerator();
    this.listScanMaxKeys = opts.listScanMaxKeys ?? LIST_SCAN_MAX_KEYS;
    this.maxVersionsPerKey = opts.maxVersionsPerKey ?? MAX_VERSIONS_PER_KEY;
    this.backgroundHeal = null;
    this.unreportedRepairs = { objectsHealed: 0, shardsRepaired: 0, bucketsHealed: 0 };
    this.closed = false;
    this.usage = new UsageTracker();
    this.usageCount = null;
    this.closing = new AbortController();
    this.objectsHealedTotal = 0;
  }

  private codec(k: number, m: number): ErasureCodec {
    const id = `${k}+${m}`;
    let codec = this.codecs.get(id);
    if (!codec) {
      codec = new RonomonCodec(k, m);
      this.codecs.set(id, codec);
    }
    return codec;
  }

  // ---------------------------------------------------------------- buckets

  private bucketPick(results: DriveResult<BucketRecord | null>[], name: string) {
    return pickByQuorum(results, {
      identity: (r) => `${r.name}\u0000${r.createdAtMs}\u0000${r.updatedMs}`,
      quorumOf: () => readQuorum(this.k, this.m),
      nullQuorum: readQuorum(this.k, this.m),
      rank: (r) => r.updatedMs,
      what: `bucket ${name}`,
    });
  }

  private async readBucket(bucket: string): Promise<BucketRecord | null> {
    const results = await settleAll(this.drives, (d) => d.getBucketRecord(bucket));
    return this.bucketPick(results, bucket).value;
  }

  private async requireBucket(bucket: string): Promise<BucketRecord> {
    const record = await this.readBucket(bucket);
    if (!record) throw new StorageError('NoSuchBucket', `bucket ${bucket} does not exist`);
    return record;
  }

  /** requireBucket before a write: too few drives to read the bucket are too few to write. */
  private async requireBucketForWrite(bucket: string, what: string): Promise<BucketRecord> {
    try {
      return await this.requireBucket(bucket);
    } catch (err) {
      if (isStorageError(err, 'InsufficientReadQuorum')) {
        throw new StorageError('InsufficientWriteQuorum', `${what}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }

  /** Writes a bucket record everywhere; on a lost quorum puts the previous one back where it landed. */
  private async writeBucketRecord(record: BucketRecord, previous: BucketRecord | null, what: string) {
    const results = await settleAll(this.drives, (d) => d.putBucketRecord(record));
    try {
      reduceWriteResults(results, writeQuorum(this.k, this.m), what);
    } catch (err) {
      await settleAll(this.drives, (d, i) => {
        if (!results[i]?.ok) return Promise.resolve();
        return previous ? d.putBucketRecord(previous) : d.deleteBucketRecord(record.name);
      });
      throw err;
    }
  }

  async makeBucket(bucket: string, opts: { location: string; objectLockEnabled?: boolean }): Promise<void> {
    validateBucketName(bucket);
    const release = await this.locks.acquire(`bucket\u0000${bucket}`);
    try {
      if (await this.readBucket(bucket)) throw new StorageError('BucketExists', `bucket ${bucket} exists`);
      const now = Date.now();
      const objectLockEnabled = opts.objectLockEnabled === true;
      const record: BucketRecord = {
        v: RECORD_FORMAT_VERSION,
        name: bucket,
        createdAtMs: now,
        updatedMs: now,
        location: opts.location,
        versioning: objectLockEnabled ? 'Enabled' : 'Unversioned',
        objectLockEnabled,
        configs: {},
      };
      await this.writeBucketRecord(record, null, `makeBucket ${bucket}`);
      this.usage.bucketCreated(bucket);
    } finally {
      release();
    }
  }

  /** Read-modify-write of a bucket record under the bucket lock. */
  private async updateBucket(bucket: string, change: (record: BucketRecord) => BucketRecord): Promise<void> {
    validateBucketName(bucket);
    const release = await this.locks.acquire(`bucket\u0000${bucket}`);
    try {
      const previous = await this.requireBucketForWrite(bucket, `update bucket ${bucket}`);
      const next = change({ ...previous, configs: { ...previous.configs } });
      // updatedMs orders the drives' answers: strictly newer than what it replaces.
      next.updatedMs = Math.max(Date.now(), previous.updatedMs + 1);
      await this.writeBucketRecord(next, previous, `update bucket ${bucket}`);
    } finally {
      release();
    }
  }

  async setBucketVersioning(bucket: string, state: 'Enabled' | 'Suspended'): Promise<void> {
    await this.updateBucket(bucket, (r) => ({ ...r, versioning: state }));
  }

  async getBucketConfig(bucket: string, name: BucketConfigName): Promise<string | undefined> {
    validateBucketName(bucket);
    const record = await this.requireBucket(bucket);
    return Object.hasOwn(record.configs, name) ? record.configs[name] : undefined;
  }

  async putBucketConfig(bucket: string, name: BucketConfigName, value: string | undefined): Promise<void> {
    await this.updateBucket(bucket, (r) => {
      if (value === undefined) delete r.configs[name];
      else r.configs[name] = value;
      return r;
    });
  }

  async getBucketInfo(bucket: string): Promise<BucketInfo> {
    validateBucketName(bucket);
    return toBucketInfo(await this.requireBucket(bucket));
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const lists = await settleAll(this.drives, (d) => d.listBucketRecords());
    const names = new Set<string>();
    for (const r of lists) if (r.ok) for (const b of r.value) names.add(b.name);
    const out: BucketInfo[] = [];
    for (const name of [...names].sort(compareUtf8)) {
      const perDrive = lists.map(
        (r): DriveResult<BucketRecord | null> =>
          r.ok ? { ok: true, value: r.value.find((b) => b.name === name) ?? null } : r,
      );
      try {
        const picked = this.bucketPick(perDrive, name).value;
        if (picked) out.push(toBucketInfo(picked));
      } catch (err) {
        if (!isStorageError(err, 'InsufficientReadQuorum')) throw err;
      }
    }
    if (countOk(lists) < readQuorum(this.k, this.m)) {
      throw new StorageError('InsufficientReadQuorum', `listBuckets: only ${countOk(lists)} drives answered`);
    }
    return out;
  }

  /**
   * BucketNotEmpty while any version or delete marker exists (S3's rule). Multipart
   * uploads in progress do not keep a bucket alive: they are aborted with it.
   */
  async deleteBucket(bucket: string): Promise<void> {
    validateBucketName(bucket);
    const release = await this.locks.acquire(`bucket\u0000${bucket}`);
    try {
      await this.requireBucket(bucket);
      let cursor = '';
      for (;;) {
        const batch = await this.scanBatch(bucket, '', cursor, false, SCAN_BATCH_MIN);
        for (const entry of batch.entries) {
          if (entry.versions === null || entry.versions.length > 0) {
            throw new StorageError('BucketNotEmpty', `bucket ${bucket} is not empty`);
          }
        }
        if (batch.exhausted) break;
        cursor = batch.bound;
      }
      for (;;) {
        const batch = await this.scanUploadBatch(bucket, '', '', false, SCAN_BATCH_MAX);
        for (const entry of batch.entries) {
          const any = entry.results.find((r) => r.ok && r.value);
          const upload = any?.ok ? any.value : null;
          if (upload) await this.removeUpload(upload);
        }
        if (batch.exhausted) break;
      }
      const results = await settleAll(this.drives, (d) => d.deleteBucketRecord(bucket));
      reduceWriteResults(results, writeQuorum(this.k, this.m), `deleteBucket ${bucket}`);
      this.usage.bucketDeleted(bucket);
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- object records

  private async readRecords(bucket: string, key: string): Promise<DriveResult<ObjectRecord | null>[]> {
    return settleAll(this.drives, (d) => d.getObjectRecord(bucket, key));
  }

  private async resolve(bucket: string, key: string): Promise<ResolvedKey> {
    return resolveKey(await this.readRecords(bucket, key), this.k, this.m, `object ${bucket}/${key}`);
  }

  /**
   * The version a read asks for: the latest (NoSuchKey when none, or when it is a delete
   * marker, then with deleteMarkerVersionId) or the one with `versionId` (NoSuchVersion;
   * VersionIsDeleteMarker unless `allowDeleteMarker`).
   */
  private async readVersion(
    bucket: string,
    key: string,
    opts: { versionId?: string | undefined; allowDeleteMarker?: boolean | undefined },
  ): Promise<{ resolved: ResolvedKey; version: ObjectVersion; isLatest: boolean }> {
    const resolved = await this.resolve(bucket, key);
    const latest = resolved.versions[0];
    if (opts.versionId === undefined) {
      if (!latest) {
        await this.requireBucket(bucket);
        throw new StorageError('NoSuchKey', `no object ${key} in ${bucket}`);
      }
      if (latest.isDeleteMarker) {
        throw new StorageError('NoSuchKey', `object ${key} in ${bucket} is deleted`, {
          deleteMarkerVersionId: latest.versionId,
        });
      }
      return { resolved, version: latest, isLatest: true };
    }
    const version = resolved.versions.find((v) => v.versionId === opts.versionId);
    if (!version) {
      await this.requireBucket(bucket);
      throw new StorageError('NoSuchVersion', `no version ${opts.versionId} of ${key} in ${bucket}`);
    }
    if (version.isDeleteMarker && !opts.allowDeleteMarker) {
      throw new StorageError('VersionIsDeleteMarker', `version ${version.versionId} is a delete marker`, {
        deleteMarkerVersionId: version.versionId,
      });
    }
    return { resolved, version, isLatest: version === latest };
  }

  /** What a write precondition sees: the latest version unless it is a delete marker. */
  private static checkPrecondition(
    precondition: WritePrecondition | undefined,
    bucket: string,
    key: string,
    resolved: ResolvedKey,
  ): void {
    if (!precondition) return;
    const latest = resolved.versions[0];
    precondition(latest && !latest.isDeleteMarker ? toObjectInfo(bucket, key, latest, true) : undefined);
  }

  /**
   * Writes each drive's new record (a version list; empty deletes the record) and, when
   * fewer than `quorum` drives took it, puts the previous records back where the new
   * one landed so no read quorum can agree on it. Resolves with the per-drive results
   * and whether the rollback itself failed somewhere (then the new version's data must
   * be kept: a record naming it may survive; healing settles the key).
   */
  private async commitRecords(
    bucket: string,
    key: string,
    resolved: ResolvedKey,
    plan: RecordPlan,
    quorum: number,
    /** The agreed version list the commit amounts to (for usage counting); absent: unchanged. */
    agreed?: readonly ObjectVersion[],
  ): Promise<{ puts: DriveResult<void>[]; committed: boolean; undoFailed: boolean }> {
    if (agreed === undefined) return this.writeRecords(bucket, key, resolved, plan, quorum);
    this.usage.begin(bucket, key, resolved.versions);
    let committed = false;
    try {
      const result = await this.writeRecords(bucket, key, resolved, plan, quorum);
      committed = result.committed;
      return result;
    } finally {
      this.usage.end(bucket, key, resolved.versions, agreed, committed);
    }
  }

  /** commitRecords without usage counting. */
  private async writeRecords(
    bucket: string,
    key: string,
    resolved: ResolvedKey,
    plan: RecordPlan,
    quorum: number,
  ): Promise<{ puts: DriveResult<void>[]; committed: boolean; undoFailed: boolean }> {
    const puts = await settleAll(this.drives, (d, slot) => {
      const versions = plan[slot];
      if (!versions) return Promise.reject(new StorageError('InsufficientWriteQuorum', 'drive skipped'));
      if (versions.length === 0) return d.deleteObjectRecord(bucket, key);
      return d.putObjectRecord(bucket, key, { v: RECORD_FORMAT_VERSION, versions });
    });
    if (countOk(puts) >= quorum) return { puts, committed: true, undoFailed: false };
    const undo = await settleAll(this.drives, (d, slot) => {
      if (!puts[slot]?.ok) return Promise.resolve();
      const prev = resolved.results[slot];
      return prev?.ok && prev.value
        ? d.putObjectRecord(bucket, key, prev.value)
        : d.deleteObjectRecord(bucket, key);
    });
    const undoFailed = undo.some((r) => !r.ok);
    if (undoFailed) this.healer.enqueue(bucket, key);
    return { puts, committed: false, undoFailed };
  }

  /** Data dirs named by any drive's previous record that the new agreed list no longer names. */
  private static unreferencedDirs(resolved: ResolvedKey, kept: readonly ObjectVersion[]): Set<string> {
    const dirs = new Set<string>();
    for (const r of resolved.results)
      if (r.ok && r.value)
        for (const v of r.value.versions) if (v.dataDir !== '' && !v.inline) dirs.add(v.dataDir);
    for (const v of kept) dirs.delete(v.dataDir);
    return dirs;
  }

  /** Best-effort removal of data dirs on every drive (orphans are harmless, only wasted space). */
  private async deleteDataDirs(dirs: ReadonlySet<string>): Promise<void> {
    if (dirs.size === 0) return;
    await settleAll(this.drives, async (d) => {
      for (const dir of dirs) await d.deleteDataDir(dir);
    });
  }

  /** The versionId a new version gets in a bucket in this state (S3's null version rules). */
  private newVersionId(bucket: BucketRecord): string {
    return bucket.versioning === 'Enabled' ? this.ids.next() : NULL_VERSION_ID;
  }

  /**
   * Per-drive lists after adding `makeVersion(slot)` as the newest version: in a bucket
   * that is not Enabled, it replaces the null version. Drives marked false in `writable`
   * are skipped. Returns the plan and the agreed list it amounts to.
   */
  private planAdd(
    resolved: ResolvedKey,
    newVersion: ObjectVersion,
    writable: readonly boolean[],
    makeCopy: (slot: number) => ObjectVersion,
  ): { plan: RecordPlan; agreed: ObjectVersion[] } {
    const replaces = (v: ObjectVersion) => v.versionId === newVersion.versionId;
    const agreed = [newVersion, ...resolved.versions.filter((v) => !replaces(v))];
    if (agreed.length > this.maxVersionsPerKey) {
      throw new StorageError(
        'TooManyVersions',
        `a key keeps at most ${this.maxVersionsPerKey} versions and delete markers; delete old versions first`,
      );
    }
    const plan: RecordPlan = this.drives.map((_, slot) =>
      writable[slot] ? [makeCopy(slot), ...ownVersions(resolved, slot).filter((v) => !replaces(v))] : null,
    );
    return { plan, agreed };
  }

  // ---------------------------------------------------------------- objects

  /**
   * Locking: the body streams into temp shard files and is committed into this write's
   * own data dir WITHOUT the key lock (nothing names that dir yet, so no other writer
   * or reader can see or touch it). Only resolve → precondition → record commit →
   * removal of replaced data runs under `bucket/key`, as in putObjectPart. Concurrent
   * PUTs of one key upload in parallel and the last to commit wins; a client that
   * holds one PUT's body open while a second PUT of the key completes (s3-tests'
   * dual writes) does not wait on itself.
   */
  async putObject(bucket: string, key: string, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const what = `putObject ${bucket}/${key}`;
    await this.requireBucketForWrite(bucket, what);
    if (opts.precondition) {
      // Early check, no lock: a write refused now (If-None-Match: * on an existing key)
      // fails before its body is uploaded. Not authoritative: the check under the key
      // lock right before the commit decides.
      ErasureSet.checkPrecondition(opts.precondition, bucket, key, await this.resolve(bucket, key));
    }
    const { k, m, n } = this;
    const wq = writeQuorum(k, m);
    const dataDir = randomUUID();
    const layout = shardLayout(key, n);
    // Known-large bodies go straight to temp files; unknown sizes start in memory and spill.
    const inlineLimit =
      opts.sizeBytes >= 0 && shardFileSizeBytes(opts.sizeBytes, k) > INLINE_SHARD_MAX_BYTES
        ? 0
        : INLINE_SHARD_MAX_BYTES;
    const slotWriters = this.drives.map((d) => new DriveShardWriter(d, inlineLimit));
    const writers: (ShardWriter | null)[] = new Array<ShardWriter | null>(n).fill(null);
    slotWriters.forEach((w, slot) => {
      writers[layout[slot] ?? 0] = w;
    });
    let shardsCommitted = false;
    try {
      const { sizeBytes, failed } = await encodeObject(body, {
        codec: this.codec(k, m),
        writers,
        writeQuorum: wq,
        expectedSizeBytes: opts.sizeBytes,
        pool: this.pool,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      // The body ended; the caller's verdict (checksums) comes before anything is committed.
      const final = opts.finalize();
      let okSlots = slotWriters.map((_, slot) => !failed[layout[slot] ?? 0]);
      const inline = !slotWriters.some((w, slot) => okSlots[slot] && w.spilled);

      if (!inline) {
        // Crash safety, step 1: shard files are fdatasynced, renamed into the data dir and
        // the directories fsynced on every drive BEFORE any record names the data dir. A
        // crash before step 2 leaves only an unreferenced data dir, never a record
        // pointing at missing shards. The data dir is this write's own (a fresh UUID)
        // and no record names it yet: no key lock needed.
        shardsCommitted = true;
        const commits = await settleAll(slotWriters, (w, slot) =>
          okSlots[slot]
            ? w.commit(dataDir)
            : Promise.reject(new StorageError('InsufficientWriteQuorum', 'shard write failed')),
        );
        reduceWriteResults(commits, wq, `${what}: commit shards`);
        okSlots = commits.map((r) => r.ok);
      }

      const release = await this.locks.acquire(`${bucket}/${key}`);
      try {
        // Read again under the lock: the versioning state that names the new version is
        // the current one, and a bucket deleted while the body streamed refuses the write.
        const bucketRecord = await this.requireBucketForWrite(bucket, what);
        const resolved = await this.resolve(bucket, key);
        // Under the key lock, right before the commit: conditional writes are atomic.
        ErasureSet.checkPrecondition(opts.precondition, bucket, key, resolved);
        const metadata = { ...opts.metadata, ...(final.metadata ?? {}) };
        const base: ObjectVersion = {
          versionId: this.newVersionId(bucketRecord),
          isDeleteMarker: false,
          modTimeMs: Date.now(),
          sizeBytes,
          etag: final.etag,
          metadata,
          dataDir,
          parts: [{ number: 1, sizeBytes, etag: final.etag, metadata: {} }],
          k,
          m,
          driveIndex: 0,
          blockSizeBytes: BLOCK_SIZE_BYTES,
        };
        const { plan, agreed } = this.planAdd(resolved, base, okSlots, (slot) => {
          const version: ObjectVersion = { ...base, driveIndex: layout[slot] ?? 0 };
          if (inline) version.inline = slotWriters[slot]?.inlineBytes() ?? new Uint8Array(0);
          return version;
        });
        // Step 2: the record, on every drive that holds its shard; the write is
        // committed once write quorum holds it (a read quorum then sees it).
        const { puts, committed, undoFailed } = await this.commitRecords(
          bucket,
          key,
          resolved,
          plan,
          wq,
          agreed,
        );
        if (!committed) {
          if (undoFailed) shardsCommitted = false;
          reduceWriteResults(puts, wq, `${what}: commit record`);
        }
        // Step 3: a replaced null version's data is unreferenced now. Readers that already
        // opened it keep their file descriptors (unlink does not affect open files).
        await this.deleteDataDirs(ErasureSet.unreferencedDirs(resolved, agreed));
        if (puts.some((r) => !r.ok) || resolved.exact.some((e) => !e)) this.healer.enqueue(bucket, key);
        return toObjectInfo(bucket, key, base, true);
      } finally {
        release();
      }
    } catch (err) {
      // No record names the data dir (unless a failed rollback left one: then it is
      // kept for healing), so removing it needs no lock either.
      await Promise.all(slotWriters.map((w) => w.abort()));
      if (shardsCommitted) await this.deleteDataDirs(new Set([dataDir]));
      throw err;
    }
  }

  async getObjectInfo(
    bucket: string,
    key: string,
    opts?: { versionId?: string; allowDeleteMarker?: boolean },
  ): Promise<ObjectInfo> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const { resolved, version, isLatest } = await this.readVersion(bucket, key, opts ?? {});
    this.maybeHeal(bucket, key, resolved);
    return toObjectInfo(bucket, key, version, isLatest);
  }

  /** Queues a heal when a reachable drive's record differs from the agreed one. */
  private maybeHeal(bucket: string, key: string, resolved: ResolvedKey): void {
    const needs = resolved.results.some((r, slot) => !resolved.exact[slot] && (r.ok || !isOffline(r.error)));
    if (needs) this.healer.enqueue(bucket, key);
  }

  /**
   * Opens one part's shards on the drives holding `version`. Zero-byte parts have no
   * file. Returns readers by shard index and the handles to close.
   */
  private async openPart(
    version: ObjectVersion,
    copies: (ObjectVersion | null)[],
    part: VersionPart,
  ): Promise<{ readers: (ShardReader | null)[]; handles: ShardHandle[]; faulty: boolean }> {
    const readers: (ShardReader | null)[] = new Array<ShardReader | null>(version.k + version.m).fill(null);
    const handles: ShardHandle[] = [];
    if (part.sizeBytes === 0) return { readers, handles, faulty: false };
    const opened = await settleAll(this.drives, async (d, slot): Promise<void> => {
      const c = copies[slot];
      if (!c) return;
      if (c.inline) {
        readers[c.driveIndex] = new MemoryShardReader(c.inline);
        return;
      }
      const handle = await d.openShard(c.dataDir, part.number);
      handles.push(handle);
      readers[c.driveIndex] = handle;
    });
    return { readers, handles, faulty: opened.some((o) => !o.ok && !isOffline(o.error)) };
  }

  async getObject(bucket: string, key: string, opts: GetObjectOptions): Promise<GetObjectResult> {
    validateBucketName(bucket);
    validateObjectKey(key);
    // Two attempts: an overwrite may delete the data dir between our record read and
    // our opens; the second read then sees the new version.
    for (let attempt = 0; ; attempt++) {
      const { resolved, version, isLatest } = await this.readVersion(bucket, key, {
        versionId: opts.versionId,
      });
      const copies = copiesOf(resolved, version);
      const offset = opts.range ? opts.range.start : 0;
      const length = opts.range ? opts.range.end - opts.range.start + 1 : version.sizeBytes;
      // The parts the range touches, with the slice of each.
      const slices: Array<{ part: VersionPart; offset: number; length: number }> = [];
      let partStart = 0;
      for (const part of version.parts) {
        const from = Math.max(offset, partStart);
        const to = Math.min(offset + length, partStart + part.sizeBytes);
        if (to > from) slices.push({ part, offset: from - partStart, length: to - from });
        partStart += part.sizeBytes;
      }
      // Open the first parts' shards BEFORE resolving: the stream then reads the
      // version it started with even if a concurrent overwrite deletes its data dir.
      const eager: Array<Awaited<ReturnType<ErasureSet['openPart']>> | undefined> = [];
      let short = false;
      for (const slice of slices.slice(0, EAGER_PART_OPENS)) {
        const opened = await this.openPart(version, copies, slice.part);
        eager.push(opened);
        if (opened.readers.filter((r) => r !== null).length < version.k) short = true;
      }
      if (short) {
        await Promise.all(eager.flatMap((o) => (o ? o.handles.map((h) => h.close()) : [])));
        if (attempt === 0) continue;
        throw new StorageError(
          'InsufficientReadQuorum',
          `object ${bucket}/${key}: fewer than ${version.k} shards readable`,
        );
      }
      if (eager.some((o) => o?.faulty)) this.healer.enqueue(bucket, key);
      else this.maybeHeal(bucket, key, resolved);

      const info = toObjectInfo(bucket, key, version, isLatest);
      const codec = this.codec(version.k, version.m);
      const onFault = () => {
        this.healer.enqueue(bucket, key);
      };
      const first = slices[0];
      const firstOpened = eager[0];
      if (slices.length <= 1) {
        const handles = firstOpened?.handles ?? [];
        let stream: Readable;
        try {
          stream = decodeObject({
            codec,
            readers: firstOpened?.readers ?? new Array<ShardReader | null>(version.k + version.m).fill(null),
            objectSizeBytes: first?.part.sizeBytes ?? 0,
            offset: first?.offset ?? 0,
            length: first?.length ?? 0,
            pool: this.pool,
            onFault,
          });
        } catch (err) {
          await Promise.all(handles.map((h) => h.close()));
          throw err;
        }
        stream.once('close', () => {
          for (const h of handles) void h.close();
        });
        return { info, stream };
      }
      // Several parts: one stream that opens each part's shards when it gets there (the
      // first EAGER_PART_OPENS are open already) and closes them once read.
      const self = this;
      let stream: Readable;
      try {
        stream = decodeParts({
          codec,
          pool: this.pool,
          onFault,
          parts: slices.map((slice, index) => ({
            objectSizeBytes: slice.part.sizeBytes,
            offset: slice.offset,
            length: slice.length,
            async open() {
              let opened = eager[index];
              eager[index] = undefined;
              if (!opened) {
                opened = await self.openPart(version, copies, slice.part);
                if (opened.faulty) self.healer.enqueue(bucket, key);
              }
              const { handles } = opened;
              return { readers: opened.readers, close: async () => void (await closeAll(handles)) };
            },
          })),
        });
      } catch (err) {
        await Promise.all(eager.flatMap((o) => (o ? o.handles.map((h) => h.close()) : [])));
        throw err;
      }
      // Parts opened eagerly that the stream never reached are closed with it.
      stream.once('close', () => {
        for (const o of eager) if (o) void closeAll(o.handles);
      });
      return { info, stream };
    }
  }

  async updateObjectMetadata(
    bucket: string,
    key: string,
    update: (current: ObjectInfo) => ObjectMetadata,
    opts?: { versionId?: string; touch?: boolean },
  ): Promise<ObjectInfo> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const release = await this.locks.acquire(`${bucket}/${key}`);
    try {
      const { resolved, version, isLatest } = await this.readVersion(bucket, key, {
        versionId: opts?.versionId,
      });
      const metadata = { ...update(toObjectInfo(bucket, key, version, isLatest)) };
      const modTimeMs = opts?.touch === false ? version.modTimeMs : Date.now();
      const copies = copiesOf(resolved, version);
      const plan: RecordPlan = this.drives.map((_, slot) => {
        if (!copies[slot]) return null;
        return ownVersions(resolved, slot).map((v) =>
          v.versionId === version.versionId ? { ...v, metadata, modTimeMs } : v,
        );
      });
      const wq = writeQuorum(version.k, version.m);
      const { puts, committed } = await this.commitRecords(bucket, key, resolved, plan, wq);
      if (!committed) reduceWriteResults(puts, wq, `updateObjectMetadata ${bucket}/${key}`);
      if (puts.some((p) => !p.ok)) this.healer.enqueue(bucket, key);
      return toObjectInfo(bucket, key, { ...version, metadata, modTimeMs }, isLatest);
    } finally {
      release();
    }
  }

  /** A delete marker as drive `slot` stores it. */
  private deleteMarker(versionId: string, key: string): (slot: number) => ObjectVersion {
    const layout = shardLayout(key, this.n);
    const modTimeMs = Date.now();
    return (slot) => ({
      versionId,
      isDeleteMarker: true,
      modTimeMs,
      sizeBytes: 0,
      etag: '',
      metadata: {},
      dataDir: '',
      parts: [],
      k: this.k,
      m: this.m,
      driveIndex: layout[slot] ?? 0,
      blockSizeBytes: BLOCK_SIZE_BYTES,
    });
  }

  async deleteObject(bucket: string, key: string, opts?: DeleteObjectOptions): Promise<DeleteObjectResult> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const bucketRecord = await this.requireBucketForWrite(bucket, `deleteObject ${bucket}/${key}`);
    const release = await this.locks.acquire(`${bucket}/${key}`);
    try {
      const resolved = await this.resolve(bucket, key);
      const wq = writeQuorum(this.k, this.m);
      const what = `deleteObject ${bucket}/${key}`;
      const versionId = opts?.versionId;

      if (versionId !== undefined) {
        const target = resolved.versions.find((v) => v.versionId === versionId);
        if (!target) return { versionId, isDeleteMarker: false };
        opts?.check?.(toObjectInfo(bucket, key, target, target === resolved.versions[0]));
        const agreed = resolved.versions.filter((v) => v !== target);
        const plan: RecordPlan = this.drives.map((_, slot) =>
          resolved.results[slot]?.ok
            ? ownVersions(resolved, slot).filter((v) => v.versionId !== versionId)
            : null,
        );
        // Records first, then data: a crash in between leaves orphan data, never a
        // record without its shards.
        const { puts, committed } = await this.commitRecords(bucket, key, resolved, plan, wq, agreed);
        if (!committed) reduceWriteResults(puts, wq, what);
        await this.deleteDataDirs(ErasureSet.unreferencedDirs(resolved, agreed));
        if (puts.some((p) => !p.ok)) this.healer.enqueue(bucket, key);
        return { versionId, isDeleteMarker: target.isDeleteMarker };
      }

      if (bucketRecord.versioning === 'Unversioned') {
        // Dangling records of failed writes on a minority of drives go too.
        if (resolved.versions.length === 0 && !resolved.results.some((r) => r.ok && r.value)) {
          return { isDeleteMarker: false };
        }
        this.usage.begin(bucket, key, resolved.versions);
        const deletes = await settleAll(this.drives, (d) => d.deleteObjectRecord(bucket, key));
        this.usage.end(bucket, key, resolved.versions, [], countOk(deletes) >= wq);
        reduceWriteResults(deletes, wq, what);
        await this.deleteDataDirs(ErasureSet.unreferencedDirs(resolved, []));
        return { isDeleteMarker: false };
      }

      // Enabled: a new delete marker; Suspended: a null marker replacing the null version.
      const markerId = this.newVersionId(bucketRecord);
      const makeMarker = this.deleteMarker(markerId, key);
      const marker = makeMarker(0);
      const { plan, agreed } = this.planAdd(
        resolved,
        marker,
        resolved.results.map((r) => r.ok || !isOffline(r.error)),
        makeMarker,
      );
      const { puts, committed } = await this.commitRecords(bucket, key, resolved, plan, wq, agreed);
      if (!committed) reduceWriteResults(puts, wq, what);
      await this.deleteDataDirs(ErasureSet.unreferencedDirs(resolved, agreed));
      if (puts.some((p) => !p.ok)) this.healer.enqueue(bucket, key);
      return { versionId: markerId, isDeleteMarker: true };
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- listing

  /**
   * One merged range scan: each drive returns up to `limit` sorted entries after the
   * cursor; only keys up to the smallest "last key" among drives that returned a full
   * page are complete on every drive, so the batch stops there.
   */
  private async mergedScan<T>(
    fetch: (d: Drive) => Promise<T[]>,
    keyOf: (t: T) => string,
    limit: number,
    what: string,
  ): Promise<ScanBatch<T>> {
    const scans = await settleAll(this.drives, fetch);
    if (countOk(scans) < readQuorum(this.k, this.m)) {
      throw new StorageError('InsufficientReadQuorum', `${what}: only ${countOk(scans)} drives answered`);
    }
    let bound: string | null = null;
    for (const s of scans) {
      if (!s.ok || s.value.length < limit) continue;
      const lastEntry = s.value[s.value.length - 1];
      const last = lastEntry === undefined ? '' : keyOf(lastEntry);
      if (bound === null || compareUtf8(last, bound) < 0) bound = last;
    }
    const byKey = new Map<string, DriveResult<T | null>[]>();
    scans.forEach((s, slot) => {
      if (!s.ok) return;
      for (const value of s.value) {
        const key = keyOf(value);
        if (bound !== null && compareUtf8(key, bound) > 0) break;
        let results = byKey.get(key);
        if (!results) {
          results = scans.map((x): DriveResult<T | null> => (x.ok ? { ok: true, value: null } : x));
          byKey.set(key, results);
        }
        results[slot] = { ok: true, value };
      }
    });
    const keys = [...byKey.keys()].sort(compareUtf8);
    return {
      entries: keys.map((key) => ({ key, results: byKey.get(key) ?? [] })),
      exhausted: bound === null,
      bound: bound ?? '',
    };
  }

  /**
   * One merged range scan of object records: like mergedScan, over the drives' stored
   * bytes. When every drive that answered holds a key's record and the copies are
   * byte-equal but for driveIndex (record-codec.ts), one copy is decoded: that is
   * resolveKey's fast path, without decoding the other drives' copies. Anything else
   * (a drive without the key, a different or undecodable copy) decodes every copy and
   * resolves by quorum, as a single-key read does; a copy that does not decode counts
   * as that drive's error for that key only.
   */
  private async scanBatch(
    bucket: string,
    prefix: string,
    cursor: string,
    skipUnder: boolean,
    limit: number,
  ): Promise<RecordBatch> {
    const scans = await settleAll(this.drives, (d) =>
      d.scanObjectRecords(bucket, { prefix, startAfter: cursor, skipUnderStartAfter: skipUnder, limit }),
    );
    const okCount = countOk(scans);
    if (okCount < readQuorum(this.k, this.m)) {
      throw new StorageError('InsufficientReadQuorum', `listing ${bucket}: only ${okCount} drives answered`);
    }
    // Only keys up to the smallest "last key" among drives that returned a full page are
    // complete on every drive, so the batch stops there.
    let bound: string | null = null;
    for (const s of scans) {
      if (!s.ok || s.value.keys.length < limit) continue;
      const last = s.value.keys[s.value.keys.length - 1] ?? '';
      if (bound === null || compareUtf8(last, bound) < 0) bound = last;
    }
    const lists = scans.map((s): DriveScan | null => (s.ok ? ErasureSet.cutScan(s.value, bound) : null));
    const pos = lists.map(() => 0);
    const holders: number[] = [];
    const entries: ScannedKey[] = [];
    for (;;) {
      // The smallest key at any drive's position (every list is sorted, UTF-8 order).
      let key: string | null = null;
      for (let slot = 0; slot < lists.length; slot++) {
        const list = lists[slot];
        const at = pos[slot] ?? 0;
        if (!list || at >= list.length) continue;
        const k = list.keys[at] as string;
        if (key === null || (k !== key && compareUtf8(k, key) < 0)) key = k;
      }
      if (key === null) break;
      holders.length = 0;
      for (let slot = 0; slot < lists.length; slot++) {
        const list = lists[slot];
        const at = pos[slot] ?? 0;
        if (list && at < list.length && list.keys[at] === key) holders.push(slot);
      }
      entries.push({ key, versions: this.agreedVersions(bucket, key, scans, lists, pos, holders, okCount) });
      for (const slot of holders) pos[slot] = (pos[slot] ?? 0) + 1;
    }
    return { entries, exhausted: bound === null, bound: bound ?? '' };
  }

  private static cutScan(scan: StoredRecords, bound: string | null): DriveScan {
    const { keys, ends } = scan;
    let length = keys.length;
    if (bound !== null) while (length > 0 && compareUtf8(keys[length - 1] as string, bound) > 0) length--;
    const bytes = Buffer.isBuffer(scan.bytes)
      ? scan.bytes
      : Buffer.from(scan.bytes.buffer, scan.bytes.byteOffset, scan.bytes.byteLength);
    return { keys, bytes, ends, length };
  }

  /** The versions of `key` (at `pos` in the lists of the `holders`) that a quorum agrees on, or null. */
  private agreedVersions(
    bucket: string,
    key: string,
    scans: readonly DriveResult<StoredRecords>[],
    lists: readonly (DriveScan | null)[],
    pos: readonly number[],
    holders: readonly number[],
    okCount: number,
  ): ObjectVersion[] | null {
    const span = (slot: number) => {
      const list = lists[slot] as DriveScan;
      const at = pos[slot] ?? 0;
      return { bytes: list.bytes, start: at === 0 ? 0 : (list.ends[at - 1] ?? 0), end: list.ends[at] ?? 0 };
    };
    if (holders.length === okCount) {
      const a = span(holders[0] ?? 0);
      let record: ObjectRecord | null = null;
      try {
        record = decodeStoredObjectRecord(a.bytes.subarray(a.start, a.end));
      } catch {
        // Decoded again below, per drive.
      }
      const head = record?.versions[0];
      if (record && head && okCount >= readQuorum(head.k, head.m)) {
        const offsets = driveIndexOffsets(a.bytes, a.start, a.end, record.versions.length);
        let same = offsets !== null;
        for (let h = 1; same && offsets && h < holders.length; h++) {
          const b = span(holders[h] ?? 0);
          same = sameStoredRecord(a.bytes, a.start, a.end, offsets, b.bytes, b.start, b.end);
        }
        if (same) return record.versions;
      }
    }
    const results = scans.map((scan, slot): DriveResult<ObjectRecord | null> => {
      if (!scan.ok) return scan;
      if (!holders.includes(slot)) return { ok: true, value: null };
      const copy = span(slot);
      try {
        return { ok: true, value: decodeStoredObjectRecord(copy.bytes.subarray(copy.start, copy.end)) };
      } catch (err) {
        const endpoint = this.drives[slot]?.endpoint ?? `drive ${slot}`;
        const error = new DriveError(
          'FileCorrupt',
          `record ${bucket}/${key} on ${endpoint}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
        return { ok: false, error };
      }
    });
    try {
      return resolveKey(results, this.k, this.m, `object ${bucket}/${key}`).versions;
    } catch (err) {
      if (isStorageError(err, 'InsufficientReadQuorum')) return null;
      throw err;
    }
  }

  /** Where a listing starts: after the marker, or after the whole common prefix holding it. */
  private static listStart(prefix: string, delimiter: string, marker: string) {
    if (delimiter !== '' && marker.startsWith(prefix)) {
      const at = marker.indexOf(delimiter, prefix.length);
      // A marker inside a common prefix (or the prefix itself): every key under it rolls
      // up into a common prefix that is not greater than the marker, so skip them all.
      if (at >= 0) return { cursor: marker.slice(0, at + delimiter.length), skipUnder: true };
    }
    return { cursor: marker, skipUnder: false };
  }

  /**
   * Where the next scan batch starts: past the whole rolled-up common prefix when the
   * batch ended inside it (so its keys are skipped, not read), else after the batch.
   */
  private static nextScan(rolledUp: string | null, bound: string): { cursor: string; skipUnder: boolean } {
    if (rolledUp !== null && bound.startsWith(rolledUp)) return { cursor: rolledUp, skipUnder: true };
    return { cursor: bound, skipUnder: false };
  }

  async listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult> {
    validateBucketName(bucket);
    await this.requireBucket(bucket);
    if (opts.maxKeys <= 0) return { objects: [], commonPrefixes: [], isTruncated: false };
    const { prefix, delimiter, startAfter } = opts;
    // One entry beyond the page tells whether the listing is truncated.
    const want = opts.maxKeys + 1;
    type Item = { kind: 'object'; key: string; version: ObjectVersion } | { kind: 'prefix'; key: string };
    const items: Item[] = [];
    let { cursor, skipUnder } = ErasureSet.listStart(prefix, delimiter, startAfter);
    let examined = 0;
    let lastExamined = '';
    let cutAt: string | null = null;

    scan: for (;;) {
      const limit = Math.min(SCAN_BATCH_MAX, Math.max(SCAN_BATCH_MIN, want - items.length));
      const batch = await this.scanBatch(bucket, prefix, cursor, skipUnder, limit);
      let rolledUp: string | null = null;
      for (const entry of batch.entries) {
        if (items.length >= want) break;
        if (rolledUp !== null && entry.key.startsWith(rolledUp)) continue;
        if (++examined > this.listScanMaxKeys) {
          // Bounded work per page (a long run of deleted keys): end the page here and
          // continue after the last key examined.
          cutAt = lastExamined;
          break scan;
        }
        lastExamined = entry.key;
        const latest = entry.versions?.[0];
        // Keys whose latest version is a delete marker are not listed (nor rolled up).
        if (!latest || latest.isDeleteMarker) continue;
        const at = delimiter === '' ? -1 : entry.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          rolledUp = entry.key.slice(0, at + delimiter.length);
          items.push({ kind: 'prefix', key: rolledUp });
        } else {
          items.push({ kind: 'object', key: entry.key, version: latest });
        }
      }
      if (items.length >= want || batch.exhausted) break;
      ({ cursor, skipUnder } = ErasureSet.nextScan(rolledUp, batch.bound));
    }

    const isTruncated = items.length > opts.maxKeys || cutAt !== null;
    const page = items.slice(0, opts.maxKeys);
    const result: ListObjectsResult = {
      objects: page.flatMap((i) =>
        i.kind === 'object' ? [toObjectInfo(bucket, i.key, i.version, true)] : [],
      ),
      commonPrefixes: page.flatMap((i) => (i.kind === 'prefix' ? [i.key] : [])),
      isTruncated,
    };
    if (isTruncated) {
      // A page cut short by the scan bound ends at the last key examined (it is never
      // before the last entry listed; inside a listed common prefix it skips the rest).
      result.nextMarker = cutAt ?? page[page.length - 1]?.key ?? '';
    }
    return result;
  }

  async listObjectVersions(
    bucket: string,
    opts: ListObjectVersionsOptions,
  ): Promise<ListObjectVersionsResult> {
    validateBucketName(bucket);
    await this.requireBucket(bucket);
    if (opts.maxKeys <= 0) return { versions: [], commonPrefixes: [], isTruncated: false };
    const { prefix, delimiter, keyMarker, versionIdMarker } = opts;
    const want = opts.maxKeys + 1;
    type Item =
      | { kind: 'version'; key: string; version: ObjectVersion; isLatest: boolean }
      | { kind: 'prefix'; key: string };
    const items: Item[] = [];
    const pushVersions = (key: string, versions: ObjectVersion[], from: number) => {
      for (let i = from; i < versions.length && items.length < want; i++) {
        const version = versions[i];
        if (version) items.push({ kind: 'version', key, version, isLatest: i === 0 });
      }
    };

    let { cursor, skipUnder } = ErasureSet.listStart(prefix, delimiter, keyMarker);
    // Continue inside the marker key: its versions after versionIdMarker come first.
    if (keyMarker !== '' && versionIdMarker !== '' && !skipUnder && keyMarker.startsWith(prefix)) {
      const resolved = await this.resolve(bucket, keyMarker);
      const at = resolved.versions.findIndex((v) => v.versionId === versionIdMarker);
      if (at >= 0) pushVersions(keyMarker, resolved.versions, at + 1);
    }

    while (items.length < want) {
      const limit = Math.min(SCAN_BATCH_MAX, Math.max(SCAN_BATCH_MIN, want - items.length));
      const batch = await this.scanBatch(bucket, prefix, cursor, skipUnder, limit);
      let rolledUp: string | null = null;
      for (const entry of batch.entries) {
        if (items.length >= want) break;
        if (rolledUp !== null && entry.key.startsWith(rolledUp)) continue;
        const versions = entry.versions;
        if (!versions || versions.length === 0) continue;
        const at = delimiter === '' ? -1 : entry.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          rolledUp = entry.key.slice(0, at + delimiter.length);
          items.push({ kind: 'prefix', key: rolledUp });
        } else {
          pushVersions(entry.key, versions, 0);
        }
      }
      if (items.length >= want || batch.exhausted) break;
      ({ cursor, skipUnder } = ErasureSet.nextScan(rolledUp, batch.bound));
    }

    const isTruncated = items.length > opts.maxKeys;
    const page = items.slice(0, opts.maxKeys);
    const result: ListObjectVersionsResult = {
      versions: page.flatMap((i) =>
        i.kind === 'version' ? [toObjectInfo(bucket, i.key, i.version, i.isLatest)] : [],
      ),
      commonPrefixes: page.flatMap((i) => (i.kind === 'prefix' ? [i.key] : [])),
      isTruncated,
    };
    if (isTruncated) {
      const last = page[page.length - 1];
      if (last) {
        result.nextKeyMarker = last.key;
        if (last.kind === 'version') result.nextVersionIdMarker = last.version.versionId;
      }
    }
    return result;
  }

  // ---------------------------------------------------------------- multipart

  private uploadPick(results: DriveResult<UploadRecord | null>[], uploadId: string) {
    return pickByQuorum(results, {
      identity: (r) => `${r.uploadId}\u0000${r.initiatedMs}\u0000${r.dataDir}`,
      quorumOf: (r) => readQuorum(r.k, r.m),
      nullQuorum: readQuorum(this.k, this.m),
      rank: (r) => r.initiatedMs,
      what: `upload ${uploadId}`,
    });
  }

  /** The upload agreed by quorum, or null. Malformed ids are simply unknown. */
  private async readUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null> {
    if (!TIME_ORDERED_ID_RE.test(uploadId)) return null;
    const results = await settleAll(this.drives, (d) => d.getUploadRecord(bucket, key, uploadId));
    return this.uploadPick(results, uploadId).value;
  }

  private async requireUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
    const upload = await this.readUpload(bucket, key, uploadId);
    if (!upload) {
      await this.requireBucket(bucket);
      throw new StorageError('NoSuchUpload', `no upload ${uploadId} for ${bucket}/${key}`);
    }
    return upload;
  }

  /** Per part number: the part record a quorum agrees on and which drives agree with it. */
  private async readParts(
    upload: UploadRecord,
  ): Promise<{ parts: Map<number, { record: PartRecord; agreeing: boolean[] }>; numbers: Set<number> }> {
    const lists = await settleAll(this.drives, (d) => d.listPartRecords(upload.uploadId));
    const numbers = new Set<number>();
    for (const l of lists) if (l.ok) for (const p of l.value) numbers.add(p.number);
    const parts = new Map<number, { record: PartRecord; agreeing: boolean[] }>();
    for (const number of [...numbers].sort((a, b) => a - b)) {
      const perDrive = lists.map(
        (l): DriveResult<PartRecord | null> =>
          l.ok ? { ok: true, value: l.value.find((p) => p.number === number) ?? null } : l,
      );
      const pick = pickByQuorum(perDrive, {
        identity: (p) => `${p.number}\u0000${p.etag}\u0000${p.modTimeMs}\u0000${p.sizeBytes}`,
        quorumOf: (p) => readQuorum(p.k, p.m),
        nullQuorum: readQuorum(upload.k, upload.m),
        rank: (p) => p.modTimeMs,
        what: `part ${number} of upload ${upload.uploadId}`,
      });
      if (pick.value) parts.set(number, { record: pick.value, agreeing: pick.agreeing });
    }
    return { parts, numbers };
  }

  async createMultipartUpload(
    bucket: string,
    key: string,
    opts: { metadata: ObjectMetadata },
  ): Promise<string> {
    validateBucketName(bucket);
    validateObjectKey(key);
    await this.requireBucketForWrite(bucket, `createMultipartUpload ${bucket}/${key}`);
    const record: UploadRecord = {
      v: UPLOAD_RECORD_FORMAT_VERSION,
      bucket,
      key,
      uploadId: this.ids.next(),
      initiatedMs: Date.now(),
      metadata: { ...opts.metadata },
      dataDir: randomUUID(),
      k: this.k,
      m: this.m,
    };
    const results = await settleAll(this.drives, (d) => d.putUploadRecord(record));
    try {
      reduceWriteResults(results, writeQuorum(this.k, this.m), `createMultipartUpload ${bucket}/${key}`);
    } catch (err) {
      await settleAll(this.drives, (d, i) =>
        results[i]?.ok ? d.deleteUploadRecord(bucket, key, record.uploadId) : Promise.resolve(),
      );
      throw err;
    }
    return record.uploadId;
  }

  async getMultipartUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUploadInfo> {
    validateBucketName(bucket);
    validateObjectKey(key);
    return toUploadInfo(await this.requireUpload(bucket, key, uploadId));
  }

  async putObjectPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts: Omit<PutObjectOptions, 'metadata' | 'precondition'>,
  ): Promise<PartInfo> {
    validateBucketName(bucket);
    validateObjectKey(key);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new StorageError('InvalidPart', `part number ${partNumber} is not in 1..${MAX_PART_NUMBER}`);
    }
    const upload = await this.requireUpload(bucket, key, uploadId);
    const { k, m } = upload;
    const n = k + m;
    const wq = writeQuorum(k, m);
    const layout = shardLayout(key, n);
    // Parts are never inline: straight to temp files.
    const slotWriters = this.drives.map((d) => new DriveShardWriter(d, 0));
    const writers: (ShardWriter | null)[] = new Array<ShardWriter | null>(n).fill(null);
    slotWriters.forEach((w, slot) => {
      writers[layout[slot] ?? 0] = w;
    });
    try {
      const { sizeBytes, failed } = await encodeObject(body, {
        codec: this.codec(k, m),
        writers,
        writeQuorum: wq,
        expectedSizeBytes: opts.sizeBytes,
        pool: this.pool,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const final = opts.finalize();
      const okSlots = slotWriters.map((_, slot) => !failed[layout[slot] ?? 0]);
      const release = await this.locks.acquire(`upload\u0000${uploadId}`);
      try {
        // Aborted or completed while the body streamed: nothing to attach the part to.
        await this.requireUpload(bucket, key, uploadId);
        // Crash safety: the shard files are durable and renamed to part.N (replacing an
        // earlier upload of the number) before the part record names them. Serialized
        // per upload, so two uploads of one number cannot interleave their renames.
        const commits = await settleAll(this.drives, (d, slot) => {
          if (!okSlots[slot])
            return Promise.reject(new StorageError('InsufficientWriteQuorum', 'shard write failed'));
          const w = slotWriters[slot];
          return w?.spilled
            ? w.commit(upload.dataDir, partNumber)
            : d.deleteShard(upload.dataDir, partNumber);
        });
        const modTimeMs = Date.now();
        const record = (slot: number): PartRecord => ({
          v: UPLOAD_RECORD_FORMAT_VERSION,
          number: partNumber,
          sizeBytes,
          etag: final.etag,
          metadata: { ...(final.metadata ?? {}) },
          modTimeMs,
          k,
          m,
          driveIndex: layout[slot] ?? 0,
          blockSizeBytes: BLOCK_SIZE_BYTES,
        });
        const puts =
          countOk(commits) >= wq
            ? await settleAll(this.drives, (d, slot) =>
                commits[slot]?.ok
                  ? d.putPartRecord(uploadId, record(slot))
                  : Promise.reject(new Error('skipped')),
              )
            : commits.map((): DriveResult<void> => ({ ok: false, error: new Error('skipped') }));
        if (countOk(puts) < wq) {
          // Drives that took the new file now hold a part that matches no agreed record:
          // drop the file and the record there, so no read mixes old and new shards.
          await settleAll(this.drives, async (d, slot) => {
            if (!commits[slot]?.ok) return;
            await d.deletePartRecord(uploadId, partNumber);
            await d.deleteShard(upload.dataDir, partNumber);
          });
          reduceWriteResults(countOk(commits) >= wq ? puts : commits, wq, `putObjectPart ${bucket}/${key}`);
        }
        return {
          partNumber,
          sizeBytes,
          etag: final.etag,
          metadata: { ...(final.metadata ?? {}) },
          lastModified: new Date(modTimeMs),
        };
      } finally {
        release();
      }
    } finally {
      // Committed writers have nothing left to abort; the rest drop their temp files.
      await Promise.all(slotWriters.map((w) => w.abort()));
    }
  }

  async listParts(
    bucket: string,
    key: string,
    uploadId: string,
    opts: { partNumberMarker: number; maxParts: number },
  ): Promise<ListPartsResult> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const upload = await this.requireUpload(bucket, key, uploadId);
    const { parts } = await this.readParts(upload);
    const after = [...parts.values()].filter((p) => p.record.number > opts.partNumberMarker);
    const page = after.slice(0, Math.max(0, opts.maxParts));
    const result: ListPartsResult = {
      parts: page.map((p) => toPartInfo(p.record)),
      isTruncated: after.length > page.length,
    };
    const last = page[page.length - 1];
    if (result.isTruncated && last) result.nextPartNumberMarker = last.record.number;
    return result;
  }

  private async scanUploadBatch(
    bucket: string,
    prefix: string,
    cursor: string,
    skipUnder: boolean,
    limit: number,
  ): Promise<ScanBatch<UploadRecord>> {
    return this.mergedScan(
      (d) =>
        d.scanUploadRecords(bucket, { prefix, startAfter: cursor, skipUnderStartAfter: skipUnder, limit }),
      (u) => `${u.key}\u0000${u.uploadId}`,
      limit,
      `listing uploads of ${bucket}`,
    );
  }

  async listMultipartUploads(
    bucket: string,
    opts: ListMultipartUploadsOptions,
  ): Promise<ListMultipartUploadsResult> {
    validateBucketName(bucket);
    await this.requireBucket(bucket);
    if (opts.maxUploads <= 0) return { uploads: [], commonPrefixes: [], isTruncated: false };
    const { prefix, delimiter, keyMarker, uploadIdMarker } = opts;
    const want = opts.maxUploads + 1;
    type Item = { kind: 'upload'; upload: UploadRecord } | { kind: 'prefix'; key: string };
    const items: Item[] = [];
    let { cursor, skipUnder } = ErasureSet.listStart(prefix, delimiter, keyMarker);
    if (!skipUnder && keyMarker !== '') {
      // Uploads sort by key, then upload id (initiation order).
      cursor =
        uploadIdMarker !== '' ? `${keyMarker}\u0000${uploadIdMarker}` : `${keyMarker}${AFTER_ALL_UPLOAD_IDS}`;
    }
    while (items.length < want) {
      const limit = Math.min(SCAN_BATCH_MAX, Math.max(SCAN_BATCH_MIN, want - items.length));
      const batch = await this.scanUploadBatch(bucket, prefix, cursor, skipUnder, limit);
      let rolledUp: string | null = null;
      for (const entry of batch.entries) {
        if (items.length >= want) break;
        let upload: UploadRecord | null;
        try {
          upload = this.uploadPick(entry.results, entry.key).value;
        } catch (err) {
          if (!isStorageError(err, 'InsufficientReadQuorum')) throw err;
          upload = null;
        }
        if (!upload) continue;
        if (rolledUp !== null && upload.key.startsWith(rolledUp)) continue;
        const at = delimiter === '' ? -1 : upload.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          rolledUp = upload.key.slice(0, at + delimiter.length);
          items.push({ kind: 'prefix', key: rolledUp });
        } else {
          items.push({ kind: 'upload', upload });
        }
      }
      if (items.length >= want || batch.exhausted) break;
      ({ cursor, skipUnder } = ErasureSet.nextScan(rolledUp, batch.bound));
    }
    const isTruncated = items.length > opts.maxUploads;
    const page = items.slice(0, opts.maxUploads);
    const result: ListMultipartUploadsResult = {
      uploads: page.flatMap((i) => (i.kind === 'upload' ? [toUploadInfo(i.upload)] : [])),
      commonPrefixes: page.flatMap((i) => (i.kind === 'prefix' ? [i.key] : [])),
      isTruncated,
    };
    const last = page[page.length - 1];
    if (isTruncated && last) {
      if (last.kind === 'upload') {
        result.nextKeyMarker = last.upload.key;
        result.nextUploadIdMarker = last.upload.uploadId;
      } else {
        result.nextKeyMarker = last.key;
      }
    }
    return result;
  }

  /**
   * Removes an upload's records on every drive and then its data dir, unless a version
   * already references the data dir (a completion that crashed before removing the
   * upload record). Caller holds no upload lock; this takes it.
   */
  private async removeUpload(upload: UploadRecord): Promise<void> {
    const release = await this.locks.acquire(`upload\u0000${upload.uploadId}`);
    try {
      const resolved = await this.resolve(upload.bucket, upload.key).catch(() => null);
      const completed = resolved?.versions.some((v) => v.uploadId === upload.uploadId) ?? true;
      const deletes = await settleAll(this.drives, (d) =>
        d.deleteUploadRecord(upload.bucket, upload.key, upload.uploadId),
      );
      reduceWriteResults(deletes, writeQuorum(upload.k, upload.m), `abort upload ${upload.uploadId}`);
      if (!completed) await this.deleteDataDirs(new Set([upload.dataDir]));
    } finally {
      release();
    }
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const upload = await this.requireUpload(bucket, key, uploadId);
    await this.removeUpload(upload);
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    opts: CompleteMultipartOptions,
  ): Promise<ObjectInfo> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const bucketRecord = await this.requireBucketForWrite(bucket, `completeMultipartUpload ${bucket}/${key}`);
    const requested = opts.parts.map((p) => ({ partNumber: p.partNumber, etag: stripQuotes(p.etag) }));
    const releaseKey = await this.locks.acquire(`${bucket}/${key}`);
    try {
      const releaseUpload = await this.locks.acquire(`upload\u0000${uploadId}`);
      try {
        return await this.completeLocked(bucketRecord, key, uploadId, requested, opts);
      } finally {
        releaseUpload();
      }
    } finally {
      releaseKey();
    }
  }

  /** The version an earlier completion of `uploadId` created, when the same parts are asked for again. */
  private static completedVersion(
    resolved: ResolvedKey,
    uploadId: string,
    requested: { partNumber: number; etag: string }[],
  ): ObjectVersion | null {
    const version = resolved.versions.find((v) => v.uploadId === uploadId);
    if (!version) return null;
    const same =
      version.parts.length === requested.length &&
      version.parts.every((p, i) => p.number === requested[i]?.partNumber && p.etag === requested[i]?.etag);
    return same ? version : null;
  }

  private async completeLocked(
    bucketRecord: BucketRecord,
    key: string,
    uploadId: string,
    requested: { partNumber: number; etag: string }[],
    opts: CompleteMultipartOptions,
  ): Promise<ObjectInfo> {
    const bucket = bucketRecord.name;
    const upload = await this.readUpload(bucket, key, uploadId);
    const resolved = await this.resolve(bucket, key);
    // A retry of a completed upload (the upload record is gone, or a crash left it
    // behind after the version was committed) returns what the completion returned.
    const done = ErasureSet.completedVersion(resolved, uploadId, requested);
    if (done) {
      if (upload) await settleAll(this.drives, (d) => d.deleteUploadRecord(bucket, key, uploadId));
      return toObjectInfo(bucket, key, done, done === resolved.versions[0]);
    }
    if (!upload || resolved.versions.some((v) => v.uploadId === uploadId)) {
      throw new StorageError('NoSuchUpload', `no upload ${uploadId} for ${bucket}/${key}`);
    }

    if (requested.length === 0) throw new StorageError('InvalidPart', 'no parts given');
    for (let i = 1; i < requested.length; i++) {
      if ((requested[i]?.partNumber ?? 0) <= (requested[i - 1]?.partNumber ?? 0)) {
        throw new StorageError('InvalidPartOrder', 'parts must be in strictly ascending order');
      }
    }
    const { parts, numbers } = await this.readParts(upload);
    const chosen = requested.map((r) => {
      const p = parts.get(r.partNumber);
      if (!p || stripQuotes(p.record.etag) !== r.etag) {
        throw new StorageError('InvalidPart', `part ${r.partNumber} was not uploaded or its ETag differs`);
      }
      return p;
    });
    const partInfos = chosen.map((p) => toPartInfo(p.record));
    // May throw (EntityTooSmall, BadDigest): the upload stays open, nothing changed.
    const final = opts.finalize(partInfos);
    ErasureSet.checkPrecondition(opts.precondition, bucket, key, resolved);

    const { k, m } = upload;
    const wq = writeQuorum(k, m);
    const layout = shardLayout(key, k + m);
    // A drive whose record of a chosen part disagrees holds a stale part file (an
    // older upload of the number): drop it so reads rebuild that shard instead.
    await settleAll(this.drives, async (d, slot) => {
      for (const p of chosen) if (!p.agreeing[slot]) await d.deleteShard(upload.dataDir, p.record.number);
    });
    const base: ObjectVersion = {
      versionId: this.newVersionId(bucketRecord),
      isDeleteMarker: false,
      modTimeMs: Date.now(),
      sizeBytes: chosen.reduce((sum, p) => sum + p.record.sizeBytes, 0),
      etag: final.etag,
      metadata: { ...upload.metadata, ...(final.metadata ?? {}) },
      dataDir: upload.dataDir,
      parts: chosen.map((p) => ({
        number: p.record.number,
        sizeBytes: p.record.sizeBytes,
        etag: stripQuotes(p.record.etag),
        metadata: { ...p.record.metadata },
      })),
      uploadId,
      k,
      m,
      driveIndex: 0,
      blockSizeBytes: BLOCK_SIZE_BYTES,
    };
    const writable = resolved.results.map((r) => r.ok || !isOffline(r.error));
    const { plan, agreed } = this.planAdd(resolved, base, writable, (slot) => ({
      ...base,
      driveIndex: layout[slot] ?? 0,
    }));
    // The record references the part files where they are: no data is copied.
    const { puts, committed } = await this.commitRecords(bucket, key, resolved, plan, wq, agreed);
    if (!committed) reduceWriteResults(puts, wq, `completeMultipartUpload ${bucket}/${key}`);

    // Committed. Now: part files not chosen, the upload record, a replaced null version.
    const unused = [...numbers].filter((nr) => !chosen.some((p) => p.record.number === nr));
    await settleAll(this.drives, async (d) => {
      for (const nr of unused) await d.deleteShard(upload.dataDir, nr);
    });
    await settleAll(this.drives, (d) => d.deleteUploadRecord(bucket, key, uploadId));
    await this.deleteDataDirs(ErasureSet.unreferencedDirs(resolved, agreed));
    if (puts.some((p) => !p.ok) || chosen.some((p) => p.agreeing.some((a) => !a))) {
      this.healer.enqueue(bucket, key);
    }
    return toObjectInfo(bucket, key, base, true);
  }

  // ---------------------------------------------------------------- health

  async isWritable(): Promise<boolean> {
    const infos = await settleAll(this.drives, (d) => d.diskInfo());
    return countOk(infos) >= writeQuorum(this.k, this.m);
  }

  // ---------------------------------------------------------------- stats

  bucketUsage(): BucketUsage[] | undefined {
    return this.usage.snapshot();
  }

  async setStatus(): Promise<SetStatus> {
    const infos = await settleAll(this.drives, (d) => d.diskInfo());
    return {
      drives: infos.map((r, slot) => ({
        endpoint: this.drives[slot]?.endpoint ?? '',
        online: r.ok,
        totalBytes: r.ok ? r.value.totalBytes : 0,
        freeBytes: r.ok ? r.value.freeBytes : 0,
        metadataBytes: r.ok ? (r.value.metadataBytes ?? 0) : 0,
      })),
      readQuorum: readQuorum(this.k, this.m),
      writeQuorum: writeQuorum(this.k, this.m),
    };
  }

  healStats(): HealStats {
    return { queuedObjects: this.healer.pending, objectsHealed: this.objectsHealedTotal };
  }

  /**
   * Starts the one count of every bucket's usage (storage/usage.ts) in the background:
   * a merged scan of each bucket's records, in key order, alongside client traffic. A
   * batch that fails (too few drives) is retried after a pause; close() stops it.
   */
  startUsageCount(): void {
    if (this.usageCount) return;
    this.usageCount = this.countUsage()
      .catch((err: unknown) => this.logger.error({ err }, 'usage count failed'))
      .finally(() => {
        this.usageCount = null;
      });
  }

  private async countUsage(): Promise<void> {
    const started = Date.now();
    let keys = 0;
    let pending: string[] | null = null;
    while (!this.closed) {
      try {
        if (pending === null)
          pending = this.usage.listedBuckets((await this.listBuckets()).map((b) => b.name));
        const bucket = pending[0];
        if (bucket === undefined) break;
        const cursor = this.usage.scanCursor(bucket);
        if (cursor === null) {
          pending.shift();
          continue;
        }
        const batch = await this.scanBatch(bucket, '', cursor, false, SCAN_BATCH_MAX);
        // Synchronously after the read (see UsageTracker.scanned).
        this.usage.scanned(bucket, batch.entries, batch.bound, batch.exhausted);
        keys += batch.entries.length;
        // Let client requests in between batches.
        await new Promise((resolve) => setImmediate(resolve));
      } catch (err) {
        if (this.closed) return;
        this.logger.warn({ err, retryMs: USAGE_COUNT_RETRY_MS }, 'usage count: batch failed; retrying');
        await sleep(USAGE_COUNT_RETRY_MS, undefined, { signal: this.closing.signal }).catch(() => undefined);
        // Buckets deleted meanwhile dropped out of the tracker; the list is read again.
        pending = pending === null ? null : this.usage.pendingBuckets();
      }
    }
    if (!this.closed) this.logger.info({ keys, durationMs: Date.now() - started }, 'usage count finished');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await this.healer.close();
    await this.backgroundHeal?.catch(() => undefined);
    await this.usageCount;
    await Promise.all(this.drives.map((d) => d.close()));
  }

  // ---------------------------------------------------------------- healing

  /** Starts a full heal in the background (a freshly formatted drive joined the set). */
  startBackgroundHeal(reason: string): void {
    if (this.backgroundHeal) return;
    this.logger.info({ reason }, 'background heal started');
    this.backgroundHeal = this.healPass()
      .then((report) => {
        this.unreportedRepairs.objectsHealed += report.objectsHealed;
        this.unreportedRepairs.shardsRepaired += report.shardsRepaired;
        this.unreportedRepairs.bucketsHealed += report.bucketsHealed;
        this.logger.info({ ...report }, 'background heal finished');
      })
      .catch((err: unknown) => this.logger.error({ err }, 'background heal failed'))
      .finally(() => {
        this.backgroundHeal = null;
      });
  }

  async drainHealQueue(): Promise<void> {
    while (this.backgroundHeal || this.healer.pending > 0) {
      await this.backgroundHeal;
      await this.healer.drain();
    }
  }

  /**
   * A full heal (or one bucket). A background rebuild started at open (fresh drive)
   * covers the same objects: when no bucket is given, this waits for it and reports the
   * repairs it made since the last heal() as part of this call's counts, so an operator
   * running heal right after replacing a drive sees the rebuild whichever pass did it.
   */
  async heal(opts?: { bucket?: string }): Promise<HealReport> {
    if (opts?.bucket !== undefined) return this.healPass(opts);
    await this.backgroundHeal;
    const report = await this.healPass();
    const bg = this.unreportedRepairs;
    this.unreportedRepairs = { objectsHealed: 0, shardsRepaired: 0, bucketsHealed: 0 };
    report.objectsHealed += bg.objectsHealed;
    report.shardsRepaired += bg.shardsRepaired;
    report.bucketsHealed += bg.bucketsHealed;
    return report;
  }

  private async healPass(opts?: { bucket?: string }): Promise<HealReport> {
    const report: HealReport = {
      objectsScanned: 0,
      objectsHealed: 0,
      shardsRepaired: 0,
      objectsFailed: 0,
      bucketsHealed: 0,
    };
    report.bucketsHealed = await this.healBuckets();
    const buckets =
      opts?.bucket !== undefined ? [opts.bucket] : (await this.listBuckets()).map((b) => b.name);
    for (const bucket of buckets) {
      let cursor = '';
      for (;;) {
        if (this.closed) return report;
        const batch = await this.scanBatch(bucket, '', cursor, false, SCAN_BATCH_MAX);
        for (const entry of batch.entries) {
          if (this.closed) return report;
          report.objectsScanned++;
          try {
            const r = await this.healObject(bucket, entry.key);
            if (r.healed) {
              report.objectsHealed++;
              this.objectsHealedTotal++;
            }
            if (r.failed) report.objectsFailed++;
            report.shardsRepaired += r.shardsRepaired;
          } catch (err) {
            report.objectsFailed++;
            this.logger.warn({ bucket, key: entry.key, err }, 'heal of object failed');
          }
        }
        if (batch.exhausted) break;
        cursor = batch.bound;
      }
    }
    return report;
  }

  /** Puts bucket records a quorum agrees on onto drives that lack them; removes ones a quorum deleted. */
  private async healBuckets(): Promise<number> {
    const lists = await settleAll(this.drives, (d) => d.listBucketRecords());
    const names = new Set<string>();
    for (const r of lists) if (r.ok) for (const b of r.value) names.add(b.name);
    let healed = 0;
    for (const name of names) {
      const perDrive = lists.map(
        (r): DriveResult<BucketRecord | null> =>
          r.ok ? { ok: true, value: r.value.find((b) => b.name === name) ?? null } : r,
      );
      let pick: ReturnType<ErasureSet['bucketPick']>;
      try {
        pick = this.bucketPick(perDrive, name);
      } catch {
        continue;
      }
      const agreed = pick.value;
      const fixes = await settleAll(this.drives, async (d, slot) => {
        if (pick.agreeing[slot] || !perDrive[slot]?.ok) return false;
        if (agreed) await d.putBucketRecord(agreed);
        else await d.deleteBucketRecord(name);
        return true;
      });
      if (fixes.some((f) => f.ok && f.value)) healed++;
    }
    return healed;
  }

  /**
   * Heals one key: every agreed version (and delete marker) onto every reachable drive.
   * A drive that lacks a version, holds another copy of it, or holds a part file that
   * fails verification gets all the version's part files rebuilt from k good drives
   * (temp file → fsync → rename, or inline) and then the record. Runs under the key's
   * write lock so it never races a writer. Multipart uploads in progress are not healed.
   */
  async healObject(bucket: string, key: string): Promise<ObjectHealResult> {
    const release = await this.locks.acquire(`${bucket}/${key}`);
    const handles: ShardHandle[] = [];
    try {
      const results = await this.readRecords(bucket, key);
      let resolved: ResolvedKey;
      try {
        resolved = resolveKey(results, this.k, this.m, `object ${bucket}/${key}`);
      } catch (err) {
        if (isStorageError(err, 'InsufficientReadQuorum'))
          return { healed: false, shardsRepaired: 0, failed: true };
        throw err;
      }
      if (resolved.versions.length === 0) return this.removeDangling(bucket, key, results);

      const reachable = results.map((r) => r.ok || !isOffline(r.error));
      // What each reachable drive should hold after the heal (its own good copies plus
      // rebuilt ones), in agreed order.
      const target: ObjectVersion[][] = this.drives.map(() => []);
      let repaired = 0;
      let failed = false;
      for (const version of resolved.versions) {
        const r = await this.healVersion(
          bucket,
          key,
          version,
          copiesOf(resolved, version),
          reachable,
          handles,
        );
        repaired += r.repaired;
        failed ||= r.failed;
        r.copies.forEach((c, slot) => {
          if (c) target[slot]?.push(c);
        });
      }

      // Records for drives whose list changed (or whose record was unreadable).
      let recordsFixed = 0;
      await settleAll(this.drives, async (d, slot) => {
        if (!reachable[slot]) return;
        const versions = target[slot] ?? [];
        const current = results[slot];
        const unchanged =
          current?.ok &&
          resolved.exact[slot] &&
          current.value !== null &&
          versions.length === current.value.versions.length &&
          versions.every((v, i) => v === current.value?.versions[i]);
        if (unchanged) return;
        if (versions.length === 0) await d.deleteObjectRecord(bucket, key);
        else await d.putObjectRecord(bucket, key, { v: RECORD_FORMAT_VERSION, versions });
        recordsFixed++;
        // Data dirs of versions the drive held that the quorum no longer has.
        if (current?.ok && current.value) {
          const keep = new Set(resolved.versions.map((v) => v.dataDir));
          for (const v of current.value.versions)
            if (!v.inline && v.dataDir !== '' && !keep.has(v.dataDir)) await d.deleteDataDir(v.dataDir);
        }
      });
      return { healed: repaired > 0 || recordsFixed > 0, shardsRepaired: repaired, failed };
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      release();
    }
  }

  /**
   * Checks one version on every reachable drive (every part file verified) and rebuilds
   * it where it is missing or bad. Returns the copy each drive holds afterwards (null
   * where it has none) and how many drives were repaired.
   */
  private async healVersion(
    bucket: string,
    key: string,
    version: ObjectVersion,
    copies: (ObjectVersion | null)[],
    reachable: boolean[],
    handles: ShardHandle[],
  ): Promise<{ copies: (ObjectVersion | null)[]; repaired: number; failed: boolean }> {
    const total = version.k + version.m;
    const layout = shardLayout(key, total);
    const out = [...copies];
    if (version.isDeleteMarker) {
      // No data: a drive lacking the marker gets it (repaired through its record).
      let added = 0;
      out.forEach((c, slot) => {
        if (!c && reachable[slot]) {
          out[slot] = { ...version, driveIndex: layout[slot] ?? 0 };
          added++;
        }
      });
      return { copies: out, repaired: added, failed: false };
    }

    // Which drives hold every part of the version intact.
    const good = await Promise.all(
      this.drives.map(async (d, slot) => {
        const c = copies[slot];
        if (!c || !reachable[slot]) return false;
        for (const part of version.parts) {
          if (part.sizeBytes === 0) continue;
          let reader: ShardReader;
          let sizeBytes: number;
          if (c.inline) {
            reader = new MemoryShardReader(c.inline);
            sizeBytes = c.inline.byteLength;
          } else {
            try {
              const handle = await d.openShard(c.dataDir, part.number);
              handles.push(handle);
              reader = handle;
              sizeBytes = handle.sizeBytes;
            } catch {
              return false;
            }
          }
          if (!(await verifyShardStream(reader, part.sizeBytes, version.k, sizeBytes))) return false;
        }
        return true;
      }),
    );
    const bad = this.drives.flatMap((_, slot) => (reachable[slot] && !good[slot] ? [slot] : []));
    if (bad.length === 0) return { copies: out, repaired: 0, failed: false };
    const usedShards = new Set<number>();
    good.forEach((g, slot) => {
      const c = copies[slot];
      if (g && c) usedShards.add(c.driveIndex);
    });
    // Drives keep their records as they are unless a rebuild for them succeeds: a heal
    // that cannot help must not turn an unreadable copy into a missing one.
    if (usedShards.size < version.k) return { copies: out, repaired: 0, failed: true };

    // Which shard each bad slot gets: its place in the key's layout, unless a good
    // drive already holds that shard (then any shard nobody holds).
    const free = Array.from({ length: total }, (_, i) => i).filter((i) => !usedShards.has(i));
    const targets: Array<{ slot: number; shard: number }> = [];
    for (const slot of bad) {
      let shard = layout[slot] ?? -1;
      if (!free.includes(shard)) shard = free[0] ?? -1;
      if (shard < 0) continue;
      free.splice(free.indexOf(shard), 1);
      targets.push({ slot, shard });
    }
    const codec = this.codec(version.k, version.m);
    const inline = copies.some((c) => c?.inline !== undefined);
    const alive = new Set(targets.map((t) => t.slot));
    const inlineBytes = new Map<number, Uint8Array>();
    for (const part of version.parts) {
      if (part.sizeBytes === 0 || alive.size === 0) continue;
      const readers: (ShardReader | null)[] = new Array<ShardReader | null>(total).fill(null);
      await Promise.all(
        this.drives.map(async (d, slot) => {
          const c = copies[slot];
          if (!good[slot] || !c) return;
          if (c.inline) {
            readers[c.driveIndex] = new MemoryShardReader(c.inline);
            return;
          }
          try {
            const handle = await d.openShard(c.dataDir, part.number);
            handles.push(handle);
            readers[c.driveIndex] = handle;
          } catch {
            // Vanished since verified: healShards rebuilds from the others or fails.
          }
        }),
      );
      const live = targets.filter((t) => alive.has(t.slot));
      const partWriters = live.map((t) => {
        const drive = this.drives[t.slot] as Drive;
        return { ...t, writer: new DriveShardWriter(drive, inline ? Number.POSITIVE_INFINITY : 0) };
      });
      const writers: (ShardWriter | null)[] = new Array<ShardWriter | null>(total).fill(null);
      for (const t of partWriters) writers[t.shard] = t.writer;
      try {
        await healShards({ codec, readers, writers, objectSizeBytes: part.sizeBytes, pool: this.pool });
      } catch (err) {
        await Promise.all(partWriters.map((t) => t.writer.abort()));
        if (isStorageError(err, 'InsufficientReadQuorum')) return { copies: out, repaired: 0, failed: true };
        throw err;
      }
      // Same order as a write: shard files durable first, the record naming them after.
      await Promise.all(
        partWriters.map(async (t) => {
          try {
            if (inline) inlineBytes.set(t.slot, t.writer.inlineBytes());
            else await t.writer.commit(version.dataDir, part.number);
          } catch (err) {
            await t.writer.abort();
            alive.delete(t.slot);
            const drive = this.drives[t.slot];
            this.logger.warn({ bucket, key, drive: drive?.endpoint, err }, 'heal could not write a drive');
          }
        }),
      );
    }
    let repaired = 0;
    for (const t of targets) {
      if (!alive.has(t.slot)) continue;
      const healed: ObjectVersion = { ...version, driveIndex: t.shard };
      delete healed.inline;
      if (inline) healed.inline = inlineBytes.get(t.slot) ?? new Uint8Array(0);
      out[t.slot] = healed;
      repaired++;
    }
    return { copies: out, repaired, failed: repaired < targets.length };
  }

  /** A quorum says the key does not exist: drop records of failed writes and their data. */
  private async removeDangling(
    bucket: string,
    key: string,
    results: DriveResult<ObjectRecord | null>[],
  ): Promise<ObjectHealResult> {
    let removed = 0;
    await settleAll(this.drives, async (d, slot) => {
      const r = results[slot];
      if (!r?.ok || !r.value) return;
      await d.deleteObjectRecord(bucket, key);
      for (const v of r.value.versions) if (!v.inline && v.dataDir !== '') await d.deleteDataDir(v.dataDir);
      removed++;
    });
    return { healed: removed > 0, shardsRepaired: 0, failed: false };
  }
}

function toObjectInfo(bucket: string, key: string, version: ObjectVersion, isLatest: boolean): ObjectInfo {
  const info: ObjectInfo = {
    bucket,
    key,
    sizeBytes: version.sizeBytes,
    etag: version.etag,
    lastModified: new Date(version.modTimeMs),
    versionId: version.versionId,
    isDeleteMarker: version.isDeleteMarker,
    isLatest,
    metadata: { ...version.metadata },
    storageClass: STORAGE_CLASS,
  };
  if (version.uploadId !== undefined) {
    info.parts = version.parts.map((p) => ({
      partNumber: p.number,
      sizeBytes: p.sizeBytes,
      etag: p.etag,
      metadata: { ...p.metadata },
    }));
  }
  return info;
}

function toPartInfo(record: PartRecord): PartInfo {
  return {
    partNumber: record.number,
    sizeBytes: record.sizeBytes,
    etag: record.etag,
    metadata: { ...record.metadata },
    lastModified: new Date(record.modTimeMs),
  };
}

function toUploadInfo(record: UploadRecord): MultipartUploadInfo {
  return {
    bucket: record.bucket,
    key: record.key,
    uploadId: record.uploadId,
    initiated: new Date(record.initiatedMs),
    metadata: { ...record.metadata },
  };
}

function toBucketInfo(record: BucketRecord): BucketInfo {
  return {
    name: record.name,
    createdAt: new Date(record.createdAtMs),
    location: record.location,
    versioning: record.versioning,
    objectLockEnabled: record.objectLockEnabled,
  };
}
