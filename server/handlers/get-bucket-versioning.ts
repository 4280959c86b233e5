import type { BucketInfo } from '../../storage/index.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * GetBucketVersioning — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
 * An empty VersioningConfiguration until versioning was first configured, as AWS.
 */
export async function getBucketVersioning(ctx: S3Context): Promise<S3Response> {
  let info: BucketInfo;
  try {
    info = await ctx.objectLayer.getBucketInfo(ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return xmlResponse('VersioningConfiguration', {
    Status: info.versioning === 'Unversioned' ? undefined : info.versioning,
  });
}
