import type { S3Context, S3Response } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/** HeadBucket — https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html */
export async function headBucket(ctx: S3Context): Promise<S3Response> {
  try {
    const info = await ctx.objectLayer.getBucketInfo(ctx.bucket);
    return {
      status: 200,
      headers: { 'x-amz-bucket-region': info.location === '' ? ctx.region : info.location },
    };
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
}
