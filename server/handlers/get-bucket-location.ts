import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * GetBucketLocation — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
 * Buckets in us-east-1 answer an empty LocationConstraint, as AWS does.
 */
export async function getBucketLocation(ctx: S3Context): Promise<S3Response> {
  try {
    const info = await ctx.objectLayer.getBucketInfo(ctx.bucket);
    return xmlResponse('LocationConstraint', { '#text': info.location === 'us-east-1' ? '' : info.location });
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
}
