/**
 * Persisted metadata records: what every drive's LMDB holds per bucket and per object.
 *
 * Records are stored as plain MessagePack maps (see RECORD_ENCODING in record-codec.ts).
 * Every record carries `v`, its format version; readers accept every version they know
 * and upgrade it here, in one place (a migration chain), so the rest of storage/ only
 * ever sees the current shape. A golden fixture test (records.test.ts, fixtures/)
 * pins the bytes of version 1.
 */

/**
 * Current object and bucket record format version. Do not change: on-disk format.
 * v1: one version per key (versions[0]), single shard file per version.
 * v2: versions list (newest first) with delete markers, per-version parts (one
 *     erasure-coded shard file `part.N` per part), multipart upload id; bucket records
 *     gain versioning state, object lock flag, config documents and an update stamp.
 */
export const RECORD_FORMAT_VERSION = 2;

/** Format version of upload and part records (multipart). Do not change: on-disk format. */
export const UPLOAD_RECORD_FORMAT_VERSION = 1;

/** versionId of the version written while versioning is off or suspended (S3's literal 'null'). */
export const NULL_VERSION_ID = 'null';

/** One erasure-coded part of a version: shard file `part.<number>` in the version's dataDir. */
export interface VersionPart {
  number: number;
  sizeBytes: number;
  etag: string;
  metadata: Record<string, string>;
}

/** One version of an object (or a delete marker), as held by one drive. */
export interface ObjectVersion {
  versionId: string;
  /** A delete marker: no data (sizeBytes 0, dataDir '', parts []). */
  isDeleteMarker: boolean;
  modTimeMs: number;
  sizeBytes: number;
  etag: string;
  metadata: Record<string, string>;
  /** UUID naming the folder holding this version's shard files ('' for delete markers; unused when inline). */
  dataDir: string;
  /** The shard files of the version in object order; a single PUT has one part numbered 1. */
  parts: VersionPart[];
  /** Set for versions created by CompleteMultipartUpload (remembers the completion for retries). */
  uploadId?: string;
  /** Data shards. */
  k: number;
  /** Parity shards. */
  m: number;
  /** Index of the shard stream this drive holds (0..k+m-1); data shards first. */
  driveIndex: number;
  blockSizeBytes: number;
  /** This drive's whole shard stream of part 1, when the object is stored inline (no shard file). */
  inline?: Uint8Array;
}

/** All versions of one key on one drive; versions[0] is the latest one. Never empty. */
export interface ObjectRecord {
  v: 2;
  versions: ObjectVersion[];
}

export type BucketVersioning = 'Unversioned' | 'Enabled' | 'Suspended';

export interface BucketRecord {
  v: 2;
  name: string;
  createdAtMs: number;
  /** Last change of versioning or configs (equals createdAtMs until then); drives agree on it. */
  updatedMs: number;
  /** LocationConstraint ('' = default region). */
  location: string;
  versioning: BucketVersioning;
  objectLockEnabled: boolean;
  /** Opaque bucket configuration documents by name (policy, cors, lifecycle, ...). */
  configs: Record<string, string>;
}

/** A multipart upload in progress (its own LMDB db, on every drive of the set). */
export interface UploadRecord {
  v: 1;
  bucket: string;
  key: string;
  uploadId: string;
  initiatedMs: number;
  metadata: Record<string, string>;
  /** UUID of the folder that receives the part files and becomes the object's dataDir. */
  dataDir: string;
  k: number;
  m: number;
}

/** One uploaded part of a multipart upload, as held by one drive. */
export interface PartRecord {
  v: 1;
  number: number;
  sizeBytes: number;
  etag: string;
  metadata: Record<string, string>;
  modTimeMs: number;
  k: number;
  m: number;
  driveIndex: number;
  blockSizeBytes: number;
}

/** Thrown by the parse functions; LocalDrive maps it to DriveError('FileCorrupt'). */
export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(obj: Record<string, unknown>, field: string): string {
  const value = obj[field];
  if (typeof value !== 'string') throw new RecordFormatError(`record field ${field} is not a string`);
  return value;
}

function num(obj: Record<string, unknown>, field: string): number {
  const value = obj[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RecordFormatError(`record field ${field} is not a number`);
  }
  return value;
}

function bool(obj: Record<string, unknown>, field: string): boolean {
  const value = obj[field];
  if (typeof value !== 'boolean') throw new RecordFormatError(`record field ${field} is not a boolean`);
  return value;
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (!isObject(value)) throw new RecordFormatError(`${what} is not a map`);
  for (const name in value) {
    if (typeof value[name] !== 'string') throw new RecordFormatError(`${what} ${name} is not a string`);
  }
  // Freshly decoded and checked above: every value is a string.
  return value as Record<string, string>;
}

function parseInline(value: Record<string, unknown>, version: ObjectVersion): void {
  const inline = value.inline;
  if (inline !== undefined && inline !== null) {
    if (!(inline instanceof Uint8Array)) throw new RecordFormatError('inline data is not binary');
    version.inline = inline;
  }
}

/** v1 version → v2: one part (the whole object, file part.1), never a delete marker. */
function parseVersionV1(value: unknown): ObjectVersion {
  if (!isObject(value)) throw new RecordFormatError('object version is not a map');
  const metadata = stringMap(value.metadata, 'metadata');
  const sizeBytes = num(value, 'sizeBytes');
  const etag = str(value, 'etag');
  const version: ObjectVersion = {
    versionId: str(value, 'versionId'),
    isDeleteMarker: false,
    modTimeMs: num(value, 'modTimeMs'),
    sizeBytes,
    etag,
    metadata,
    dataDir: str(value, 'dataDir'),
    parts: [{ number: 1, sizeBytes, etag, metadata: {} }],
    k: num(value, 'k'),
    m: num(value, 'm'),
    driveIndex: num(value, 'driveIndex'),
    blockSizeBytes: num(value, 'blockSizeBytes'),
  };
  parseInline(value, version);
  return version;
}

function parsePart(value: unknown): VersionPart {
  if (!isObject(value)) throw new RecordFormatError('version part is not a map');
  return {
    number: num(value, 'number'),
    sizeBytes: num(value, 'sizeBytes'),
    etag: str(value, 'etag'),
    metadata: stringMap(value.metadata, 'part metadata'),
  };
}

function parseVersionV2(value: unknown): ObjectVersion {
  if (!isObject(value)) throw new RecordFormatError('object version is not a map');
  const parts = value.parts;
  if (!Array.isArray(parts)) throw new RecordFormatError('version parts is not a list');
  const version: ObjectVersion = {
    versionId: str(value, 'versionId'),
    isDeleteMarker: bool(value, 'isDeleteMarker'),
    modTimeMs: num(value, 'modTimeMs'),
    sizeBytes: num(value, 'sizeBytes'),
    etag: str(value, 'etag'),
    metadata: stringMap(value.metadata, 'metadata'),
    dataDir: str(value, 'dataDir'),
    parts: parts.map(parsePart),
    k: num(value, 'k'),
    m: num(value, 'm'),
    driveIndex: num(value, 'driveIndex'),
    blockSizeBytes: num(value, 'blockSizeBytes'),
  };
  const uploadId = value.uploadId;
  if (uploadId !== undefined && uploadId !== null) {
    if (typeof uploadId !== 'string') throw new RecordFormatError('uploadId is not a string');
    version.uploadId = uploadId;
  }
  parseInline(value, version);
  return version;
}

/**
 * Validates a decoded object record and upgrades it to the current version.
 * Throws RecordFormatError for an unknown version or a malformed record.
 */
export function parseObjectRecord(value: unknown): ObjectRecord {
  if (!isObject(value)) throw new RecordFormatError('object record is not a map');
  const versions = value.versions;
  if (!Array.isArray(versions) || versions.length === 0) {
    throw new RecordFormatError('object record has no versions');
  }
  // Migration chain: one case per known version, each upgrading to the current one.
  switch (value.v) {
    case 1:
      return { v: 2, versions: versions.map(parseVersionV1) };
    case 2:
      return { v: 2, versions: versions.map(parseVersionV2) };
    default:
      throw new RecordFormatError(`unknown object record version ${String(value.v)}`);
  }
}

const VERSIONING_STATES: ReadonlySet<string> = new Set(['Unversioned', 'Enabled', 'Suspended']);

/** Validates a decoded bucket record and upgrades it to the current version. */
export function parseBucketRecord(value: unknown): BucketRecord {
  if (!isObject(value)) throw new RecordFormatError('bucket record is not a map');
  switch (value.v) {
    case 1: {
      const createdAtMs = num(value, 'createdAtMs');
      return {
        v: 2,
        name: str(value, 'name'),
        createdAtMs,
        updatedMs: createdAtMs,
        location: str(value, 'location'),
        versioning: 'Unversioned',
        objectLockEnabled: false,
        configs: {},
      };
    }
    case 2: {
      const versioning = str(value, 'versioning');
      if (!VERSIONING_STATES.has(versioning))
        throw new RecordFormatError(`unknown versioning state ${versioning}`);
      return {
        v: 2,
        name: str(value, 'name'),
        createdAtMs: num(value, 'createdAtMs'),
        updatedMs: num(value, 'updatedMs'),
        location: str(value, 'location'),
        versioning: versioning as BucketVersioning,
        objectLockEnabled: bool(value, 'objectLockEnabled'),
        configs: stringMap(value.configs, 'bucket configs'),
      };
    }
    default:
      throw new RecordFormatError(`unknown bucket record version ${String(value.v)}`);
  }
}

export function parseUploadRecord(value: unknown): UploadRecord {
  if (!isObject(value)) throw new RecordFormatError('upload record is not a map');
  if (value.v !== 1) throw new RecordFormatError(`unknown upload record version ${String(value.v)}`);
  return {
    v: 1,
    bucket: str(value, 'bucket'),
    key: str(value, 'key'),
    uploadId: str(value, 'uploadId'),
    initiatedMs: num(value, 'initiatedMs'),
    metadata: stringMap(value.metadata, 'upload metadata'),
    dataDir: str(value, 'dataDir'),
    k: num(value, 'k'),
    m: num(value, 'm'),
  };
}

export function parsePartRecord(value: unknown): PartRecord {
  if (!isObject(value)) throw new RecordFormatError('part record is not a map');
  if (value.v !== 1) throw new RecordFormatError(`unknown part record version ${String(value.v)}`);
  return {
    v: 1,
    number: num(value, 'number'),
    sizeBytes: num(value, 'sizeBytes'),
    etag: str(value, 'etag'),
    metadata: stringMap(value.metadata, 'part metadata'),
    modTimeMs: num(value, 'modTimeMs'),
    k: num(value, 'k'),
    m: num(value, 'm'),
    driveIndex: num(value, 'driveIndex'),
    blockSizeBytes: num(value, 'blockSizeBytes'),
  };
}

function sameMetadata(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  let count = 0;
  for (const name in a) {
    if (a[name] !== b[name]) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

/**
 * True when two drives hold the same version (same fields as versionIdentity; no
 * allocation). Metadata is part of it: an in-place metadata update (tagging, retention)
 * keeps modTimeMs, and a drive that missed it must not count as agreeing.
 */
export function sameVersion(a: ObjectVersion, b: ObjectVersion): boolean {
  return (
    a.versionId === b.versionId &&
    a.modTimeMs === b.modTimeMs &&
    a.etag === b.etag &&
    a.dataDir === b.dataDir &&
    a.sizeBytes === b.sizeBytes &&
    a.isDeleteMarker === b.isDeleteMarker &&
    sameMetadata(a.metadata, b.metadata)
  );
}

/**
 * Identity of a version across drives: drives agree on a version when these match.
 * Per-drive fields (driveIndex, inline bytes) are deliberately left out.
 */
export function versionIdentity(version: ObjectVersion): string {
  const meta = Object.keys(version.metadata)
    .sort()
    .map((name) => `${name}\u0001${version.metadata[name]}`)
    .join('\u0002');
  return `${version.versionId}\u0000${version.modTimeMs}\u0000${version.etag}\u0000${version.dataDir}\u0000${version.sizeBytes}\u0000${version.isDeleteMarker ? 1 : 0}\u0000${meta}`;
}
