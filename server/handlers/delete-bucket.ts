import type { S3Context, S3Response } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/** DeleteBucket — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html */
export async function deleteBucket(ctx: S3Context): Promise<S3Response> {
  try {
    await ctx.objectLayer.deleteBucket(ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return { status: 204 };
}
