import { aclIsPublic, decodeAcl } from '../acl.js';
import { readBucketConfig } from '../bucket-config.js';
import { policyIsPublic } from '../policy-document.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';

/**
 * GetBucketPolicyStatus — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html
 * IsPublic when the stored policy is public (policy-document.ts) or, as radosgw and the
 * s3-tests suite expect, when the bucket's ACL grants anything to AllUsers or
 * AuthenticatedUsers. Deviation: AWS looks at the policy alone.
 */
export async function getBucketPolicyStatus(ctx: S3Context): Promise<S3Response> {
  const policy = await readBucketConfig(ctx, 'policy');
  const acl = decodeAcl(await readBucketConfig(ctx, 'acl'));
  return xmlResponse('PolicyStatus', {
    IsPublic: (policy !== undefined && policyIsPublic(policy)) || aclIsPublic(acl),
  });
}
