import { writeBucketConfig } from '../bucket-config.js';
import type { S3Context, S3Response } from '../s3-context.js';

/** DeleteBucketEncryption — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketEncryption.html */
export async function deleteBucketEncryption(ctx: S3Context): Promise<S3Response> {
  await writeBucketConfig(ctx, 'encryption', undefined);
  await writeBucketConfig(ctx, 'sse-aead', undefined);
  return { status: 204 };
}
