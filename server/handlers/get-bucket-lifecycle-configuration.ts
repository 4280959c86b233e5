import { readBucketConfig } from '../bucket-config.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';

/**
 * GetBucketLifecycleConfiguration — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html
 * Also answers the deprecated GetBucketLifecycle (same wire form). 404
 * NoSuchLifecycleConfiguration when none was put.
 */
export async function getBucketLifecycleConfiguration(ctx: S3Context): Promise<S3Response> {
  const doc = await readBucketConfig(ctx, 'lifecycle');
  if (doc === undefined)
    throw new S3Error('NoSuchLifecycleConfiguration', { extra: { BucketName: ctx.bucket } });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc };
}
