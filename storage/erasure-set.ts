import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from '../common/index.js';
import type { BufferPool } from './buffer-pool.js';
import { type Drive, type DriveErrorCode, isDriveError, type ShardHandle } from './drive.js';
import { DriveShardWriter } from './drive-shard-writer.js';
import { decodeObject, healShards } from './erasure/erasure-decode.js';
import { encodeObject } from './erasure/erasure-encode.js';
import { BLOCK_SIZE_BYTES, shardFileSizeBytes } from './erasure/layout.js';
import { MemoryShardReader } from './erasure/memory-shards.js';
import { RonomonCodec } from './erasure/reed-solomon-codec.js';
import type { ErasureCodec, ShardReader, ShardWriter } from './erasure/types.js';
import { Healer } from './healer.js';
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
import {
  type BucketRecord,
  NULL_VERSION_ID,
  type ObjectRecord,
  type ObjectVersion,
  RECORD_FORMAT_VERSION,
  sameVersion,
  versionIdentity,
} from './records.js';
import {
  type BucketConfigName,
  type BucketInfo,
  type CompleteMultipartOptions,
  type DeleteObjectOptions,
  type DeleteObjectResult,
  type GetObjectOptions,
  type GetObjectResult,
  type HealReport,
  isStorageError,
  type ListMultipartUploadsOptions,
  type ListMultipartUploadsResult,
  type ListObjectVersionsOptions,
  type ListObjectVersionsResult,
  type ListObjectsOptions,
  type ListObjectsResult,
  type ListPartsResult,
  type MultipartUploadInfo,
  type ObjectInfo,
  type ObjectLayer,
  type ObjectMetadata,
  type PartInfo,
  type PutObjectOptions,
  type StorageAdmin,
  StorageError,
} from './types.js';
import { verifyShardStream } from './verify-shard-stream.js';

/**
 * Objects whose shard stream is at most this size are stored inside each drive's
 * record instead of a shard file: one LMDB write per drive and no file or directory
 * fsyncs (ARCHITECTURE.md, "Small objects inline").
 */
export const INLINE_SHARD_MAX_BYTES = 128 * 1024;

/** Entries asked from each drive per scan in a listing or full heal (one LMDB range read). */
const SCAN_BATCH_MAX = 1000;
const SCAN_BATCH_MIN = 32;

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

function current(record: ObjectRecord): ObjectVersion {
  const version = record.versions[0];
  if (!version) throw new RangeError('object record without versions');
  return version;
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
}

export interface ObjectHealResult {
  healed: boolean;
  shardsRepaired: number;
  failed: boolean;
}

interface MergedEntry {
  key: string;
  /** Per slot: the drive's record, null when its scan covered the key without it, or its error. */
  results: DriveResult<ObjectRecord | null>[];
}

interface ScanBatch {
  entries: MergedEntry[];
  /** No drive has keys beyond this batch. */
  exhausted: boolean;
  /** The greatest key every answering drive has covered (the next cursor). */
  bound: string;
}

/**
 * k data + m parity drives holding every object of the namespace. Metadata lives on
 * every drive; writes succeed at write quorum, reads take the record agreed by read
 * quorum. Implements ObjectLayer for server/ and StorageAdmin for healing.
 */
export class ErasureSet implements ObjectLayer, StorageAdmin {
  private readonly drives: Drive[];
  private readonly n: number;
  private readonly k: number;
  private readonly m: number;
  private readonly pool: BufferPool;
  private readonly logger: Logger;
  private readonly locks: KeyLock;
  private readonly codecs: Map<string, ErasureCodec>;
  private readonly healer: Healer;
  private backgroundHeal: Promise<void> | null;
  /** Repairs made by background full heals since the last heal() call reported them. */
  private unreportedRepairs: Pick<HealReport, 'objectsHealed' | 'shardsRepaired' | 'bucketsHealed'>;
  private closed: boolean;

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
      healObject: (bucket, key) => this.healObject(bucket, key),
    });
    this.backgroundHeal = null;
    this.unreportedRepairs = { objectsHealed: 0, shardsRepaired: 0, bucketsHealed: 0 };
    this.closed = false;
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

  private async readBucket(bucket: string): Promise<BucketRecord | null> {
    const results = await settleAll(this.drives, (d) => d.getBucketRecord(bucket));
    return pickByQuorum(results, {
      identity: (r) => `${r.name}\u0000${r.createdAtMs}`,
      quorumOf: () => readQuorum(this.k, this.m),
      nullQuorum: readQuorum(this.k, this.m),
      rank: (r) => r.createdAtMs,
      what: `bucket ${bucket}`,
    }).value;
  }

  private async requireBucket(bucket: string): Promise<BucketRecord> {
    const record = await this.readBucket(bucket);
    if (!record) throw new StorageError('NoSuchBucket', `bucket ${bucket} does not exist`);
    return record;
  }

  async makeBucket(bucket: string, opts: { location: string; objectLockEnabled?: boolean }): Promise<void> {
    validateBucketName(bucket);
    const release = await this.locks.acquire(`bucket\u0000${bucket}`);
    try {
      if (await this.readBucket(bucket)) throw new StorageError('BucketExists', `bucket ${bucket} exists`);
      const record: BucketRecord = {
        v: RECORD_FORMAT_VERSION,
        name: bucket,
        createdAtMs: Date.now(),
        location: opts.location,
      };
      const results = await settleAll(this.drives, (d) => d.putBucketRecord(record));
      try {
        reduceWriteResults(results, writeQuorum(this.k, this.m), `makeBucket ${bucket}`);
      } catch (err) {
        await settleAll(this.drives, (d, i) =>
          results[i]?.ok ? d.deleteBucketRecord(bucket) : Promise.resolve(),
        );
        throw err;
      }
    } finally {
      release();
    }
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
        const picked = pickByQuorum(perDrive, {
          identity: (b) => `${b.name}\u0000${b.createdAtMs}`,
          quorumOf: () => readQuorum(this.k, this.m),
          nullQuorum: readQuorum(this.k, this.m),
          rank: (b) => b.createdAtMs,
          what: `bucket ${name}`,
        }).value;
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

  async deleteBucket(bucket: string): Promise<void> {
    validateBucketName(bucket);
    const release = await this.locks.acquire(`bucket\u0000${bucket}`);
    try {
      await this.requireBucket(bucket);
      const page = await this.listObjects(bucket, { prefix: '', delimiter: '', startAfter: '', maxKeys: 1 });
      if (page.objects.length > 0) throw new StorageError('BucketNotEmpty', `bucket ${bucket} is not empty`);
      const results = await settleAll(this.drives, (d) => d.deleteBucketRecord(bucket));
      reduceWriteResults(results, writeQuorum(this.k, this.m), `deleteBucket ${bucket}`);
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- objects

  private async readRecords(bucket: string, key: string): Promise<DriveResult<ObjectRecord | null>[]> {
    return settleAll(this.drives, (d) => d.getObjectRecord(bucket, key));
  }

  private pickVersion(results: DriveResult<ObjectRecord | null>[], what: string) {
    return pickByQuorum(results, {
      identity: (r) => versionIdentity(current(r)),
      same: (a, b) => sameVersion(current(a), current(b)),
      quorumOf: (r) => readQuorum(current(r).k, current(r).m),
      nullQuorum: readQuorum(this.k, this.m),
      rank: (r) => current(r).modTimeMs,
      what,
    });
  }

  /** The current version agreed by quorum; NoSuchKey / NoSuchBucket when absent. */
  private async readVersion(bucket: string, key: string) {
    const results = await this.readRecords(bucket, key);
    const pick = this.pickVersion(results, `object ${bucket}/${key}`);
    if (!pick.value) {
      await this.requireBucket(bucket);
      throw new StorageError('NoSuchKey', `no object ${key} in ${bucket}`);
    }
    return { results, pick, version: current(pick.value) };
  }

  async putObject(bucket: string, key: string, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo> {
    validateBucketName(bucket);
    validateObjectKey(key);
    try {
      await this.requireBucket(bucket);
    } catch (err) {
      // Too few drives to even read the bucket record: too few to write, too.
      if (isStorageError(err, 'InsufficientReadQuorum')) {
        throw new StorageError('InsufficientWriteQuorum', `putObject ${bucket}/${key}: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
    const release = await this.locks.acquire(`${bucket}/${key}`);
    try {
      return await this.putLocked(bucket, key, body, opts);
    } finally {
      release();
    }
  }

  private async putLocked(
    bucket: string,
    key: string,
    body: Readable,
    opts: PutObjectOptions,
  ): Promise<ObjectInfo> {
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
        // pointing at missing shards.
        shardsCommitted = true;
        const commits = await settleAll(slotWriters, (w, slot) =>
          okSlots[slot]
            ? w.commit(dataDir)
            : Promise.reject(new StorageError('InsufficientWriteQuorum', 'shard write failed')),
        );
        reduceWriteResults(commits, wq, `putObject ${bucket}/${key}: commit shards`);
        okSlots = commits.map((r) => r.ok);
      }

      const previous = await this.readRecords(bucket, key);
      const base: ObjectVersion = {
        versionId: NULL_VERSION_ID,
        modTimeMs: Date.now(),
        sizeBytes,
        etag: final.etag,
        metadata: { ...opts.metadata, ...(final.metadata ?? {}) },
        dataDir,
        k,
        m,
        driveIndex: 0,
        blockSizeBytes: BLOCK_SIZE_BYTES,
      };
      // Step 2: the record, on every drive that holds its shard; the write is
      // committed once write quorum holds it (a read quorum then sees it).
      const puts = await settleAll(this.drives, (d, slot) => {
        if (!okSlots[slot])
          return Promise.reject(new StorageError('InsufficientWriteQuorum', 'shard write failed'));
        const version: ObjectVersion = { ...base, driveIndex: layout[slot] ?? 0 };
        if (inline) version.inline = slotWriters[slot]?.inlineBytes() ?? new Uint8Array(0);
        return d.putObjectRecord(bucket, key, { v: RECORD_FORMAT_VERSION, versions: [version] });
      });
      if (countOk(puts) < wq) {
        // Roll back: put the previous record back where we replaced it, so no read
        // quorum can agree on the failed version.
        const undo = await settleAll(this.drives, (d, slot) => {
          if (!puts[slot]?.ok) return Promise.resolve();
          const prev = previous[slot];
          return prev?.ok && prev.value
            ? d.putObjectRecord(bucket, key, prev.value)
            : d.deleteObjectRecord(bucket, key);
        });
        if (undo.some((r) => !r.ok)) {
          // Some drives still name the new version (they failed mid-rollback): keep its
          // data so that, should those records ever reach a read quorum, they stay
          // readable; healing settles the key either way.
          shardsCommitted = false;
          this.healer.enqueue(bucket, key);
        }
        reduceWriteResults(puts, wq, `putObject ${bucket}/${key}: commit record`);
      }

      // Step 3: the old version's data is unreferenced now. Readers that already opened
      // it keep their file descriptors (unlink does not affect open files).
      const oldDirs = new Set<string>();
      for (const r of previous)
        if (r.ok && r.value) for (const v of r.value.versions) if (!v.inline) oldDirs.add(v.dataDir);
      oldDirs.delete(dataDir);
      await this.deleteDataDirs(oldDirs);
      if (puts.some((r) => !r.ok)) this.healer.enqueue(bucket, key);
      return toObjectInfo(bucket, key, base);
    } catch (err) {
      await Promise.all(slotWriters.map((w) => w.abort()));
      if (shardsCommitted) await this.deleteDataDirs(new Set([dataDir]));
      throw err;
    }
  }

  /** Best-effort removal of data dirs on every drive (orphans are harmless, only wasted space). */
  private async deleteDataDirs(dirs: ReadonlySet<string>): Promise<void> {
    if (dirs.size === 0) return;
    await settleAll(this.drives, async (d) => {
      for (const dir of dirs) await d.deleteDataDir(dir);
    });
  }

  async getObjectInfo(
    bucket: string,
    key: string,
    _opts?: { versionId?: string; allowDeleteMarker?: boolean },
  ): Promise<ObjectInfo> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const { version, pick, results } = await this.readVersion(bucket, key);
    if (pick.count < this.n) this.maybeHeal(bucket, key, pick.agreeing, results);
    return toObjectInfo(bucket, key, version);
  }

  /** Queues a heal when a reachable drive lacks the agreed record. */
  private maybeHeal(
    bucket: string,
    key: string,
    agreeing: boolean[],
    results: DriveResult<ObjectRecord | null>[],
  ): void {
    const needs = results.some((r, slot) => !agreeing[slot] && (r.ok || !isOffline(r.error)));
    if (needs) this.healer.enqueue(bucket, key);
  }

  async getObject(bucket: string, key: string, opts: GetObjectOptions): Promise<GetObjectResult> {
    validateBucketName(bucket);
    validateObjectKey(key);
    // Two attempts: an overwrite may delete the data dir between our record read and
    // our opens; the second read then sees the new version.
    for (let attempt = 0; ; attempt++) {
      const { results, pick, version } = await this.readVersion(bucket, key);
      const readers: (ShardReader | null)[] = new Array<ShardReader | null>(version.k + version.m).fill(null);
      const handles: ShardHandle[] = [];
      // Open every shard BEFORE resolving: the stream then reads the version it
      // started with even if a concurrent overwrite deletes its data dir.
      const opened = await settleAll(this.drives, async (d, slot): Promise<boolean> => {
        const r = results[slot];
        if (!pick.agreeing[slot] || !r?.ok || !r.value) return false;
        const v = current(r.value);
        if (v.inline) {
          readers[v.driveIndex] = new MemoryShardReader(v.inline);
          return true;
        }
        const handle = await d.openShard(v.dataDir);
        handles.push(handle);
        readers[v.driveIndex] = handle;
        return true;
      });
      const usable = readers.filter((r) => r !== null).length;
      if (usable < version.k && version.sizeBytes > 0) {
        await Promise.all(handles.map((h) => h.close()));
        if (attempt === 0) continue;
        throw new StorageError(
          'InsufficientReadQuorum',
          `object ${bucket}/${key}: only ${usable} of ${version.k} needed shards readable`,
        );
      }
      const openFailed = opened.some((o) => !o.ok && !isOffline(o.error));
      if (openFailed) this.healer.enqueue(bucket, key);
      else this.maybeHeal(bucket, key, pick.agreeing, results);

      const offset = opts.range ? opts.range.start : 0;
      const length = opts.range ? opts.range.end - opts.range.start + 1 : version.sizeBytes;
      let stream: Readable;
      try {
        stream = decodeObject({
          codec: this.codec(version.k, version.m),
          readers,
          objectSizeBytes: version.sizeBytes,
          offset,
          length,
          pool: this.pool,
          onFault: () => {
            this.healer.enqueue(bucket, key);
          },
        });
      } catch (err) {
        await Promise.all(handles.map((h) => h.close()));
        throw err;
      }
      stream.once('close', () => {
        for (const h of handles) void h.close();
      });
      return { info: toObjectInfo(bucket, key, version), stream };
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
    if (opts?.versionId !== undefined) throw new Error('not yet');
    const release = await this.locks.acquire(`${bucket}/${key}`);
    try {
      const { results, pick, version } = await this.readVersion(bucket, key);
      const metadata = update(toObjectInfo(bucket, key, version));
      const modTimeMs = opts?.touch === false ? version.modTimeMs : Date.now();
      const puts = await settleAll(this.drives, (d, slot) => {
        const r = results[slot];
        if (!pick.agreeing[slot] || !r?.ok || !r.value) {
          return Promise.reject(
            new StorageError('InsufficientWriteQuorum', 'drive lacks the current version'),
          );
        }
        const [head, ...rest] = r.value.versions;
        if (!head) return Promise.reject(new RangeError('empty record'));
        return d.putObjectRecord(bucket, key, {
          v: RECORD_FORMAT_VERSION,
          versions: [{ ...head, metadata: { ...metadata }, modTimeMs }, ...rest],
        });
      });
      reduceWriteResults(puts, writeQuorum(version.k, version.m), `updateObjectMetadata ${bucket}/${key}`);
      if (puts.some((p) => !p.ok)) this.healer.enqueue(bucket, key);
      return toObjectInfo(bucket, key, { ...version, metadata: { ...metadata }, modTimeMs });
    } finally {
      release();
    }
  }

  async deleteObject(bucket: string, key: string, _opts?: DeleteObjectOptions): Promise<DeleteObjectResult> {
    validateBucketName(bucket);
    validateObjectKey(key);
    const release = await this.locks.acquire(`${bucket}/${key}`);
    try {
      const results = await this.readRecords(bucket, key);
      const pick = this.pickVersion(results, `object ${bucket}/${key}`);
      if (!pick.value) {
        await this.requireBucket(bucket);
        // Dangling records of failed writes on a minority of drives go too.
        if (!results.some((r) => r.ok && r.value)) return { isDeleteMarker: false };
      }
      // Records first, then data: a crash in between leaves orphan data, never a
      // record without its shards.
      const deletes = await settleAll(this.drives, (d) => d.deleteObjectRecord(bucket, key));
      reduceWriteResults(deletes, writeQuorum(this.k, this.m), `deleteObject ${bucket}/${key}`);
      const dirs = new Set<string>();
      for (const r of results)
        if (r.ok && r.value) for (const v of r.value.versions) if (!v.inline) dirs.add(v.dataDir);
      await this.deleteDataDirs(dirs);
      return { isDeleteMarker: false };
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- listing

  /**
   * One merged range scan: each drive returns up to `limit` records after the cursor;
   * only keys up to the smallest "last key" among drives that returned a full page are
   * complete on every drive, so the batch stops there.
   */
  private async scanBatch(
    bucket: string,
    prefix: string,
    cursor: string,
    skipUnder: boolean,
    limit: number,
  ): Promise<ScanBatch> {
    const scans = await settleAll(this.drives, (d) =>
      d.scanObjectRecords(bucket, { prefix, startAfter: cursor, skipUnderStartAfter: skipUnder, limit }),
    );
    if (countOk(scans) < readQuorum(this.k, this.m)) {
      throw new StorageError(
        'InsufficientReadQuorum',
        `listing ${bucket}: only ${countOk(scans)} drives answered`,
      );
    }
    let bound: string | null = null;
    for (const s of scans) {
      if (!s.ok || s.value.length < limit) continue;
      const last = s.value[s.value.length - 1]?.key ?? '';
      if (bound === null || compareUtf8(last, bound) < 0) bound = last;
    }
    const byKey = new Map<string, DriveResult<ObjectRecord | null>[]>();
    scans.forEach((s, slot) => {
      if (!s.ok) return;
      for (const { key, record } of s.value) {
        if (bound !== null && compareUtf8(key, bound) > 0) break;
        let results = byKey.get(key);
        if (!results) {
          results = scans.map(
            (x): DriveResult<ObjectRecord | null> => (x.ok ? { ok: true, value: null } : x),
          );
          byKey.set(key, results);
        }
        results[slot] = { ok: true, value: record };
      }
    });
    const keys = [...byKey.keys()].sort(compareUtf8);
    return {
      entries: keys.map((key) => ({ key, results: byKey.get(key) ?? [] })),
      exhausted: bound === null,
      bound: bound ?? '',
    };
  }

  /** The version a quorum agrees on for a scanned key, or null (deleted, partial write, split). */
  private resolveEntry(bucket: string, entry: MergedEntry): ObjectVersion | null {
    try {
      const pick = this.pickVersion(entry.results, `object ${bucket}/${entry.key}`);
      return pick.value ? current(pick.value) : null;
    } catch (err) {
      if (isStorageError(err, 'InsufficientReadQuorum')) return null;
      throw err;
    }
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

    let cursor = startAfter;
    let skipUnder = false;
    // A marker inside a common prefix (or the prefix itself): every key under it rolls
    // up into a common prefix that is not greater than the marker, so skip them all.
    if (delimiter !== '' && startAfter.startsWith(prefix)) {
      const at = startAfter.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        cursor = startAfter.slice(0, at + delimiter.length);
        skipUnder = true;
      }
    }

    for (;;) {
      const limit = Math.min(SCAN_BATCH_MAX, Math.max(SCAN_BATCH_MIN, want - items.length));
      const batch = await this.scanBatch(bucket, prefix, cursor, skipUnder, limit);
      let rolledUp: string | null = null;
      for (const entry of batch.entries) {
        if (items.length >= want) break;
        if (rolledUp !== null && entry.key.startsWith(rolledUp)) continue;
        const version = this.resolveEntry(bucket, entry);
        if (!version) continue;
        const at = delimiter === '' ? -1 : entry.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          rolledUp = entry.key.slice(0, at + delimiter.length);
          items.push({ kind: 'prefix', key: rolledUp });
        } else {
          items.push({ kind: 'object', key: entry.key, version });
        }
      }
      if (items.length >= want || batch.exhausted) break;
      if (rolledUp !== null && batch.bound.startsWith(rolledUp)) {
        cursor = rolledUp;
        skipUnder = true;
      } else {
        cursor = batch.bound;
        skipUnder = false;
      }
    }

    const isTruncated = items.length > opts.maxKeys;
    const page = items.slice(0, opts.maxKeys);
    const result: ListObjectsResult = {
      objects: page.flatMap((i) => (i.kind === 'object' ? [toObjectInfo(bucket, i.key, i.version)] : [])),
      commonPrefixes: page.flatMap((i) => (i.kind === 'prefix' ? [i.key] : [])),
      isTruncated,
    };
    if (isTruncated) result.nextMarker = page[page.length - 1]?.key ?? '';
    return result;
  }

  async listObjectVersions(_bucket: string, _opts: ListObjectVersionsOptions): Promise<ListObjectVersionsResult> {
    throw new Error('not yet');
  }

  async setBucketVersioning(_bucket: string, _state: 'Enabled' | 'Suspended'): Promise<void> {
    throw new Error('not yet');
  }

  async getBucketConfig(_bucket: string, _name: BucketConfigName): Promise<string | undefined> {
    throw new Error('not yet');
  }

  async putBucketConfig(_bucket: string, _name: BucketConfigName, _value: string | undefined): Promise<void> {
    throw new Error('not yet');
  }

  // ---------------------------------------------------------------- multipart

  async createMultipartUpload(_bucket: string, _key: string, _opts: { metadata: ObjectMetadata }): Promise<string> {
    throw new Error('not yet');
  }

  async getMultipartUpload(_bucket: string, _key: string, _uploadId: string): Promise<MultipartUploadInfo> {
    throw new Error('not yet');
  }

  async putObjectPart(
    _bucket: string,
    _key: string,
    _uploadId: string,
    _partNumber: number,
    _body: Readable,
    _opts: Omit<PutObjectOptions, 'metadata' | 'precondition'>,
  ): Promise<PartInfo> {
    throw new Error('not yet');
  }

  async listParts(
    _bucket: string,
    _key: string,
    _uploadId: string,
    _opts: { partNumberMarker: number; maxParts: number },
  ): Promise<ListPartsResult> {
    throw new Error('not yet');
  }

  async listMultipartUploads(
    _bucket: string,
    _opts: ListMultipartUploadsOptions,
  ): Promise<ListMultipartUploadsResult> {
    throw new Error('not yet');
  }

  async abortMultipartUpload(_bucket: string, _key: string, _uploadId: string): Promise<void> {
    throw new Error('not yet');
  }

  async completeMultipartUpload(
    _bucket: string,
    _key: string,
    _uploadId: string,
    _opts: CompleteMultipartOptions,
  ): Promise<ObjectInfo> {
    throw new Error('not yet');
  }

  // ---------------------------------------------------------------- health

  async isWritable(): Promise<boolean> {
    const infos = await settleAll(this.drives, (d) => d.diskInfo());
    return countOk(infos) >= writeQuorum(this.k, this.m);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.healer.close();
    await this.backgroundHeal?.catch(() => undefined);
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
            if (r.healed) report.objectsHealed++;
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
      let pick: ReturnType<typeof pickByQuorum<BucketRecord>>;
      try {
        pick = pickByQuorum(perDrive, {
          identity: (b) => `${b.name}\u0000${b.createdAtMs}`,
          quorumOf: () => readQuorum(this.k, this.m),
          nullQuorum: readQuorum(this.k, this.m),
          rank: (b) => b.createdAtMs,
          what: `bucket ${name}`,
        });
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
   * Heals one object: drives that are reachable but lack the agreed record, hold another
   * version, or hold a shard that fails verification get the shard rebuilt from k good
   * ones (temp file → fsync → rename, or inline) and then the record. Runs under the
   * key's write lock so it never races a writer.
   */
  async healObject(bucket: string, key: string): Promise<ObjectHealResult> {
    const release = await this.locks.acquire(`${bucket}/${key}`);
    const handles: ShardHandle[] = [];
    try {
      const results = await this.readRecords(bucket, key);
      let pick: ReturnType<ErasureSet['pickVersion']>;
      try {
        pick = this.pickVersion(results, `object ${bucket}/${key}`);
      } catch (err) {
        if (isStorageError(err, 'InsufficientReadQuorum'))
          return { healed: false, shardsRepaired: 0, failed: true };
        throw err;
      }
      if (!pick.value) return this.removeDangling(bucket, key, results);

      const version = current(pick.value);
      const total = version.k + version.m;
      const codec = this.codec(version.k, version.m);
      const readers: (ShardReader | null)[] = new Array<ShardReader | null>(total).fill(null);
      const bad: number[] = [];
      const usedShards = new Set<number>();
      await Promise.all(
        this.drives.map(async (d, slot) => {
          const r = results[slot];
          if (!r) return;
          if (!r.ok) {
            if (!isOffline(r.error)) bad.push(slot);
            return;
          }
          if (!pick.agreeing[slot] || !r.value) {
            bad.push(slot);
            return;
          }
          const v = current(r.value);
          let reader: ShardReader;
          let sizeBytes: number | undefined;
          if (v.inline) {
            reader = new MemoryShardReader(v.inline);
            sizeBytes = v.inline.byteLength;
          } else {
            try {
              const handle = await d.openShard(v.dataDir);
              handles.push(handle);
              reader = handle;
              sizeBytes = handle.sizeBytes;
            } catch (err) {
              if (!isOffline(err)) bad.push(slot);
              return;
            }
          }
          if (await verifyShard(reader, version, sizeBytes)) {
            readers[v.driveIndex] = reader;
            usedShards.add(v.driveIndex);
          } else {
            bad.push(slot);
          }
        }),
      );
      if (bad.length === 0) return { healed: false, shardsRepaired: 0, failed: false };
      if (usedShards.size < version.k) return { healed: false, shardsRepaired: 0, failed: true };

      // Which shard each bad slot gets: its place in the key's layout, unless a good
      // drive already holds that shard (then any shard nobody holds).
      const layout = shardLayout(key, total);
      const free = Array.from({ length: total }, (_, i) => i).filter((i) => !usedShards.has(i));
      const targets: Array<{ slot: number; shard: number; writer: DriveShardWriter }> = [];
      for (const slot of bad.sort((a, b) => a - b)) {
        let shard = layout[slot] ?? -1;
        if (!free.includes(shard)) shard = free[0] ?? -1;
        if (shard < 0) continue;
        free.splice(free.indexOf(shard), 1);
        const drive = this.drives[slot];
        if (!drive) continue;
        targets.push({
          slot,
          shard,
          writer: new DriveShardWriter(drive, version.inline ? Number.POSITIVE_INFINITY : 0),
        });
      }
      const writers: (ShardWriter | null)[] = new Array<ShardWriter | null>(total).fill(null);
      for (const t of targets) writers[t.shard] = t.writer;
      try {
        await healShards({ codec, readers, writers, objectSizeBytes: version.sizeBytes, pool: this.pool });
      } catch (err) {
        await Promise.all(targets.map((t) => t.writer.abort()));
        if (isStorageError(err, 'InsufficientReadQuorum'))
          return { healed: false, shardsRepaired: 0, failed: true };
        throw err;
      }

      let repaired = 0;
      await Promise.all(
        targets.map(async ({ slot, shard, writer }) => {
          const drive = this.drives[slot];
          if (!drive) return;
          try {
            const healedVersion: ObjectVersion = { ...version, driveIndex: shard };
            delete healedVersion.inline;
            if (version.inline) healedVersion.inline = writer.inlineBytes();
            else if (version.sizeBytes > 0) await writer.commit(version.dataDir);
            // Same order as a write: shard durable first, then the record naming it.
            await drive.putObjectRecord(bucket, key, { v: RECORD_FORMAT_VERSION, versions: [healedVersion] });
            repaired++;
            const stale = results[slot];
            if (stale?.ok && stale.value) {
              for (const v of stale.value.versions)
                if (!v.inline && v.dataDir !== version.dataDir) await drive.deleteDataDir(v.dataDir);
            }
          } catch (err) {
            await writer.abort();
            this.logger.warn({ bucket, key, drive: drive.endpoint, err }, 'heal could not write a drive');
          }
        }),
      );
      return { healed: repaired > 0, shardsRepaired: repaired, failed: repaired < targets.length };
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      release();
    }
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
      for (const v of r.value.versions) if (!v.inline) await d.deleteDataDir(v.dataDir);
      removed++;
    });
    return { healed: removed > 0, shardsRepaired: 0, failed: false };
  }
}

function verifyShard(
  reader: ShardReader,
  version: ObjectVersion,
  sizeBytes: number | undefined,
): Promise<boolean> {
  return verifyShardStream(reader, version.sizeBytes, version.k, sizeBytes);
}

function toObjectInfo(bucket: string, key: string, version: ObjectVersion): ObjectInfo {
  return {
    bucket,
    key,
    sizeBytes: version.sizeBytes,
    etag: version.etag,
    lastModified: new Date(version.modTimeMs),
    versionId: version.versionId,
    isDeleteMarker: false,
    isLatest: true,
    metadata: { ...version.metadata },
    storageClass: STORAGE_CLASS,
  };
}

function toBucketInfo(record: BucketRecord): BucketInfo {
  return {
    name: record.name,
    createdAt: new Date(record.createdAtMs),
    location: record.location,
    versioning: 'Unversioned',
    objectLockEnabled: false,
  };
}
