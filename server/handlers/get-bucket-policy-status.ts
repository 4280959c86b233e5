import { readBucketConfig } from '../bucket-config.js';
import { policyIsPublic } from '../policy-document.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';

/**
 * GetBucketPolicyStatus — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html
 * IsPublic computed from the stored policy (policy-document.ts); false without one.
 * ACLs never make a bucket public here (only `private` is accepted).
 */
export async function getBucketPolicyStatus(ctx: S3Context): Promise<S3Response> {
  const policy = await readBucketConfig(ctx, 'policy');
  return xmlResponse('PolicyStatus', { IsPublic: policy !== undefined && policyIsPublic(policy) });
}
