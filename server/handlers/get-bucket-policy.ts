import { readBucketConfig } from '../bucket-config.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';

/**
 * GetBucketPolicy — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html
 * The JSON document as it was put; 404 NoSuchBucketPolicy when none.
 */
export async function getBucketPolicy(ctx: S3Context): Promise<S3Response> {
  const policy = await readBucketConfig(ctx, 'policy');
  if (policy === undefined) throw new S3Error('NoSuchBucketPolicy', { extra: { BucketName: ctx.bucket } });
  return { status: 200, headers: { 'content-type': 'application/json' }, body: policy };
}
