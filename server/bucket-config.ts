import type { BucketConfigName } from '../storage/index.js';
import type { S3Context } from './s3-context.js';
import { toS3Error } from './storage-errors.js';

/** Reads one bucket configuration document (undefined when unset); NoSuchBucket mapped. */
export async function readBucketConfig(
  ctx: Pick<S3Context, 'objectLayer' | 'bucket'>,
  name: BucketConfigName,
): Promise<string | undefined> {
  try {
    return await ctx.objectLayer.getBucketConfig(ctx.bucket, name);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
}

/** Stores (or with undefined removes) one bucket configuration document. */
export async function writeBucketConfig(
  ctx: S3Context,
  name: BucketConfigName,
  value: string | undefined,
): Promise<void> {
  try {
    await ctx.objectLayer.putBucketConfig(ctx.bucket, name, value);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
}
