import type { ShardReader } from './erasure/types.js';
import type { BucketRecord, ObjectRecord, PartRecord, UploadRecord } from './records.js';

/**
 * One disk of an erasure set. Every member takes and returns plain data, Uint8Arrays
 * or small handles with async methods, so a RemoteDrive over HTTP can implement it
 * later without changing callers. Implementations: LocalDrive (a directory);
 * tests add wrappers that fail or corrupt.
 *
 * Every method rejects only with DriveError (a closed set of codes, below); callers
 * reduce per-drive errors by quorum (quorum.ts) into StorageErrors.
 */

/** Closed set of drive failures. */
export type DriveErrorCode =
  /** The drive's directory is gone, was wiped or replaced since open, or cannot be reached. */
  | 'DriveNotFound'
  /** The drive answered but is not formatted (no format.json). */
  | 'UnformattedDrive'
  /** A shard file, data dir or temp file asked for does not exist. */
  | 'FileNotFound'
  /** Stored bytes could not be decoded (format.json, a record). */
  | 'FileCorrupt'
  /** An I/O error other than "not there" (EIO, ENOSPC, EACCES, ...). */
  | 'DriveFaulty'
  /** The drive was closed by its owner. */
  | 'DriveClosed';

export class DriveError extends Error {
  readonly code: DriveErrorCode;
  constructor(code: DriveErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.name = 'DriveError';
    this.code = code;
  }
}

export function isDriveError(err: unknown, code?: DriveErrorCode): err is DriveError {
  return (
    err instanceof Error &&
    (err as { name?: string }).name === 'DriveError' &&
    (code === undefined || (err as DriveError).code === code)
  );
}

/** Contents of `.strata.sys/format.json`, version 1. */
export interface DriveFormat {
  /** Do not change: on-disk format. */
  formatVersion: 1;
  /** UUID shared by every drive of the deployment. */
  deploymentId: string;
  /** Drive ids of the erasure set in slot order: set[i] is the drive that belongs in slot i. */
  set: string[];
  /** This drive's id (a UUID). */
  driveId: string;
  /** This drive's slot: set[driveIndex] === driveId. */
  driveIndex: number;
}

export interface DiskInfo {
  /** Where the drive lives (a path for LocalDrive, a URL for a remote drive). */
  endpoint: string;
  totalBytes: number;
  freeBytes: number;
  /** Bytes of the drive's metadata store file (LMDB), when the drive can tell. */
  metadataBytes?: number;
}

/** Range scan over one bucket's object records, in UTF-8 binary key order. */
export interface RecordScan {
  /** Only keys starting with this ('' for all). */
  prefix: string;
  /** Only keys strictly greater than this ('' to start at the beginning). */
  startAfter: string;
  /**
   * When true, also skip every key that starts with `startAfter` (used to jump over a
   * common prefix in a delimited listing without visiting its keys).
   */
  skipUnderStartAfter: boolean;
  /** At most this many entries (>= 1). */
  limit: number;
}

/**
 * The object records of one range scan as stored, undecoded: record i holds the bytes
 * `bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i])` of key `keys[i]`, in the record
 * encoding of storage/record-codec.ts (decodeStoredObjectRecord). Listings compare the
 * drives' bytes and decode one copy of each key instead of one per drive.
 */
export interface StoredRecords {
  /** Object keys (without the bucket), in UTF-8 binary order. */
  keys: string[];
  /** The records' bytes back to back. The caller owns it (a fresh buffer per scan). */
  bytes: Uint8Array;
  /** End offset in `bytes` of each record. */
  ends: number[];
}

/**
 * A stored shard stream opened for random reads. Opening pins the data: a handle
 * keeps reading the bytes it opened even if the data dir is deleted or replaced
 * afterwards (open file descriptors survive unlink). The opener must close it.
 */
export interface ShardHandle extends ShardReader {
  /** Size of the shard stream in bytes when opened. */
  readonly sizeBytes: number;
  /**
   * Reads exactly `length` bytes at `offset`. Rejects with DriveError('FileCorrupt')
   * when the file is shorter (truncated), DriveError('DriveFaulty') on I/O errors.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Reads exactly `target.byteLength` bytes at `offset` into `target`, straight from the
   * file (no read-ahead); rejects like `read`. Optional (wrappers may omit it).
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
  /** Releases the handle. Idempotent; never rejects. */
  close(): Promise<void>;
}

export interface Drive {
  /** Human-readable location for logs and error messages (the directory path). */
  readonly endpoint: string;

  // ---- format ----

  /**
   * Reads format.json. Resolves null when the drive is reachable but unformatted.
   * Throws DriveNotFound (directory missing or unreadable), FileCorrupt (unparseable).
   */
  readFormat(): Promise<DriveFormat | null>;
  /**
   * Atomically replaces format.json (temp file, fsync, rename, fsync dir) and creates
   * the drive's system folders and metadata store. After this the drive serves
   * records and shards. Throws DriveNotFound / DriveFaulty.
   */
  writeFormat(format: DriveFormat): Promise<void>;

  // ---- metadata records ----
  // Each put/delete is atomic and durable when it resolves (one LMDB transaction).
  // All throw DriveNotFound when the drive vanished or was wiped since its format
  // was read, FileCorrupt for an undecodable record, DriveFaulty otherwise.

  getBucketRecord(bucket: string): Promise<BucketRecord | null>;
  putBucketRecord(record: BucketRecord): Promise<void>;
  /** Idempotent. */
  deleteBucketRecord(bucket: string): Promise<void>;
  /** All bucket records, sorted by name. */
  listBucketRecords(): Promise<BucketRecord[]>;

  getObjectRecord(bucket: string, key: string): Promise<ObjectRecord | null>;
  /** Replaces the whole record of the key. */
  putObjectRecord(bucket: string, key: string, record: ObjectRecord): Promise<void>;
  /** Idempotent. */
  deleteObjectRecord(bucket: string, key: string): Promise<void>;
  /**
   * Range scan of one bucket's object records, as stored; cost is O(limit), not
   * O(bucket). The records carry no `inline` bytes (listing and healing scans never
   * need them). Bytes that do not decode are the caller's to report (per key), so one
   * corrupt record does not fail the scan of its neighbours.
   */
  scanObjectRecords(bucket: string, scan: RecordScan): Promise<StoredRecords>;

  // ---- multipart uploads ----
  // Same atomicity and errors as the records above.

  getUploadRecord(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null>;
  putUploadRecord(record: UploadRecord): Promise<void>;
  /** Removes the upload record and all its part records in one transaction. Idempotent. */
  deleteUploadRecord(bucket: string, key: string, uploadId: string): Promise<void>;
  /**
   * Range scan of one bucket's uploads ordered by key, then initiation (upload id).
   * `startAfter` is compared against `key + '\u0000' + uploadId`.
   */
  scanUploadRecords(bucket: string, scan: RecordScan): Promise<UploadRecord[]>;
  /** Replaces the record of one part. */
  putPartRecord(uploadId: string, record: PartRecord): Promise<void>;
  /** Idempotent. */
  deletePartRecord(uploadId: string, partNumber: number): Promise<void>;
  /** Every part record of the upload, by part number. */
  listPartRecords(uploadId: string): Promise<PartRecord[]>;

  // ---- shard files ----

  /**
   * Creates an empty temp shard file and returns its id. Temp files are invisible to
   * readers; a drive may delete leftovers at open (crash recovery).
   */
  createTempShard(): Promise<string>;
  /**
   * Appends `chunks`, in order, to a temp shard (one gathered write where the drive can:
   * a bitrot header and its shard cost one system call). The chunks may be reused once
   * this resolves. Throws FileNotFound for an unknown id.
   */
  appendTempShard(tempId: string, chunks: readonly Uint8Array[]): Promise<void>;
  /** fdatasyncs and closes a temp shard: its bytes are durable once this resolves. */
  syncTempShard(tempId: string): Promise<void>;
  /**
   * Moves a synced temp shard to be shard file `part.<partNumber>` (default 1) of data
   * dir `dataDir` (a UUID), atomically replacing any file there, then fsyncs the
   * directories it changed. Durable on resolve.
   */
  commitShard(tempId: string, dataDir: string, partNumber?: number): Promise<void>;
  /** Closes and removes a temp shard. Idempotent; never rejects. */
  abortTempShard(tempId: string): Promise<void>;
  /** Opens shard file `part.<partNumber>` (default 1) of `dataDir` for reads. Throws FileNotFound when absent. */
  openShard(dataDir: string, partNumber?: number): Promise<ShardHandle>;
  /** Removes one shard file of a data dir. Idempotent. */
  deleteShard(dataDir: string, partNumber: number): Promise<void>;
  /** Removes a data dir and its shard file. Idempotent (missing is fine). */
  deleteDataDir(dataDir: string): Promise<void>;

  // ---- health ----

  /** Capacity; also the liveness probe. Throws DriveNotFound when unreachable. */
  diskInfo(): Promise<DiskInfo>;
  /** Closes the metadata store and open temp files; later calls throw DriveClosed. Idempotent. */
  close(): Promise<void>;
}
