import { type Acl, aclFromBody, aclFromHeaders, bucketAclConfig } from '../acl.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';
import { toS3Error } from '../storage-errors.js';

/** An AccessControlPolicy of 100 grants is ~30 KiB. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutBucketAcl — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
 * Replaces the bucket's ACL with a canned ACL, x-amz-grant-* headers or an
 * AccessControlPolicy body (acl.ts: grants to the owner and S3's groups only).
 */
export async function putBucketAcl(ctx: S3Context): Promise<S3Response> {
  const acl = await requestedAcl(ctx);
  try {
    await ctx.objectLayer.putBucketConfig(ctx.bucket, 'acl', bucketAclConfig(acl));
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return { status: 200 };
}

/** Shared with PutObjectAcl: headers or a body, never both, one of them required. */
export async function requestedAcl(ctx: S3Context): Promise<Acl> {
  const fromHeaders = aclFromHeaders(ctx.headers);
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  const hasBody = bytes.toString('utf8').trim() !== '';
  if (fromHeaders !== undefined && hasBody) {
    throw new S3Error('InvalidRequest', { message: 'This request does not support content' });
  }
  if (fromHeaders !== undefined) return fromHeaders;
  if (!hasBody) throw new S3Error('MissingSecurityHeader');
  return aclFromBody(bytes);
}
