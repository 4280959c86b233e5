import { isStorageError, type StorageErrorCode } from '../storage/index.js';
import { S3Error } from './s3-errors.js';

/**
 * The one mapping from storage failures to S3 errors. Exhaustive over
 * StorageErrorCode: adding a code to storage/ fails the typecheck here.
 * Anything that is neither an S3Error nor a StorageError is returned unchanged
 * (the caller turns it into a logged 500 InternalError).
 */
export function toS3Error(
  err: unknown,
  ctx: { bucket?: string | undefined; key?: string | undefined } = {},
): unknown {
  if (!isStorageError(err)) return err;
  const code = mapCode(err.code, ctx);
  const extra: Record<string, string> = {};
  if (code === 'NoSuchBucket' && ctx.bucket !== undefined) extra.BucketName = ctx.bucket;
  if (code === 'NoSuchKey' && ctx.key !== undefined) extra.Key = ctx.key;
  return new S3Error(code, { cause: err, extra });
}

function mapCode(code: StorageErrorCode, ctx: { key?: string | undefined }) {
  switch (code) {
    case 'NoSuchBucket':
      return 'NoSuchBucket' as const;
    case 'NoSuchKey':
      return 'NoSuchKey' as const;
    case 'BucketNotEmpty':
      return 'BucketNotEmpty' as const;
    case 'BucketExists':
      return 'BucketAlreadyOwnedByYou' as const;
    case 'InsufficientReadQuorum':
    case 'InsufficientWriteQuorum':
      // 503 makes every SDK retry with backoff.
      return 'ServiceUnavailable' as const;
    case 'IncompleteBody':
      return 'IncompleteBody' as const;
    case 'InvalidName':
      return ctx.key !== undefined ? ('KeyTooLongError' as const) : ('InvalidBucketName' as const);
    case 'NoSuchVersion':
      return 'NoSuchVersion' as const;
    case 'VersionIsDeleteMarker':
      // GET/HEAD of a delete marker by version id: 405, as AWS.
      return 'MethodNotAllowed' as const;
    case 'NoSuchUpload':
      return 'NoSuchUpload' as const;
    case 'InvalidPart':
      return 'InvalidPart' as const;
    case 'InvalidPartOrder':
      return 'InvalidPartOrder' as const;
    case 'TooManyVersions':
      // AWS has no such limit, so no AWS code fits; MinIO has the same per-key limit
      // and answers 400 MaxVersionsExceeded: clients that know MinIO recognize it, and
      // a 4xx is not retried (only deleting versions helps).
      return 'MaxVersionsExceeded' as const;
  }
}
