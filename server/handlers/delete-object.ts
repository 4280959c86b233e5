import type { S3Context, S3Response } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';
import { checkVersionId } from './version-id.js';

/**
 * DeleteObject — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 * Deviation until versioning (issue 3): only versionId=null is accepted.
 */
export async function deleteObject(ctx: S3Context): Promise<S3Response> {
  checkVersionId(ctx.query.get('versionId'));
  try {
    await ctx.objectLayer.deleteObject(ctx.bucket, ctx.key);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  return { status: 204 };
}
