import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { toS3Error } from '../storage-errors.js';

/**
 * GetBucketTagging — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html
 * 404 NoSuchTagSet when the bucket has no tags.
 */
export async function getBucketTagging(ctx: S3Context): Promise<S3Response> {
  let stored: string | undefined;
  try {
    stored = await ctx.objectLayer.getBucketConfig(ctx.bucket, 'tagging');
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  if (stored === undefined) throw new S3Error('NoSuchTagSet', { extra: { BucketName: ctx.bucket } });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: stored };
}
