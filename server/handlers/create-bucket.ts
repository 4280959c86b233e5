import { isStorageError } from '../../storage/index.js';
import { aclFromHeaders, bucketAcl, bucketAclConfig, encodeAcl, PRIVATE_ACL } from '../acl.js';
import { isValidBucketName } from '../bucket-name.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';
import { toS3Error } from '../storage-errors.js';
import { childElement, parseXml } from '../xml.js';

/** A CreateBucketConfiguration document is tiny; anything bigger is not one. */
const MAX_CONFIGURATION_BYTES = 64 * 1024;

const US_EAST_1 = 'us-east-1';

/**
 * CreateBucket — https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
 *
 * LocationConstraint follows AWS's regional endpoints: it must name this server's
 * region, may be omitted only when the region is us-east-1, and 'us-east-1' itself is
 * never a valid constraint (InvalidLocationConstraint), 'EU' means eu-west-1.
 * Creating a bucket you already own answers 200 in us-east-1 (AWS's legacy behaviour,
 * which the s3-tests suite relies on) and BucketAlreadyOwnedByYou in every other region.
 * Re-creating it with a different ACL than it has is BucketAlreadyExists (as radosgw and
 * the s3-tests suite expect): a create never silently changes who can read a bucket.
 * x-amz-bucket-object-lock-enabled: true creates the bucket with object lock (and
 * versioning Enabled). The ACL is stored right after the bucket is made: a crash in
 * between leaves the bucket private, the safe side.
 */
export async function createBucket(ctx: S3Context): Promise<S3Response> {
  if (!isValidBucketName(ctx.bucket)) {
    throw new S3Error('InvalidBucketName', { extra: { BucketName: ctx.bucket } });
  }
  const acl = aclFromHeaders(ctx.headers) ?? PRIVATE_ACL;
  const objectLockEnabled =
    String(ctx.headers['x-amz-bucket-object-lock-enabled'] ?? '').toLowerCase() === 'true';
  const body = await readSmallBody(ctx, MAX_CONFIGURATION_BYTES);
  const location = checkLocation(parseLocationConstraint(body.bytes), ctx.region);
  try {
    await ctx.objectLayer.makeBucket(ctx.bucket, { location, objectLockEnabled });
    const config = bucketAclConfig(acl);
    if (config !== undefined) await ctx.objectLayer.putBucketConfig(ctx.bucket, 'acl', config);
  } catch (err) {
    // Single owner: an existing bucket is always the caller's own.
    if (!(isStorageError(err, 'BucketExists') && ctx.region === US_EAST_1)) {
      throw toS3Error(err, { bucket: ctx.bucket });
    }
    if (encodeAcl(await existingAcl(ctx)) !== encodeAcl(acl)) {
      throw new S3Error('BucketAlreadyExists', { extra: { BucketName: ctx.bucket } });
    }
  }
  return { status: 200, headers: { location: `/${ctx.bucket}` } };
}

async function existingAcl(ctx: S3Context) {
  try {
    return await bucketAcl(ctx.objectLayer, ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
}

/** The LocationConstraint of a CreateBucketConfiguration body; undefined when absent or empty. */
function parseLocationConstraint(bytes: Buffer): string | undefined {
  if (bytes.toString('utf8').trim() === '') return undefined;
  const root = parseXml(bytes);
  if (root.name !== 'CreateBucketConfiguration') throw new S3Error('MalformedXML');
  const value = childElement(root, 'LocationConstraint')?.text.trim();
  return value === '' ? undefined : value;
}

const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Returns the location to store ('' for us-east-1), or throws like AWS. */
export function checkLocation(constraint: string | undefined, region: string): string {
  if (constraint === undefined) {
    if (region === US_EAST_1) return '';
    throw new S3Error('IllegalLocationConstraintException', {
      message:
        'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
    });
  }
  const named = constraint === 'EU' ? 'eu-west-1' : constraint;
  if (named === 'us-east-1' || !REGION_NAME.test(named)) {
    throw new S3Error('InvalidLocationConstraint', { extra: { LocationConstraint: constraint } });
  }
  if (named !== region) {
    throw new S3Error('IllegalLocationConstraintException', {
      message: `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    });
  }
  return named;
}
