import { writeBucketConfig } from '../bucket-config.js';
import { parseLifecycleConfiguration } from '../lifecycle-document.js';
import { requireIntegrityHeader } from '../request-integrity.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readSmallBody } from '../small-body.js';

/**
 * PutBucketLifecycleConfiguration — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
 * Validated with AWS's rules (lifecycle-document.ts) and stored; rules without an ID
 * get one. Content-MD5 or a checksum is required, as AWS. Deviation: rules are not
 * executed until the tiering issue's lifecycle worker exists, and no response claims
 * an expiration (no x-amz-expiration header).
 */
export async function putBucketLifecycleConfiguration(ctx: S3Context): Promise<S3Response> {
  requireIntegrityHeader(ctx.headers);
  const { bytes } = await readSmallBody(ctx);
  await writeBucketConfig(ctx, 'lifecycle', parseLifecycleConfiguration(bytes));
  return { status: 200 };
}
