import {
  decodeObjectEncryption,
  describeSealedObjectKey,
  isCryptoError,
  type Kms,
  rewrapObjectKey,
  SSE_METADATA,
} from '../crypto/index.js';
import { isStorageError, type ObjectInfo, type ObjectLayer, StorageError } from '../storage/index.js';
import { isValidBucketName } from './bucket-name.js';

/**
 * The re-wrap after a KMS key rotation (`POST /_strata/admin/v1/kms/rewrap`): every
 * SSE-S3 and SSE-KMS object version gets its sealed object key re-sealed under the newest
 * version of its KMS key (crypto's rewrapObjectKey: the KMS re-seals the data key inside;
 * the object key and the data stay as they are). Only the version's metadata entry
 * `x-strata-sse-sealed-key` is rewritten, with lastModified unchanged. SSE-C objects have
 * no KMS key and are counted, not touched.
 *
 * Open multipart uploads also carry a sealed key (in the upload's metadata), but the
 * ObjectLayer has no call that updates an upload's metadata: they are counted in
 * `uploadsOnOldKeyVersion` and keep opening with the old key version (all versions stay);
 * the object they complete into is re-wrapped by a later run.
 */
export interface RewrapReport {
  bucketsScanned: number;
  /** Object versions looked at (delete markers are not counted). */
  versionsScanned: number;
  /** Versions whose sealed key now names the newest key version. */
  rewrapped: number;
  /** SSE-S3/SSE-KMS versions already under the newest key version. */
  unchanged: number;
  /** Versions without server-side encryption. */
  notEncrypted: number;
  /** SSE-C versions (sealed under the customer's key; nothing to re-wrap). */
  skippedSseC: number;
  /** Versions overwritten or deleted while the re-wrap ran (what replaced them is sealed anew). */
  skippedChanged: number;
  /** Versions whose key could not be re-wrapped; see `failures`. */
  failed: number;
  /** Open multipart uploads whose sealed key is under an older key version (not re-wrapped, see above). */
  uploadsOnOldKeyVersion: number;
  /** The first MAX_REPORTED_FAILURES failures. */
  failures: RewrapFailure[];
}

export interface RewrapFailure {
  bucket: string;
  key: string;
  versionId: string;
  /** A CryptoError or StorageError code, else 'InternalError'. */
  code: string;
}

/** Failures listed in the report; the count covers all of them. */
const MAX_REPORTED_FAILURES = 20;
/** Versions (and uploads) per listing page. */
const PAGE_SIZE = 1000;
/**
 * Versions re-wrapped at once: each is a KMS call and a metadata write at write quorum
 * (an fsync per drive), so a few in flight keep the drives busy without crowding out the
 * S3 traffic served at the same time.
 */
const REWRAP_CONCURRENCY = 4;

/** Thrown from the update callback when the version's sealed key is no longer the one re-wrapped. */
class SealedKeyChanged extends Error {
  constructor() {
    super('the sealed key changed during re-wrap');
    this.name = 'SealedKeyChanged';
  }
}

/**
 * Re-wraps every bucket's object versions, or `bucket`'s. Buckets S3 cannot address (the
 * KMS's own `strata_system`) are left out. Listing errors reject (e.g. lost read quorum);
 * per-version errors are counted in the report.
 */
export async function rewrapObjectKeys(
  objectLayer: ObjectLayer,
  kms: Kms,
  opts: { bucket?: string | undefined; pageSize?: number } = {},
): Promise<RewrapReport> {
  const pageSize = opts.pageSize ?? PAGE_SIZE;
  let buckets: string[];
  if (opts.bucket === undefined) {
    buckets = (await objectLayer.listBuckets()).map((b) => b.name).filter((name) => isValidBucketName(name));
  } else {
    // As for every S3 request, a name S3 cannot address is no bucket.
    if (!isValidBucketName(opts.bucket)) throw new StorageError('NoSuchBucket', `no bucket ${opts.bucket}`);
    buckets = [(await objectLayer.getBucketInfo(opts.bucket)).name];
  }
  const report: RewrapReport = {
    bucketsScanned: 0,
    versionsScanned: 0,
    rewrapped: 0,
    unchanged: 0,
    notEncrypted: 0,
    skippedSseC: 0,
    skippedChanged: 0,
    failed: 0,
    uploadsOnOldKeyVersion: 0,
    failures: [],
  };
  for (const bucket of buckets) {
    await rewrapBucket(objectLayer, kms, bucket, pageSize, report);
    report.uploadsOnOldKeyVersion += await countUploadsOnOldKeys(objectLayer, kms, bucket, pageSize);
    report.bucketsScanned++;
  }
  return report;
}

async function rewrapBucket(
  objectLayer: ObjectLayer,
  kms: Kms,
  bucket: string,
  pageSize: number,
  report: RewrapReport,
): Promise<void> {
  let keyMarker = '';
  let versionIdMarker = '';
  for (;;) {
    const page = await objectLayer.listObjectVersions(bucket, {
      prefix: '',
      delimiter: '',
      keyMarker,
      versionIdMarker,
      maxKeys: pageSize,
    });
    const versions = page.versions.filter((v) => !v.isDeleteMarker);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < versions.length; i = next++) {
        const version = versions[i];
        if (version !== undefined) await rewrapVersion(objectLayer, kms, version, report);
      }
    };
    await Promise.all(Array.from({ length: REWRAP_CONCURRENCY }, worker));
    if (!page.isTruncated || page.nextKeyMarker === undefined) return;
    keyMarker = page.nextKeyMarker;
    versionIdMarker = page.nextVersionIdMarker ?? '';
  }
}

async function rewrapVersion(
  objectLayer: ObjectLayer,
  kms: Kms,
  version: ObjectInfo,
  report: RewrapReport,
): Promise<void> {
  report.versionsScanned++;
  const { bucket, key, versionId } = version;
  const storedSealed = version.metadata[SSE_METADATA.sealedKey];
  if (storedSealed === undefined) {
    report.notEncrypted++;
    return;
  }
  try {
    const encryption = decodeObjectEncryption(version.metadata);
    if (encryption === undefined) {
      report.notEncrypted++;
      return;
    }
    if (describeSealedObjectKey(encryption.sealedKey).mode === 'SSE-C') {
      report.skippedSseC++;
      return;
    }
    const result = await rewrapObjectKey(encryption.sealedKey, { bucket, key }, kms);
    if (!result.changed) {
      report.unchanged++;
      return;
    }
    const rewrapped = Buffer.from(result.sealed).toString('base64');
    await objectLayer.updateObjectMetadata(
      bucket,
      key,
      (current) => {
        // Under the key lock: store the new key only over the one it was made from.
        if (current.metadata[SSE_METADATA.sealedKey] !== storedSealed) throw new SealedKeyChanged();
        return { ...current.metadata, [SSE_METADATA.sealedKey]: rewrapped };
      },
      { versionId, touch: false },
    );
    report.rewrapped++;
  } catch (err) {
    if (
      err instanceof SealedKeyChanged ||
      isStorageError(err, 'NoSuchKey') ||
      isStorageError(err, 'NoSuchVersion') ||
      isStorageError(err, 'VersionIsDeleteMarker')
    ) {
      report.skippedChanged++;
      return;
    }
    report.failed++;
    if (report.failures.length < MAX_REPORTED_FAILURES) {
      const code = isCryptoError(err) || isStorageError(err) ? err.code : 'InternalError';
      report.failures.push({ bucket, key, versionId, code });
    }
  }
}

/** Open uploads of `bucket` with an SSE-S3/SSE-KMS sealed key that a re-wrap would change. */
async function countUploadsOnOldKeys(
  objectLayer: ObjectLayer,
  kms: Kms,
  bucket: string,
  pageSize: number,
): Promise<number> {
  let count = 0;
  let keyMarker = '';
  let uploadIdMarker = '';
  for (;;) {
    const page = await objectLayer.listMultipartUploads(bucket, {
      prefix: '',
      delimiter: '',
      keyMarker,
      uploadIdMarker,
      maxUploads: pageSize,
    });
    for (const upload of page.uploads) {
      try {
        const encryption = decodeObjectEncryption(upload.metadata);
        if (encryption === undefined) continue;
        const target = { bucket, key: upload.key };
        if ((await rewrapObjectKey(encryption.sealedKey, target, kms)).changed) count++;
      } catch {
        // Such an upload fails at CompleteMultipartUpload on its own; the re-wrap has nothing to add.
      }
    }
    if (!page.isTruncated || page.nextKeyMarker === undefined) return count;
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker ?? '';
  }
}
