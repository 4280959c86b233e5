import { aclPolicyBody, bucketAcl } from '../acl.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * GetBucketAcl — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
 * The owner and the bucket's grants (acl.ts).
 */
export async function getBucketAcl(ctx: S3Context): Promise<S3Response> {
  try {
    return xmlResponse('AccessControlPolicy', aclPolicyBody(await bucketAcl(ctx.objectLayer, ctx.bucket)));
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
}
