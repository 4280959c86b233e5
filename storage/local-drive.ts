import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { type Database, open as openLmdb, type RootDatabase } from 'lmdb';
import {
  type DiskInfo,
  type Drive,
  DriveError,
  type DriveFormat,
  isDriveError,
  type RecordScan,
  type ShardHandle,
  type StoredRecords,
} from './drive.js';
import { RECORD_ENCODING } from './record-codec.js';
import {
  type BucketRecord,
  type ObjectRecord,
  type PartRecord,
  parseBucketRecord,
  parseObjectRecord,
  parsePartRecord,
  parseUploadRecord,
  type UploadRecord,
} from './records.js';

/**
 * A Drive over one local directory:
 *
 *   <root>/.strata.sys/format.json          drive identity (DriveFormat)
 *   <root>/.strata.sys/meta/                LMDB environment: dbs 'buckets', 'objects' (records
 *                                           without inline bytes), 'inline' (those bytes, raw),
 *                                           'uploads' (multipart uploads) and 'parts' (their parts)
 *   <root>/.strata.sys/tmp/<uuid>           temp shard files being written
 *   <root>/data/<2 hex>/<dataDir>/part.N    committed shard files, named by UUID, never by key
 *                                           (N = 1 for a single PUT; the part number for multipart)
 *
 * Object record keys are the UTF-8 bytes of `bucket + '/' + key`, so LMDB's memcmp order
 * is S3's UTF-8 binary listing order and one bucket is one contiguous key range. Upload
 * keys are `bucket + '/' + key + 0x00 + uploadId` (upload ids sort by initiation time),
 * part keys `uploadId + 0x00 + number as 4 bytes big-endian`.
 */

/** Names inside a drive. Do not change: on-disk format. */
export const SYS_DIR = '.strata.sys';
const FORMAT_FILE = 'format.json';
const META_DIR = 'meta';
/** The data file LMDB keeps inside META_DIR (lmdb-js names it so). */
const LMDB_DATA_FILE = 'data.mdb';
const TMP_DIR = 'tmp';
const DATA_DIR = 'data';
const SHARD_FILE_PREFIX = 'part.';
const BUCKETS_DB = 'buckets';
const OBJECTS_DB = 'objects';
const INLINE_DB = 'inline';
const UPLOADS_DB = 'uploads';
const PARTS_DB = 'parts';

/** Largest part number a shard file may carry (S3 allows 1..10,000). */
const MAX_PART_NUMBER = 10_000;

function shardFileName(partNumber: number): string {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new DriveError('FileNotFound', `invalid part number ${partNumber}`);
  }
  return `${SHARD_FILE_PREFIX}${partNumber}`;
}

/** Value encoding of the record dbs (defined in record-codec.ts; do not change: on-disk format). */
export { RECORD_ENCODING };

/**
 * Bytes per record a scan's buffer is first sized for (it doubles as needed, and later
 * scans size it by the average record seen): records without user metadata are ~330
 * bytes, so a 1,000-key page usually fits at once instead of growing four times.
 */
const SCAN_BUFFER_BYTES_PER_RECORD = 512;

/**
 * Where the stored-bytes view of the objects db copies each value a scan visits:
 * lmdb-js hands its decoder the bytes in a shared buffer that the next read overwrites,
 * so they are copied out, back to back, into one buffer per scan (no allocation per
 * record). Scans run synchronously, so one sink per drive is enough.
 */
class ScanSink {
  buf: Buffer = Buffer.alloc(0);
  used = 0;
  /** Average stored record size of the last scans (sizes the next buffer). */
  bytesPerRecord = SCAN_BUFFER_BYTES_PER_RECORD;

  start(limit: number): void {
    this.buf = Buffer.allocUnsafe(Math.ceil(Math.max(1, limit) * this.bytesPerRecord * 1.25));
    this.used = 0;
  }

  /** lmdb-js decoder hook: copies `size` bytes and returns where the copy ends. */
  decode(bytes: Uint8Array, size: number): number {
    const need = this.used + size;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    // Always a view of `size` bytes: lmdb-js's shared buffer reports a `length` of the
    // current value while being far longer (Buffer#copy and set would take all of it).
    this.buf.set(bytes.subarray(0, size), this.used);
    this.used = need;
    return need;
  }

  /** The bytes of the `records` copied since start(), and lets go of them. */
  finish(records: number): Buffer {
    if (records > 0) this.bytesPerRecord = Math.max(64, this.used / records);
    const out = this.buf.subarray(0, this.used);
    this.buf = Buffer.alloc(0);
    this.used = 0;
    return out;
  }
}

/** Reads re-check that the drive was not wiped at most this often (writes always check). */
const DEFAULT_LIVENESS_CHECK_INTERVAL_MS = 500;

/**
 * LMDB environment options. overlappingSync off: each commit is synced before its
 * write promises resolve, so an awaited put is durable (with lmdb-js's default the
 * promise resolves at commit, before the sync). Concurrent writes are still
 * group-committed into one transaction and one sync; measured here with 16 writers in
 * flight this was also faster than overlapping syncs (~6,500 vs ~3,800 puts/s).
 */
const LMDB_ENV_OPTIONS = { maxDbs: 8, overlappingSync: false } as const;

/**
 * Sequential shard reads are served from buffers of at least this size: the decoder
 * asks for one shard block at a time (1 MiB / k), and fewer, larger positional reads
 * cost less CPU than 64 KiB stream chunks (MEASUREMENTS.md).
 */
const READ_AHEAD_BYTES = 1024 * 1024;

/**
 * A temp shard starts an fdatasync in the background each time this many bytes were
 * appended since the last one began (when a sync slot is free, see MAX_CONCURRENT_SYNCS):
 * the page cache is written back while the body is still arriving, so the final sync before
 * the commit has only the tail left. Buffered writes otherwise sit dirty until that sync:
 * the disk idled while bodies streamed in, then had whole shard files to write at once.
 */
const EARLY_WRITEBACK_BYTES = 2 * 1024 * 1024;

/** The smallest byte string greater than every string starting with `bytes` (UTF-8 has no 0xFF bytes). */
function successor(bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i] = (out[i] ?? 0) + 1;
      return out.subarray(0, i + 1);
    }
  }
  // All 0xFF: no successor within this length; extend instead (cannot happen for UTF-8).
  return Buffer.concat([out, Buffer.from([0xff])]);
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

/** Maps a filesystem error to the closed DriveError set. */
function toDriveError(err: unknown, what: string, notFound: 'FileNotFound' | 'DriveNotFound'): DriveError {
  if (isDriveError(err)) return err;
  const errno = errnoOf(err);
  if (errno === 'ENOENT' || errno === 'ENOTDIR')
    return new DriveError(notFound, `${what}: not found`, { cause: err });
  return new DriveError('DriveFaulty', `${what}: ${errno ?? String(err)}`, { cause: err });
}

interface Meta {
  env: RootDatabase;
  buckets: Database<unknown, Buffer>;
  objects: Database<unknown, Buffer>;
  /** The objects db again, whose "decoder" copies each value's stored bytes into `sink`. */
  objectsStored: Database<number, Buffer>;
  sink: ScanSink;
  /** Inline shard bytes of small objects, raw, keyed by inlineKey(). */
  inline: Database<Buffer, Buffer>;
  uploads: Database<unknown, Buffer>;
  parts: Database<unknown, Buffer>;
  /** Inode of format.json when the store was opened: a different or missing one means the drive was wiped/replaced. */
  formatIno: number;
}

export class LocalDrive implements Drive {
  readonly endpoint: string;
  private readonly sysDir: string;
  private readonly formatPath: string;
  private readonly tmpDir: string;
  private readonly dataDir: string;
  private meta: Meta | null;
  private readonly temps: Map<string, TempShard>;
  private closed: boolean;
  private readonly livenessCheckIntervalMs: number;
  private lastLiveCheckMs: number;

  /** `livenessCheckIntervalMs`: how stale a read's "drive still there" check may be (see live()). */
  constructor(root: string, opts: { livenessCheckIntervalMs?: number } = {}) {
    this.endpoint = root;
    this.livenessCheckIntervalMs = opts.livenessCheckIntervalMs ?? DEFAULT_LIVENESS_CHECK_INTERVAL_MS;
    this.lastLiveCheckMs = Number.NEGATIVE_INFINITY;
    this.sysDir = join(root, SYS_DIR);
    this.formatPath = join(this.sysDir, FORMAT_FILE);
    this.tmpDir = join(this.sysDir, TMP_DIR);
    this.dataDir = join(root, DATA_DIR);
    this.meta = null;
    this.temps = new Map();
    this.closed = false;
  }

  // ---- format ----

  async readFormat(): Promise<DriveFormat | null> {
    this.assertOpen();
    try {
      await stat(this.endpoint);
    } catch (err) {
      throw toDriveError(err, `drive ${this.endpoint}`, 'DriveNotFound');
    }
    let text: string;
    try {
      text = await readFile(this.formatPath, 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw toDriveError(err, `drive ${this.endpoint}`, 'DriveNotFound');
    }
    const format = parseFormat(text, this.formatPath);
    await this.openMeta();
    return format;
  }

  async writeFormat(format: DriveFormat): Promise<void> {
    this.assertOpen();
    try {
      await mkdir(this.sysDir, { recursive: true });
      await mkdir(this.tmpDir, { recursive: true });
      await mkdir(this.dataDir, { recursive: true });
      // Crash safety: a torn format.json would make the drive look foreign; write a temp
      // file, fsync it, rename over, fsync the directory.
      const tmp = join(this.sysDir, `${FORMAT_FILE}.${randomUUID()}.tmp`);
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(`${JSON.stringify(format, null, 2)}\n`);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.formatPath);
      await fsyncDir(this.sysDir);
      await fsyncDir(this.endpoint);
    } catch (err) {
      throw toDriveError(err, `writing format of ${this.endpoint}`, 'DriveNotFound');
    }
    // A rewritten format.json has a new inode: reopen the store's liveness baseline.
    await this.closeMeta();
    await this.openMeta();
  }

  private async openMeta(): Promise<void> {
    if (this.meta) return;
    try {
      const formatIno = (await stat(this.formatPath)).ino;
      await mkdir(join(this.sysDir, META_DIR), { recursive: true });
      await mkdir(this.tmpDir, { recursive: true });
      await mkdir(this.dataDir, { recursive: true });
      // Temp shards left by a crash belong to writes that never committed.
      for (const name of await readdir(this.tmpDir)) {
        await rm(join(this.tmpDir, name), { force: true, recursive: true });
      }
      const env = openLmdb({ path: join(this.sysDir, META_DIR), ...LMDB_ENV_OPTIONS, ...RECORD_ENCODING });
      const buckets = env.openDB<unknown, Buffer>({
        name: BUCKETS_DB,
        keyEncoding: 'binary',
        ...RECORD_ENCODING,
      });
      const objects = env.openDB<unknown, Buffer>({
        name: OBJECTS_DB,
        keyEncoding: 'binary',
        ...RECORD_ENCODING,
      });
      // A second handle on the same db: lmdb-js calls `decode` with each value's bytes in
      // a shared buffer; this one copies them out instead of decoding (scanObjectRecords).
      const sink = new ScanSink();
      // lmdb-js takes `encoder` per db at run time (its typings list it only for the root).
      const storedOptions = {
        name: OBJECTS_DB,
        keyEncoding: 'binary' as const,
        encoder: {
          encode: (): never => {
            throw new Error('the stored-bytes view of the objects db is read-only');
          },
          decode: (bytes: Uint8Array, size: number) => sink.decode(bytes, size),
        },
      };
      const objectsStored = env.openDB<number, Buffer>(storedOptions);
      const inline = env.openDB<Buffer, Buffer>({
        name: INLINE_DB,
        keyEncoding: 'binary',
        encoding: 'binary',
      });
      const uploads = env.openDB<unknown, Buffer>({
        name: UPLOADS_DB,
        keyEncoding: 'binary',
        ...RECORD_ENCODING,
      });
      const parts = env.openDB<unknown, Buffer>({
        name: PARTS_DB,
        keyEncoding: 'binary',
        ...RECORD_ENCODING,
      });
      this.meta = { env, buckets, objects, objectsStored, sink, inline, uploads, parts, formatIno };
    } catch (err) {
      throw toDriveError(err, `opening metadata of ${this.endpoint}`, 'DriveNotFound');
    }
  }

  private async closeMeta(): Promise<void> {
    const meta = this.meta;
    this.meta = null;
    if (meta) await meta.env.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new DriveError('DriveClosed', `drive ${this.endpoint} is closed`);
  }

  /**
   * The metadata store, after checking that format.json is still the one we opened:
   * LMDB keeps working on the deleted files of a wiped drive, which would silently
   * lose writes. Writes always check (a synchronous stat, a few µs next to a durable
   * commit); reads check at most every `livenessCheckIntervalMs` (a stale read of a
   * wiped drive only returns what it held, and quorum decides anyway): per read, the
   * stat was the largest single cost of a small GET.
   */
  private live(kind: 'read' | 'always'): Meta {
    this.assertOpen();
    const meta = this.meta;
    if (!meta) throw new DriveError('UnformattedDrive', `drive ${this.endpoint} is not formatted`);
    const now = performance.now();
    if (kind === 'read' && now - this.lastLiveCheckMs < this.livenessCheckIntervalMs) return meta;
    this.lastLiveCheckMs = now;
    let ino: number | undefined;
    try {
      ino = statSync(this.formatPath, { throwIfNoEntry: false })?.ino;
    } catch (err) {
      throw toDriveError(err, `drive ${this.endpoint}`, 'DriveNotFound');
    }
    if (ino !== meta.formatIno) {
      this.lastLiveCheckMs = Number.NEGATIVE_INFINITY;
      throw new DriveError(
        'DriveNotFound',
        `drive ${this.endpoint} was wiped or replaced since it was opened`,
      );
    }
    return meta;
  }

  // ---- records ----

  async getBucketRecord(bucket: string): Promise<BucketRecord | null> {
    const { buckets } = this.live('read');
    const value = this.guard(() => buckets.get(Buffer.from(bucket, 'utf8')));
    return value === undefined ? null : this.decode(parseBucketRecord, value, bucket);
  }

  async putBucketRecord(record: BucketRecord): Promise<void> {
    const { buckets } = this.live('always');
    await this.guardAsync(() => buckets.put(Buffer.from(record.name, 'utf8'), record));
  }

  async deleteBucketRecord(bucket: string): Promise<void> {
    const { buckets } = this.live('always');
    await this.guardAsync(() => buckets.remove(Buffer.from(bucket, 'utf8')));
  }

  async listBucketRecords(): Promise<BucketRecord[]> {
    const { buckets } = this.live('read');
    return this.guard(() => {
      const out: BucketRecord[] = [];
      for (const { key, value } of buckets.getRange({})) {
        out.push(this.decode(parseBucketRecord, value, key.toString('utf8')));
      }
      return out;
    });
  }

  async getObjectRecord(bucket: string, key: string): Promise<ObjectRecord | null> {
    const { objects, inline } = this.live('read');
    const k = objectKey(bucket, key);
    return this.guard(() => {
      // Both gets run in the same tick, so they read the same LMDB snapshot.
      const value = objects.get(k);
      if (value === undefined) return null;
      const record = this.decode(parseObjectRecord, value, `${bucket}/${key}`);
      for (const version of record.versions) {
        const bytes = inline.getBinary(inlineKey(k, version.versionId));
        if (bytes !== undefined) version.inline = bytes;
      }
      return record;
    });
  }

  async putObjectRecord(bucket: string, key: string, record: ObjectRecord): Promise<void> {
    const { env, objects, inline } = this.live('always');
    const k = objectKey(bucket, key);
    const stored: ObjectRecord = {
      v: record.v,
      versions: record.versions.map(({ inline: _bytes, ...version }) => version),
    };
    // One transaction: the record and its inline blobs change together or not at all.
    await this.guardAsync(() =>
      env.transaction(() => {
        removeInlineBlobs(objects, inline, k);
        objects.putSync(k, stored);
        for (const version of record.versions) {
          if (version.inline) inline.putSync(inlineKey(k, version.versionId), Buffer.from(version.inline));
        }
      }),
    );
  }

  async deleteObjectRecord(bucket: string, key: string): Promise<void> {
    const { env, objects, inline } = this.live('always');
    const k = objectKey(bucket, key);
    await this.guardAsync(() =>
      env.transaction(() => {
        removeInlineBlobs(objects, inline, k);
        objects.removeSync(k);
      }),
    );
  }

  async scanObjectRecords(bucket: string, scan: RecordScan): Promise<StoredRecords> {
    const { objectsStored, sink } = this.live('read');
    const baseLength = Buffer.byteLength(`${bucket}/`, 'utf8');
    const range = scanRange(bucket, scan);
    if (!range) return { keys: [], bytes: new Uint8Array(0), ends: [] };
    const { start, end } = range;
    return this.guard(() => {
      const keys: string[] = [];
      const ends: number[] = [];
      // Inline bytes live in the 'inline' db: a page of small objects costs no more to
      // scan than a page of large ones. Records stay undecoded (the erasure set decodes
      // one drive's copy when the drives agree).
      sink.start(scan.limit);
      let bytes: Buffer;
      try {
        for (const { key, value } of objectsStored.getRange({ start, end, limit: scan.limit })) {
          keys.push(key.toString('utf8', baseLength));
          ends.push(value);
        }
      } finally {
        bytes = sink.finish(ends.length);
      }
      return { keys, bytes, ends };
    });
  }

  // ---- multipart ----

  async getUploadRecord(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null> {
    const { uploads } = this.live('read');
    const value = this.guard(() => uploads.get(uploadKey(bucket, key, uploadId)));
    return value === undefined ? null : this.decode(parseUploadRecord, value, `upload ${uploadId}`);
  }

  async putUploadRecord(record: UploadRecord): Promise<void> {
    const { uploads } = this.live('always');
    await this.guardAsync(() => uploads.put(uploadKey(record.bucket, record.key, record.uploadId), record));
  }

  async deleteUploadRecord(bucket: string, key: string, uploadId: string): Promise<void> {
    const { env, uploads, parts } = this.live('always');
    const start = partsPrefix(uploadId);
    const end = successor(start);
    await this.guardAsync(() =>
      env.transaction(() => {
        uploads.removeSync(uploadKey(bucket, key, uploadId));
        for (const k of parts.getKeys({ start, end })) parts.removeSync(k);
      }),
    );
  }

  async scanUploadRecords(bucket: string, scan: RecordScan): Promise<UploadRecord[]> {
    const { uploads } = this.live('read');
    const range = scanRange(bucket, scan);
    if (!range) return [];
    return this.guard(() => {
      const out: UploadRecord[] = [];
      for (const { value } of uploads.getRange({ ...range, limit: scan.limit })) {
        out.push(this.decode(parseUploadRecord, value, `upload in ${bucket}`));
      }
      return out;
    });
  }

  async putPartRecord(uploadId: string, record: PartRecord): Promise<void> {
    const { parts } = this.live('always');
    await this.guardAsync(() => parts.put(partKey(uploadId, record.number), record));
  }

  async deletePartRecord(uploadId: string, partNumber: number): Promise<void> {
    const { parts } = this.live('always');
    await this.guardAsync(() => parts.remove(partKey(uploadId, partNumber)));
  }

  async listPartRecords(uploadId: string): Promise<PartRecord[]> {
    const { parts } = this.live('read');
    const start = partsPrefix(uploadId);
    const end = successor(start);
    return this.guard(() => {
      const out: PartRecord[] = [];
      for (const { value } of parts.getRange({ start, end })) {
        out.push(this.decode(parsePartRecord, value, `part of ${uploadId}`));
      }
      return out;
    });
  }

  private decode<T>(parse: (value: unknown) => T, value: unknown, what: string): T {
    try {
      return parse(value);
    } catch (err) {
      throw new DriveError('FileCorrupt', `record ${what} on ${this.endpoint}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toDriveError(err, `metadata of ${this.endpoint}`, 'DriveNotFound');
    }
  }

  /** Runs a write; durable when it resolves (see LMDB_ENV_OPTIONS). */
  private async guardAsync(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      throw toDriveError(err, `metadata of ${this.endpoint}`, 'DriveNotFound');
    }
  }

  // ---- shard files ----

  async createTempShard(): Promise<string> {
    this.assertOpen();
    const tempId = randomUUID();
    try {
      const fh = await open(join(this.tmpDir, tempId), 'wx');
      this.temps.set(tempId, { fh, unsyncedBytes: 0, flushing: null, flushError: undefined });
    } catch (err) {
      throw toDriveError(err, `temp shard on ${this.endpoint}`, 'DriveNotFound');
    }
    return tempId;
  }

  async appendTempShard(tempId: string, chunks: readonly Uint8Array[]): Promise<void> {
    const temp = this.temps.get(tempId);
    if (!temp) throw new DriveError('FileNotFound', `temp shard ${tempId} is not open on ${this.endpoint}`);
    const { fh } = temp;
    try {
      let pending = chunks.filter((c) => c.byteLength > 0);
      while (pending.length > 0) {
        // writev may write less than asked: drop what was written and go again.
        const { bytesWritten } = await fh.writev(pending);
        temp.unsyncedBytes += bytesWritten;
        let written = bytesWritten;
        const rest: Uint8Array[] = [];
        for (const c of pending) {
          if (written >= c.byteLength) {
            written -= c.byteLength;
            continue;
          }
          rest.push(written > 0 ? c.subarray(written) : c);
          written = 0;
        }
        pending = rest;
      }
    } catch (err) {
      throw toDriveError(err, `writing temp shard on ${this.endpoint}`, 'FileNotFound');
    }
    if (temp.unsyncedBytes >= EARLY_WRITEBACK_BYTES && temp.flushing === null && syncSlots.tryTake()) {
      // Start writing back what is dirty while the body still streams in, so the disk
      // works during the upload instead of all at the final fdatasync. Not awaited; its
      // error is kept for syncTempShard (Linux reports a writeback error to an fd once).
      temp.unsyncedBytes = 0;
      temp.flushing = fh
        .datasync()
        .catch((err: unknown) => {
          temp.flushError ??= err;
        })
        .finally(() => {
          syncSlots.give();
          temp.flushing = null;
        });
    }
  }

  async syncTempShard(tempId: string): Promise<void> {
    const temp = this.temps.get(tempId);
    if (!temp) throw new DriveError('FileNotFound', `temp shard ${tempId} is not open on ${this.endpoint}`);
    this.temps.delete(tempId);
    const { fh } = temp;
    try {
      if (temp.flushing !== null) await temp.flushing;
      if (temp.flushError !== undefined) throw temp.flushError;
      await syncSlots.take();
      try {
        await fh.datasync();
      } finally {
        syncSlots.give();
      }
    } catch (err) {
      throw toDriveError(err, `syncing temp shard on ${this.endpoint}`, 'FileNotFound');
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  async commitShard(tempId: string, dataDir: string, partNumber = 1): Promise<void> {
    this.assertOpen();
    assertUuid(dataDir);
    assertUuid(tempId);
    const file = shardFileName(partNumber);
    const prefixDir = join(this.dataDir, dataDir.slice(0, 2));
    const dir = join(prefixDir, dataDir);
    try {
      const created = await mkdir(dir, { recursive: true });
      // Crash safety: the shard bytes were fdatasynced by syncTempShard; the rename is
      // made durable by fsyncing the directory that gained the entry, and every
      // directory that gained a new subdirectory.
      // rename replaces an earlier file of the same part atomically (re-uploaded part).
      await rename(join(this.tmpDir, tempId), join(dir, file));
      await fsyncDir(dir);
      if (created !== undefined) {
        await fsyncDir(prefixDir);
        if (created === prefixDir) await fsyncDir(this.dataDir);
      }
    } catch (err) {
      throw toDriveError(err, `committing shard on ${this.endpoint}`, 'FileNotFound');
    }
  }

  async abortTempShard(tempId: string): Promise<void> {
    const temp = this.temps.get(tempId);
    this.temps.delete(tempId);
    if (temp) await temp.fh.close().catch(() => undefined);
    if (!/^[0-9a-f-]{36}$/.test(tempId)) return;
    await rm(join(this.tmpDir, tempId), { force: true }).catch(() => undefined);
  }

  async openShard(dataDir: string, partNumber = 1): Promise<ShardHandle> {
    this.assertOpen();
    assertUuid(dataDir);
    const path = join(this.dataDir, dataDir.slice(0, 2), dataDir, shardFileName(partNumber));
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw toDriveError(err, `shard ${dataDir} on ${this.endpoint}`, 'FileNotFound');
    }
    try {
      const { size } = await fh.stat();
      return new LocalShardHandle(fh, size, `shard ${dataDir} on ${this.endpoint}`);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw toDriveError(err, `shard ${dataDir} on ${this.endpoint}`, 'FileNotFound');
    }
  }

  async deleteShard(dataDir: string, partNumber: number): Promise<void> {
    this.assertOpen();
    assertUuid(dataDir);
    try {
      await rm(join(this.dataDir, dataDir.slice(0, 2), dataDir, shardFileName(partNumber)), { force: true });
    } catch (err) {
      throw toDriveError(err, `deleting shard on ${this.endpoint}`, 'DriveNotFound');
    }
  }

  async deleteDataDir(dataDir: string): Promise<void> {
    this.assertOpen();
    assertUuid(dataDir);
    try {
      await rm(join(this.dataDir, dataDir.slice(0, 2), dataDir), { recursive: true, force: true });
    } catch (err) {
      throw toDriveError(err, `deleting data dir on ${this.endpoint}`, 'DriveNotFound');
    }
  }

  // ---- health ----

  async diskInfo(): Promise<DiskInfo> {
    this.live('always');
    try {
      const fs = await statfs(this.endpoint);
      // The LMDB data file (absent before the drive is formatted): for the metadata size metric.
      const meta = await stat(join(this.sysDir, META_DIR, LMDB_DATA_FILE)).catch(() => null);
      return {
        endpoint: this.endpoint,
        totalBytes: fs.blocks * fs.bsize,
        freeBytes: fs.bavail * fs.bsize,
        metadataBytes: meta?.size ?? 0,
      };
    } catch (err) {
      throw toDriveError(err, `drive ${this.endpoint}`, 'DriveNotFound');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [tempId, temp] of this.temps) {
      this.temps.delete(tempId);
      await temp.fh.close().catch(() => undefined);
    }
    await this.closeMeta().catch(() => undefined);
  }
}

/** A temp shard file being written. */
interface TempShard {
  fh: FileHandle;
  /** Bytes written since the last early writeback started. */
  unsyncedBytes: number;
  /** The early writeback in flight, if any. */
  flushing: Promise<void> | null;
  /** The first early writeback error: the final sync fails with it. */
  flushError: unknown;
}

/** A counting semaphore: take() waits first-come first-served, tryTake() never waits. */
class Slots {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  constructor(count: number) {
    this.free = count;
  }
  tryTake(): boolean {
    if (this.free === 0 || this.waiters.length > 0) return false;
    this.free--;
    return true;
  }
  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  give(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * Shard-file fdatasyncs running at once in this process (all drives). They run in libuv's
 * threadpool (4 threads unless UV_THREADPOOL_SIZE says otherwise), which also runs every
 * shard write, read and Reed-Solomon call; a sync holds its thread until the disk has the
 * data (tens of ms for a few MiB), so unbounded syncs left uploads waiting for a thread to
 * write their next block. Early writebacks start only when a slot is free.
 */
const MAX_CONCURRENT_SYNCS = 2;
const syncSlots = new Slots(MAX_CONCURRENT_SYNCS);

/** Random reads of one shard file with read-ahead (see READ_AHEAD_BYTES). */
class LocalShardHandle implements ShardHandle {
  readonly sizeBytes: number;
  private readonly fh: FileHandle;
  private readonly what: string;
  private cacheStart: number;
  private cache: Buffer | null;
  /** Where the previous read ended: a read starting there is part of a sequential scan. */
  private nextOffset: number;
  private closed: boolean;

  constructor(fh: FileHandle, sizeBytes: number, what: string) {
    this.fh = fh;
    this.sizeBytes = sizeBytes;
    this.what = what;
    this.cacheStart = 0;
    this.cache = null;
    this.nextOffset = 0;
    this.closed = false;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (this.closed) throw new DriveError('DriveClosed', `${this.what}: handle closed`);
    if (offset + length > this.sizeBytes) {
      throw new DriveError(
        'FileCorrupt',
        `${this.what}: read past end (${offset + length} > ${this.sizeBytes})`,
      );
    }
    const cache = this.cache;
    if (cache && offset >= this.cacheStart && offset + length <= this.cacheStart + cache.length) {
      this.nextOffset = offset + length;
      const at = offset - this.cacheStart;
      return cache.subarray(at, at + length);
    }
    // Read ahead only for sequential reads (a streaming GET); a random range read gets
    // exactly what it asked for. A fresh buffer per fill: slices handed out earlier
    // stay valid (never overwritten).
    const sequential = offset === this.nextOffset;
    const fill = sequential ? Math.min(Math.max(length, READ_AHEAD_BYTES), this.sizeBytes - offset) : length;
    this.nextOffset = offset + length;
    const buf = Buffer.allocUnsafe(fill);
    let done = 0;
    try {
      while (done < fill) {
        const { bytesRead } = await this.fh.read(buf, done, fill - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (err) {
      throw toDriveError(err, this.what, 'FileNotFound');
    }
    if (done < length) throw new DriveError('FileCorrupt', `${this.what}: file shorter than expected`);
    this.cache = buf.subarray(0, done);
    this.cacheStart = offset;
    return buf.subarray(0, length);
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    if (this.closed) throw new DriveError('DriveClosed', `${this.what}: handle closed`);
    const length = target.byteLength;
    if (offset + length > this.sizeBytes) {
      throw new DriveError(
        'FileCorrupt',
        `${this.what}: read past end (${offset + length} > ${this.sizeBytes})`,
      );
    }
    let done = 0;
    try {
      while (done < length) {
        const { bytesRead } = await this.fh.read(target, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (err) {
      throw toDriveError(err, this.what, 'FileNotFound');
    }
    if (done < length) throw new DriveError('FileCorrupt', `${this.what}: file shorter than expected`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache = null;
    await this.fh.close().catch(() => undefined);
  }
}

function objectKey(bucket: string, key: string): Buffer {
  return Buffer.from(`${bucket}/${key}`, 'utf8');
}

/** Do not change: on-disk format (see the layout comment at the top). */
function uploadKey(bucket: string, key: string, uploadId: string): Buffer {
  return Buffer.from(`${bucket}/${key}\u0000${uploadId}`, 'utf8');
}

function partsPrefix(uploadId: string): Buffer {
  return Buffer.from(`${uploadId}\u0000`, 'utf8');
}

/** Do not change: on-disk format. */
function partKey(uploadId: string, partNumber: number): Buffer {
  const out = Buffer.alloc(Buffer.byteLength(uploadId, 'utf8') + 5);
  out.write(uploadId, 0, 'utf8');
  out.writeUInt32BE(partNumber, out.length - 4);
  return out;
}

/** LMDB key range of a RecordScan over one bucket (keys `bucket/...`); null when empty. */
function scanRange(bucket: string, scan: RecordScan): { start: Buffer; end: Buffer } | null {
  const prefixBytes = Buffer.from(`${bucket}/${scan.prefix}`, 'utf8');
  const end = successor(prefixBytes);
  let start: Buffer = prefixBytes;
  if (scan.startAfter !== '') {
    const after = Buffer.from(`${bucket}/${scan.startAfter}`, 'utf8');
    // Smallest key strictly greater than `after` is after + 0x00; the smallest key
    // not starting with `after` is its successor.
    const afterStart = scan.skipUnderStartAfter ? successor(after) : Buffer.concat([after, Buffer.from([0])]);
    if (Buffer.compare(afterStart, start) > 0) start = afterStart;
  }
  if (Buffer.compare(start, end) >= 0) return null;
  return { start, end };
}

/**
 * Key of a version's inline shard bytes in the 'inline' db: the record's key, a 0x00
 * byte, the versionId (versionIds never contain 0x00, so keys cannot collide).
 * Do not change: on-disk format.
 */
function inlineKey(recordKey: Buffer, versionId: string): Buffer {
  return Buffer.concat([recordKey, Buffer.from([0]), Buffer.from(versionId, 'utf8')]);
}

/** Inside a write transaction: removes the inline blobs of the record currently stored at `k`. */
function removeInlineBlobs(
  objects: Database<unknown, Buffer>,
  inline: Database<Buffer, Buffer>,
  k: Buffer,
): void {
  const old = objects.get(k) as { versions?: Array<{ versionId?: unknown }> } | undefined;
  for (const version of old?.versions ?? []) {
    if (typeof version.versionId === 'string') inline.removeSync(inlineKey(k, version.versionId));
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Data dirs and temp ids become path components: only UUIDs are accepted. */
function assertUuid(id: string): void {
  if (!UUID_RE.test(id))
    throw new DriveError('FileNotFound', `invalid data dir or temp id ${JSON.stringify(id)}`);
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function parseFormat(text: string, path: string): DriveFormat {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DriveError('FileCorrupt', `${path} is not valid JSON`, { cause: err });
  }
  const f = value as Partial<DriveFormat> | null;
  if (
    typeof f !== 'object' ||
    f === null ||
    f.formatVersion !== 1 ||
    typeof f.deploymentId !== 'string' ||
    typeof f.driveId !== 'string' ||
    typeof f.driveIndex !== 'number' ||
    !Array.isArray(f.set) ||
    !f.set.every((id) => typeof id === 'string')
  ) {
    throw new DriveError('FileCorrupt', `${path} is not a Strata format v1 file`);
  }
  return {
    formatVersion: 1,
    deploymentId: f.deploymentId,
    set: [...f.set],
    driveId: f.driveId,
    driveIndex: f.driveIndex,
  };
}
