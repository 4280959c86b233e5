import type { BucketInfo } from '../../storage/index.js';
import { writeBucketConfig } from '../bucket-config.js';
import { parseObjectLockConfiguration, serializeObjectLockConfiguration } from '../object-lock.js';
import { requireIntegrityHeader } from '../request-integrity.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';
import { toS3Error } from '../storage-errors.js';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutObjectLockConfiguration — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html
 *
 * Sets the default retention (Mode with Days or Years) of a bucket with object lock.
 * A bucket created without lock can get one while its versioning is Enabled (as AWS
 * allows since 2023); otherwise 409 InvalidBucketState. Content-MD5 or a checksum is
 * required. Deviation: x-amz-bucket-object-lock-token (a replication feature) is ignored.
 */
export async function putObjectLockConfiguration(ctx: S3Context): Promise<S3Response> {
  requireIntegrityHeader(ctx.headers);
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  const config = parseObjectLockConfiguration(bytes);
  let info: BucketInfo;
  try {
    info = await ctx.objectLayer.getBucketInfo(ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  if (!info.objectLockEnabled && info.versioning !== 'Enabled') {
    throw new S3Error('InvalidBucketState', {
      message: "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
    });
  }
  await writeBucketConfig(ctx, 'object-lock', serializeObjectLockConfiguration(config));
  return { status: 200 };
}
