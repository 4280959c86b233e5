import { writeBucketConfig } from '../bucket-config.js';
import type { S3Context, S3Response } from '../s3-context.js';

/** DeleteBucketPolicy — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html */
export async function deleteBucketPolicy(ctx: S3Context): Promise<S3Response> {
  await writeBucketConfig(ctx, 'policy', undefined);
  return { status: 204 };
}
