import { writeBucketConfig } from '../bucket-config.js';
import { validatePolicy } from '../policy-document.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readSmallBody } from '../small-body.js';

/** Read limit for the body; the policy's own 20 KiB limit is MalformedPolicy. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutBucketPolicy — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
 * Validated (policy-document.ts) and stored verbatim. Deviation: the policy is not
 * enforced until IAM policy evaluation exists; requests are authorized as before.
 */
export async function putBucketPolicy(ctx: S3Context): Promise<S3Response> {
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  const text = bytes.toString('utf8');
  validatePolicy(text);
  await writeBucketConfig(ctx, 'policy', text);
  return { status: 204 };
}
