import { checkAclBody, checkAclHeaders } from '../acl.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';
import { toS3Error } from '../storage-errors.js';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutBucketAcl — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
 * Accepts only what the bucket already has: x-amz-acl: private, or a body granting
 * the owner FULL_CONTROL alone. Deviation: anything else is NotImplemented.
 */
export async function putBucketAcl(ctx: S3Context): Promise<S3Response> {
  await checkPutAcl(ctx);
  try {
    await ctx.objectLayer.getBucketInfo(ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return { status: 200 };
}

/** Shared with PutObjectAcl: a canned header or a body, never both; only `private`. */
export async function checkPutAcl(ctx: S3Context): Promise<void> {
  const canned = checkAclHeaders(ctx.headers);
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  const hasBody = bytes.toString('utf8').trim() !== '';
  if (canned && hasBody) {
    throw new S3Error('InvalidRequest', { message: 'This request does not support content' });
  }
  if (!canned && !hasBody) throw new S3Error('MissingSecurityHeader');
  if (hasBody) checkAclBody(bytes);
}
