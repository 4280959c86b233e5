import { writeBucketConfig } from '../bucket-config.js';
import type { S3Context, S3Response } from '../s3-context.js';

/** DeleteBucketLifecycle — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketLifecycle.html */
export async function deleteBucketLifecycle(ctx: S3Context): Promise<S3Response> {
  await writeBucketConfig(ctx, 'lifecycle', undefined);
  return { status: 204 };
}
