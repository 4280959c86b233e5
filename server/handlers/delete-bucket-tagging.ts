import type { S3Context, S3Response } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * DeleteBucketTagging — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketTagging.html
 * 204 whether or not the bucket had tags.
 */
export async function deleteBucketTagging(ctx: S3Context): Promise<S3Response> {
  try {
    await ctx.objectLayer.putBucketConfig(ctx.bucket, 'tagging', undefined);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return { status: 204 };
}
