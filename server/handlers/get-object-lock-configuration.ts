import { bucketLockState, objectLockConfigurationBody } from '../object-lock.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';

/**
 * GetObjectLockConfiguration — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html
 * ObjectLockEnabled plus the default retention if one was set; 404
 * ObjectLockConfigurationNotFoundError on a bucket without object lock.
 */
export async function getObjectLockConfiguration(ctx: S3Context): Promise<S3Response> {
  const state = await bucketLockState(ctx.objectLayer, ctx.bucket);
  if (!state.enabled) {
    throw new S3Error('ObjectLockConfigurationNotFoundError', { extra: { BucketName: ctx.bucket } });
  }
  return xmlResponse('ObjectLockConfiguration', objectLockConfigurationBody(state.config));
}
