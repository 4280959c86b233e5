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
  | 'InvalidName'
  /** A versionId that does not exist for the key (or is malformed). */
  | 'NoSuchVersion'
  /** GET/HEAD of a specific version that is a delete marker (S3 answers 405). */
  | 'VersionIsDeleteMarker'
  | 'NoSuchUpload'
  /** CompleteMultipartUpload named a part that was not uploaded or whose ETag differs. */
  | 'InvalidPart'
  /** CompleteMultipartUpload parts not in strictly ascending order. */
  | 'InvalidPartOrder'
  /**
   * A write would give the key more than its maximum number of versions and delete
   * markers (MAX_VERSIONS_PER_KEY); old versions must be deleted first.
   */
  | 'TooManyVersions';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /**
   * For NoSuchKey when the latest version is a delete marker, and for
   * VersionIsDeleteMarker: the marker's version id (S3 sends x-amz-delete-marker: true
   * and x-amz-version-id).
   */
  readonly deleteMarkerVersionId: string | undefined;
  constructor(
    code: StorageErrorCode,
    message?: string,
    options?: { cause?: unknown; deleteMarkerVersionId?: string },
  ) {
    super(message ?? code, options);
    this.name = 'StorageError';
    this.code = code;
    this.deleteMarkerVersionId = options?.deleteMarkerVersionId;
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
  /** 'Unversioned' until PutBucketVersioning; never returns to it. */
  versioning: VersioningState;
  /** Set at creation only (x-amz-bucket-object-lock-enabled); implies versioning Enabled. */
  objectLockEnabled: boolean;
}

export type VersioningState = 'Unversioned' | 'Enabled' | 'Suspended';

/**
 * Bucket sub-resources stored as opaque documents (server/ validates and interprets
 * them; storage persists them in the bucket record at write quorum).
 */
export type BucketConfigName =
  | 'acl'
  | 'policy'
  | 'cors'
  | 'lifecycle'
  | 'encryption'
  /** Strata's own: the AEAD of the bucket's new encrypted objects (server/sse). */
  | 'sse-aead'
  | 'tagging'
  | 'object-lock'
  | 'ownership'
  | 'notification'
  | 'website'
  | 'replication'
  | 'logging'
  | 'accelerate'
  | 'request-payment';

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
  /** 'null' for objects written while versioning was never enabled or suspended. */
  versionId: string;
  /** True when this version is a delete marker (sizeBytes 0, no data). */
  isDeleteMarker: boolean;
  /** True when this is the newest version of the key. */
  isLatest: boolean;
  metadata: ObjectMetadata;
  storageClass: string;
  /**
   * For objects created by CompleteMultipartUpload: the parts in order (their sizes
   * locate `partNumber` reads). Undefined for single-PUT objects.
   */
  parts?: ObjectPartInfo[];
}

export interface ObjectPartInfo {
  partNumber: number;
  sizeBytes: number;
  /** ETag of the part without quotes. */
  etag: string;
  /** Per-part metadata from its finalize() (e.g. x-amz-checksum-* of the part). */
  metadata: ObjectMetadata;
}

/**
 * Checked under the key's write lock, against the current latest version (undefined
 * when the key has none or its latest is a delete marker), right before commit. Throw
 * to refuse the write (e.g. If-None-Match: * when the key exists): nothing is
 * committed and the error is rethrown unchanged. This is what makes conditional
 * writes atomic: of concurrent creators exactly one wins. putObject also calls it
 * once before reading the body (no lock; a refusal there saves the upload), so it
 * must be a pure check.
 */
export type WritePrecondition = (current: ObjectInfo | undefined) => void;

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
  precondition?: WritePrecondition;
}

export interface GetObjectOptions {
  /** Inclusive byte range, already validated by the caller against the object's size. */
  range?: { start: number; end: number };
  /** A specific version; latest when absent. */
  versionId?: string;
}

export interface DeleteObjectOptions {
  /** Delete exactly this version (or delete marker); absent: per versioning state. */
  versionId?: string;
  /**
   * Checked under the key lock against the version about to be removed (only when
   * versionId is given and exists). Throw to refuse (object lock retention/legal hold).
   */
  check?: (target: ObjectInfo) => void;
}

export interface DeleteObjectResult {
  /** Version id removed, or of the delete marker created. Undefined in unversioned buckets. */
  versionId?: string;
  /** True when a delete marker was created, or the removed version was one. */
  isDeleteMarker: boolean;
}

export interface ListObjectVersionsOptions {
  prefix: string;
  delimiter: string;
  /** Exclusive key marker ('' to start at the beginning). */
  keyMarker: string;
  /** With keyMarker: continue after this version of keyMarker ('' = after all its versions). */
  versionIdMarker: string;
  maxKeys: number;
}

export interface ListObjectVersionsResult {
  /** Versions and delete markers: keys in UTF-8 binary order, each key's versions newest first. */
  versions: ObjectInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface MultipartUploadInfo {
  bucket: string;
  key: string;
  uploadId: string;
  initiated: Date;
  /** Metadata given at CreateMultipartUpload (content-type, x-amz-meta-*, checksum algorithm...). */
  metadata: ObjectMetadata;
}

export interface PartInfo extends ObjectPartInfo {
  lastModified: Date;
}

export interface ListPartsResult {
  parts: PartInfo[];
  isTruncated: boolean;
  nextPartNumberMarker?: number;
}

export interface ListMultipartUploadsOptions {
  prefix: string;
  delimiter: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
}

export interface ListMultipartUploadsResult {
  uploads: MultipartUploadInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}

export interface CompleteMultipartOptions {
  /** As requested by the client, in request order (storage checks order and existence). */
  parts: { partNumber: number; etag: string }[];
  /**
   * Called under the key lock with the stored infos of the requested parts (in order)
   * after InvalidPart/InvalidPartOrder checks; computes the final ETag and metadata
   * (md5-of-md5s-N, composite checksums) and may throw (EntityTooSmall, BadDigest):
   * then nothing is committed and the upload stays open.
   */
  finalize: (parts: PartInfo[]) => PutObjectFinal;
  precondition?: WritePrecondition;
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
  /** Throws BucketExists if present. objectLockEnabled also enables versioning. */
  makeBucket(bucket: string, opts: { location: string; objectLockEnabled?: boolean }): Promise<void>;
  /** Enabled/Suspended; throws NoSuchBucket. */
  setBucketVersioning(bucket: string, state: 'Enabled' | 'Suspended'): Promise<void>;
  /** Undefined when not set. Throws NoSuchBucket. */
  getBucketConfig(bucket: string, name: BucketConfigName): Promise<string | undefined>;
  /** undefined deletes the document. Throws NoSuchBucket. */
  putBucketConfig(bucket: string, name: BucketConfigName, value: string | undefined): Promise<void>;
  /** Throws NoSuchBucket. */
  getBucketInfo(bucket: string): Promise<BucketInfo>;
  /** Sorted by name. */
  listBuckets(): Promise<BucketInfo[]>;
  /** Throws NoSuchBucket or BucketNotEmpty. */
  deleteBucket(bucket: string): Promise<void>;

  /**
   * Streams body to the erasure set and commits atomically at write quorum:
   * temp shards → fsync → rename → fsync dir → metadata in quorum. Resolves only
   * when durable. Bodies of concurrent writes to one key stream in parallel; their
   * commits are serialized and the last commit is the latest version. Errors thrown
   * by the body stream (e.g. the caller's checksum verification) are rethrown unchanged.
   */
  putObject(bucket: string, key: string, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo>;
  /**
   * Throws NoSuchBucket / NoSuchKey (latest is a delete marker: NoSuchKey with
   * deleteMarkerVersionId) / NoSuchVersion / VersionIsDeleteMarker (HEAD of a marker
   * by versionId returns it instead: see allowDeleteMarker).
   */
  getObjectInfo(
    bucket: string,
    key: string,
    opts?: { versionId?: string; allowDeleteMarker?: boolean },
  ): Promise<ObjectInfo>;
  /** Errors as getObjectInfo. See GetObjectResult for stream ownership. */
  getObject(bucket: string, key: string, opts: GetObjectOptions): Promise<GetObjectResult>;
  /**
   * Replaces the metadata of one version (latest when versionId is absent) without
   * rewriting its data: self-copy with REPLACE (touch: lastModified becomes now), or
   * tagging / retention / legal-hold updates (touch false: lastModified unchanged).
   * `update` receives the current metadata under the key lock and returns the new map;
   * it may throw to refuse.
   */
  updateObjectMetadata(
    bucket: string,
    key: string,
    update: (current: ObjectInfo) => ObjectMetadata,
    opts?: { versionId?: string; touch?: boolean },
  ): Promise<ObjectInfo>;
  /**
   * Without versionId: unversioned bucket → removes the object (idempotent);
   * Enabled → adds a delete marker; Suspended → a 'null' delete marker replacing the
   * null version. With versionId: removes that version or marker (missing → success).
   * Throws NoSuchBucket, or whatever opts.check throws.
   */
  deleteObject(bucket: string, key: string, opts?: DeleteObjectOptions): Promise<DeleteObjectResult>;
  /** Latest versions only; keys whose latest version is a delete marker are skipped. */
  listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult>;
  listObjectVersions(bucket: string, opts: ListObjectVersionsOptions): Promise<ListObjectVersionsResult>;

  /** Throws NoSuchBucket. Returns the new upload id. */
  createMultipartUpload(bucket: string, key: string, opts: { metadata: ObjectMetadata }): Promise<string>;
  /** Throws NoSuchUpload. */
  getMultipartUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUploadInfo>;
  /**
   * Streams one part (1..10000) as its own erasure-coded file; replaces an earlier
   * part with the same number. Same body/finalize/signal contract as putObject.
   * Throws NoSuchUpload.
   */
  putObjectPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts: Omit<PutObjectOptions, 'metadata' | 'precondition'>,
  ): Promise<PartInfo>;
  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    opts: { partNumberMarker: number; maxParts: number },
  ): Promise<ListPartsResult>;
  listMultipartUploads(
    bucket: string,
    opts: ListMultipartUploadsOptions,
  ): Promise<ListMultipartUploadsResult>;
  /** Removes the upload and all its parts' data. Throws NoSuchUpload. */
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /**
   * Commits a version whose record references the parts' data (no copy); unused parts
   * are deleted. A retry of an already completed upload with the same parts returns
   * the same ObjectInfo (kept for a while after completion). Throws NoSuchUpload,
   * InvalidPart, InvalidPartOrder, or what finalize/precondition throw.
   */
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    opts: CompleteMultipartOptions,
  ): Promise<ObjectInfo>;

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

/** One bucket's usage as counted by the storage layer (storage/usage.ts). */
export interface BucketUsage {
  bucket: string;
  /** Bytes of every stored version, current and noncurrent (delete markers have none). */
  sizeBytes: number;
  /** Keys whose latest version is an object (not a delete marker). */
  objects: number;
  /** Stored versions that are not delete markers (an unversioned object is one version). */
  versions: number;
  deleteMarkers: number;
}

/** One drive of the set as last probed. */
export interface DriveStatus {
  /** The drive's path (or URL for a remote drive): a metric label, never an object key. */
  endpoint: string;
  /** Answered the probe (statfs) and still holds its format. */
  online: boolean;
  /** Capacity of the filesystem holding the drive; 0 when offline. */
  totalBytes: number;
  freeBytes: number;
  /** Size of the drive's metadata store (LMDB) file; 0 when offline or unknown. */
  metadataBytes: number;
}

export interface SetStatus {
  drives: DriveStatus[];
  /** Drives that must answer for a read / a write to succeed. */
  readQuorum: number;
  writeQuorum: number;
}

export interface HealStats {
  /** Objects waiting in the background heal queue or being healed now. */
  queuedObjects: number;
  /** Objects repaired since start, by any path (read-triggered queue, full heals, admin heal). */
  objectsHealed: number;
}

/** Counts for metrics; separate from ObjectLayer like StorageAdmin (server/ handlers never call it). */
export interface StorageStats {
  /**
   * Usage per bucket, from counters kept current on every commit (no namespace walk:
   * storage/usage.ts). Undefined until the one background count at start has finished.
   */
  bucketUsage(): BucketUsage[] | undefined;
  /** Probes every drive (one statfs and stat each): I/O, so callers should cache the answer briefly. */
  setStatus(): Promise<SetStatus>;
  /** In-memory counters; cheap. */
  healStats(): HealStats;
}
