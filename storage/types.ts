import type { Readable } from 'node:stream';

/**
 * The contract between server/ and storage/. server/ knows nothing about shards,
 * drives or LMDB; storage/ knows nothing about HTTP, XML, signatures or policies.
 */

/** Closed set of storage failures; server/ maps each to exactly one S3 error. */
export type StorageErrorCode =
  | 'NoSuchBucket'
  | 'BucketExists'
  | 'BucketNotEmpty'
  | 'NoSuchKey'
  /** Fewer than read-quorum drives answered consistently: retryable (503). */
  | 'InsufficientReadQuorum'
  /** Fewer than write-quorum drives accepted the write: retryable (503). */
  | 'InsufficientWriteQuorum'
  /** Body ended before the declared size, or carried more bytes than declared. */
  | 'IncompleteBody'
  /** The key or bucket name cannot be stored (too long, invalid). */
  | 'InvalidName';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return (
    err instanceof Error &&
    (err as { name?: string }).name === 'StorageError' &&
    (code === undefined || (err as StorageError).code === code)
  );
}

export interface BucketInfo {
  name: string;
  createdAt: Date;
  /** LocationConstraint given at creation ('' means the default region). */
  location: string;
}

/**
 * Metadata persisted with an object version, as a flat string map whose names
 * server/ chooses (lower-case HTTP header names: 'content-type', 'cache-control',
 * 'x-amz-meta-color', 'x-amz-checksum-crc32', ...). storage/ stores and returns it
 * verbatim and never interprets it.
 */
export type ObjectMetadata = Record<string, string>;

export interface ObjectInfo {
  bucket: string;
  key: string;
  /** Plaintext size of the stored body in bytes. */
  sizeBytes: number;
  /** ETag without quotes, as produced by PutObjectOptions.finalize. */
  etag: string;
  lastModified: Date;
  /** 'null' until versioning arrives (issue 3). */
  versionId: string;
  metadata: ObjectMetadata;
  storageClass: string;
}

export interface PutObjectFinal {
  /** ETag to store (no quotes). */
  etag: string;
  /** Extra metadata known only after the body ended (e.g. computed checksums). */
  metadata?: ObjectMetadata;
}

export interface PutObjectOptions {
  /**
   * Exact body size in bytes when known (Content-Length or x-amz-decoded-content-length);
   * -1 when unknown. When known, a body that ends short or runs long fails with
   * StorageError('IncompleteBody') and nothing is committed.
   */
  sizeBytes: number;
  metadata: ObjectMetadata;
  /**
   * Called once after the body stream ended successfully and before anything is
   * committed. May throw (e.g. a checksum mismatch): then the write is abandoned,
   * temporary data removed, and the same error is rethrown by putObject.
   */
  finalize: () => PutObjectFinal;
  /** Aborts the write (client went away): nothing is committed. */
  signal?: AbortSignal;
}

export interface GetObjectOptions {
  /** Inclusive byte range, already validated by the caller against the object's size. */
  range?: { start: number; end: number };
}

export interface GetObjectResult {
  info: ObjectInfo;
  /**
   * The (ranged) body. The caller must consume or destroy it. It was opened before
   * getObject resolved, so a concurrent overwrite or delete of the key does not
   * affect it: the reader sees the old version whole, or fails; never a mix.
   */
  stream: Readable;
}

export interface ListObjectsOptions {
  prefix: string;
  /** '' for no delimiter. */
  delimiter: string;
  /** Exclusive: only keys (and common prefixes) strictly greater than this. '' to start at the beginning. */
  startAfter: string;
  /** 1..1000 (caller clamps). 0 returns an empty, non-truncated page. */
  maxKeys: number;
}

export interface ListObjectsResult {
  /** Objects in UTF-8 binary key order. */
  objects: ObjectInfo[];
  /** Common prefixes (each ends with the delimiter), in order, deduplicated. */
  commonPrefixes: string[];
  isTruncated: boolean;
  /**
   * When truncated: the last key or common prefix returned; passing it as startAfter
   * continues the listing (a common prefix as marker skips all keys under it).
   */
  nextMarker?: string;
}

/**
 * What server/ sees of storage. All methods validate names with limits and throw
 * StorageError for expected failures; anything else is a bug (500).
 */
export interface ObjectLayer {
  /** Throws BucketExists if present. */
  makeBucket(bucket: string, opts: { location: string }): Promise<void>;
  /** Throws NoSuchBucket. */
  getBucketInfo(bucket: string): Promise<BucketInfo>;
  /** Sorted by name. */
  listBuckets(): Promise<BucketInfo[]>;
  /** Throws NoSuchBucket or BucketNotEmpty. */
  deleteBucket(bucket: string): Promise<void>;

  /**
   * Streams body to the erasure set and commits atomically at write quorum:
   * temp shards → fsync → rename → fsync dir → metadata in quorum. Resolves only
   * when durable. Writers to the same key are serialized. Errors thrown by the
   * body stream (e.g. the caller's checksum verification) are rethrown unchanged.
   */
  putObject(bucket: string, key: string, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo>;
  /** Throws NoSuchBucket / NoSuchKey. */
  getObjectInfo(bucket: string, key: string): Promise<ObjectInfo>;
  /** Throws NoSuchBucket / NoSuchKey. See GetObjectResult for stream ownership. */
  getObject(bucket: string, key: string, opts: GetObjectOptions): Promise<GetObjectResult>;
  /**
   * Replaces the metadata of the current version without rewriting its data
   * (self-copy with REPLACE). Returns the updated info (lastModified is now).
   */
  updateObjectMetadata(bucket: string, key: string, metadata: ObjectMetadata): Promise<ObjectInfo>;
  /** Idempotent: deleting a missing key succeeds. Throws NoSuchBucket. */
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult>;

  /** Quorum health: true when a write could succeed now (readiness). */
  isWritable(): Promise<boolean>;
  /** Stops background work and closes drives. */
  close(): Promise<void>;
}

export interface HealReport {
  objectsScanned: number;
  objectsHealed: number;
  shardsRepaired: number;
  /** Objects that could not be healed (fewer than k good shards). */
  objectsFailed: number;
  bucketsHealed: number;
}

/** Healing and scanning: separate from ObjectLayer (server/ handlers never call it). */
export interface StorageAdmin {
  /** Heals every bucket and object (or one bucket) and reports counts. */
  heal(opts?: { bucket?: string }): Promise<HealReport>;
  /** Resolves when the background heal queue is empty (tests and shutdown). */
  drainHealQueue(): Promise<void>;
}
