import type { S3Context, S3Response } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * DeleteBucketCors — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketCors.html
 * Idempotent: deleting a configuration that does not exist succeeds (204), as on AWS.
 */
export async function deleteBucketCors(ctx: S3Context): Promise<S3Response> {
  try {
    await ctx.objectLayer.putBucketConfig(ctx.bucket, 'cors', undefined);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return { status: 204 };
}
