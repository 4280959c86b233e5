import type { DeleteObjectResult } from '../../storage/index.js';
import { bypassGovernance, checkVersionDeletable } from '../object-lock.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';
import { parseVersionId } from '../versioning.js';

/**
 * DeleteObject — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 *
 * Without versionId: removes the object (unversioned bucket) or adds a delete marker
 * (versioned; always allowed, even under object lock). With versionId: removes that
 * version or marker, unless object lock protects it (legal hold, COMPLIANCE, or
 * GOVERNANCE without x-amz-bypass-governance-retention): 403 AccessDenied, checked
 * by storage under the key lock. x-amz-version-id / x-amz-delete-marker describe
 * what was removed or created.
 */
export async function deleteObject(ctx: S3Context): Promise<S3Response> {
  const versionId = parseVersionId(ctx.query.get('versionId'));
  const bypass = bypassGovernance(ctx.headers);
  let result: DeleteObjectResult;
  try {
    result = await ctx.objectLayer.deleteObject(
      ctx.bucket,
      ctx.key,
      versionId === undefined
        ? {}
        : { versionId, check: (target) => checkVersionDeletable(target, bypass, Date.now()) },
    );
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  return { status: 204, headers: deleteResultHeaders(result) };
}

export function deleteResultHeaders(result: DeleteObjectResult): Record<string, string> {
  const headers: Record<string, string> = {};
  if (result.versionId !== undefined) headers['x-amz-version-id'] = result.versionId;
  if (result.isDeleteMarker) headers['x-amz-delete-marker'] = 'true';
  return headers;
}
