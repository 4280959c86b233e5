import { isStorageError, type ObjectLayer } from '../storage/index.js';
import { type Acl, type AclPermission, aclGrants, bucketAcl, objectAcl } from './acl.js';
import type { S3Operation } from './resolve-operation.js';
import type { S3Context } from './s3-context.js';
import { S3Error } from './s3-errors.js';
import { toS3Error } from './storage-errors.js';
import { parseVersionId } from './versioning.js';

/**
 * Authorization of unsigned requests: what the AllUsers grants of bucket and object
 * ACLs (public-read, public-read-write, …) open, following S3's mapping of ACL
 * permissions to operations; everything else is AccessDenied. Runs before the
 * handler, so nothing is read or stored for a refused request beyond the ACLs it
 * checks. Signed requests do not come here: until IAM exists every user has the
 * owner's rights.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
 *
 * Deliberately narrower than S3: anonymous CopyObject/UploadPartCopy (which would also
 * need READ on the source), DeleteObjects and deleting a named version (S3 reserves
 * s3:DeleteObjectVersion to the owner) are refused.
 */

type Need =
  | { on: 'bucket'; permission: AclPermission }
  | { on: 'object'; permission: AclPermission }
  | { on: 'nothing' };

function need(op: S3Operation, query: URLSearchParams): Need {
  switch (op) {
    case 'ListObjects':
    case 'ListObjectsV2':
    case 'ListObjectVersions':
    case 'ListMultipartUploads':
    case 'HeadBucket':
      return { on: 'bucket', permission: 'READ' };
    case 'DeleteObject':
      return query.has('versionId') ? { on: 'nothing' } : { on: 'bucket', permission: 'WRITE' };
    case 'PutObject':
    case 'PostObject':
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'CompleteMultipartUpload':
    case 'AbortMultipartUpload':
    case 'ListParts':
      return { on: 'bucket', permission: 'WRITE' };
    case 'GetBucketAcl':
      return { on: 'bucket', permission: 'READ_ACP' };
    case 'PutBucketAcl':
      return { on: 'bucket', permission: 'WRITE_ACP' };
    case 'GetObject':
    case 'HeadObject':
      return { on: 'object', permission: 'READ' };
    case 'GetObjectAcl':
      return { on: 'object', permission: 'READ_ACP' };
    case 'PutObjectAcl':
      return { on: 'object', permission: 'WRITE_ACP' };
    default:
      return { on: 'nothing' };
  }
}

/** Storage errors meaning "no such object or version" (a delete marker included). */
const MISSING = ['NoSuchKey', 'NoSuchVersion', 'VersionIsDeleteMarker'] as const;

function denied(reason: string): S3Error {
  return new S3Error('AccessDenied', { cause: new Error(`anonymous ${reason}`) });
}

/**
 * Throws AccessDenied unless the ACLs let an unsigned request perform `ctx.op`, or the
 * storage error of reading them (NoSuchBucket: S3 answers 404 for a missing bucket
 * whoever asks).
 */
export async function authorizeAnonymous(ctx: S3Context): Promise<void> {
  const what = need(ctx.op, ctx.query);
  if (what.on === 'nothing' || ctx.bucket === '') throw denied(ctx.op);
  const bucket = await readBucketAcl(ctx.objectLayer, ctx.bucket);
  if (what.on === 'bucket') {
    if (!aclGrants(bucket, 'AllUsers', what.permission)) throw denied(`${ctx.op} on bucket`);
    return;
  }
  const versionId = parseVersionId(ctx.query.get('versionId'));
  let metadata: Record<string, string>;
  try {
    const info = await ctx.objectLayer.getObjectInfo(
      ctx.bucket,
      ctx.key,
      versionId === undefined ? {} : { versionId },
    );
    metadata = info.metadata;
  } catch (err) {
    // A missing object: those who may list the bucket learn it is missing (404), the
    // others get AccessDenied, as S3.
    if (MISSING.some((code) => isStorageError(err, code))) {
      if (aclGrants(bucket, 'AllUsers', 'READ')) return;
      throw denied(`${ctx.op} of a missing object`);
    }
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  if (!aclGrants(objectAcl(metadata), 'AllUsers', what.permission)) throw denied(`${ctx.op} on object`);
}

/** Whether unsigned uploads (POST forms without a policy) may write into `bucket`. */
export async function anonymousMayWrite(objectLayer: ObjectLayer, bucket: string): Promise<boolean> {
  return aclGrants(await readBucketAcl(objectLayer, bucket), 'AllUsers', 'WRITE');
}

async function readBucketAcl(objectLayer: ObjectLayer, bucket: string): Promise<Acl> {
  try {
    return await bucketAcl(objectLayer, bucket);
  } catch (err) {
    throw toS3Error(err, { bucket });
  }
}
