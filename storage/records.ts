/**
 * Persisted metadata records: what every drive's LMDB holds per bucket and per object.
 *
 * Records are stored as plain MessagePack maps (see LocalDrive's RECORD_ENCODING).
 * Every record carries `v`, its format version; readers accept every version they know
 * and upgrade it here, in one place (a migration chain), so the rest of storage/ only
 * ever sees the current shape. A golden fixture test (records.test.ts, fixtures/)
 * pins the bytes of version 1.
 */

/** Current record format version. Do not change: on-disk format. */
export const RECORD_FORMAT_VERSION = 1;

/** versionId of the single version kept while versioning is off (S3's literal 'null'). */
export const NULL_VERSION_ID = 'null';

/** One version of an object, as held by one drive. */
export interface ObjectVersion {
  versionId: string;
  modTimeMs: number;
  sizeBytes: number;
  etag: string;
  metadata: Record<string, string>;
  /** UUID naming the folder holding this version's shard file (unused when inline). */
  dataDir: string;
  /** Data shards. */
  k: number;
  /** Parity shards. */
  m: number;
  /** Index of the shard stream this drive holds (0..k+m-1); data shards first. */
  driveIndex: number;
  blockSizeBytes: number;
  /** This drive's whole shard stream, when the object is stored inline (no shard file). */
  inline?: Uint8Array;
}

/** All versions of one key on one drive; versions[0] is the current one. */
export interface ObjectRecord {
  v: 1;
  versions: ObjectVersion[];
}

export interface BucketRecord {
  v: 1;
  name: string;
  createdAtMs: number;
  /** LocationConstraint ('' = default region). */
  location: string;
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

function parseVersion(value: unknown): ObjectVersion {
  if (!isObject(value)) throw new RecordFormatError('object version is not a map');
  const metadataRaw = value.metadata;
  if (!isObject(metadataRaw)) throw new RecordFormatError('object version metadata is not a map');
  for (const name in metadataRaw) {
    if (typeof metadataRaw[name] !== 'string')
      throw new RecordFormatError(`metadata ${name} is not a string`);
  }
  // Freshly decoded and checked above: every value is a string.
  const metadata = metadataRaw as Record<string, string>;
  const version: ObjectVersion = {
    versionId: str(value, 'versionId'),
    modTimeMs: num(value, 'modTimeMs'),
    sizeBytes: num(value, 'sizeBytes'),
    etag: str(value, 'etag'),
    metadata,
    dataDir: str(value, 'dataDir'),
    k: num(value, 'k'),
    m: num(value, 'm'),
    driveIndex: num(value, 'driveIndex'),
    blockSizeBytes: num(value, 'blockSizeBytes'),
  };
  const inline = value.inline;
  if (inline !== undefined && inline !== null) {
    if (!(inline instanceof Uint8Array)) throw new RecordFormatError('inline data is not binary');
    version.inline = inline;
  }
  return version;
}

/**
 * Validates a decoded object record and upgrades it to the current version.
 * Throws RecordFormatError for an unknown version or a malformed record.
 */
export function parseObjectRecord(value: unknown): ObjectRecord {
  if (!isObject(value)) throw new RecordFormatError('object record is not a map');
  // Migration chain: one case per known version, each upgrading to the next.
  switch (value.v) {
    case 1: {
      const versions = value.versions;
      if (!Array.isArray(versions) || versions.length === 0) {
        throw new RecordFormatError('object record has no versions');
      }
      return { v: 1, versions: versions.map(parseVersion) };
    }
    default:
      throw new RecordFormatError(`unknown object record version ${String(value.v)}`);
  }
}

/** Validates a decoded bucket record and upgrades it to the current version. */
export function parseBucketRecord(value: unknown): BucketRecord {
  if (!isObject(value)) throw new RecordFormatError('bucket record is not a map');
  switch (value.v) {
    case 1:
      return {
        v: 1,
        name: str(value, 'name'),
        createdAtMs: num(value, 'createdAtMs'),
        location: str(value, 'location'),
      };
    default:
      throw new RecordFormatError(`unknown bucket record version ${String(value.v)}`);
  }
}

/** True when two drives hold the same version (same fields as versionIdentity; no allocation). */
export function sameVersion(a: ObjectVersion, b: ObjectVersion): boolean {
  return (
    a.versionId === b.versionId &&
    a.modTimeMs === b.modTimeMs &&
    a.etag === b.etag &&
    a.dataDir === b.dataDir &&
    a.sizeBytes === b.sizeBytes
  );
}

/**
 * Identity of a version across drives: drives agree on a version when these match.
 * Per-drive fields (driveIndex, inline bytes) are deliberately left out.
 */
export function versionIdentity(version: ObjectVersion): string {
  return `${version.versionId}\u0000${version.modTimeMs}\u0000${version.etag}\u0000${version.dataDir}\u0000${version.sizeBytes}`;
}
