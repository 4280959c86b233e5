import { requireIntegrityHeader } from '../request-integrity.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readSmallBody } from '../small-body.js';
import { toS3Error } from '../storage-errors.js';
import { parseTaggingXml, taggingXmlBody } from '../tagging.js';
import { buildXml } from '../xml.js';
import { MAX_TAGGING_BODY_BYTES } from './put-object-tagging.js';

/**
 * PutBucketTagging — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html
 * Up to 50 tags (InvalidTag beyond); Content-MD5 or a checksum is required, as AWS.
 * Stored as a canonical Tagging document (bucket config 'tagging').
 */
export async function putBucketTagging(ctx: S3Context): Promise<S3Response> {
  requireIntegrityHeader(ctx.headers);
  const { bytes } = await readSmallBody(ctx, MAX_TAGGING_BODY_BYTES);
  const tags = parseTaggingXml(bytes, 'bucket');
  try {
    await ctx.objectLayer.putBucketConfig(ctx.bucket, 'tagging', buildXml('Tagging', taggingXmlBody(tags)));
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return { status: 204 };
}
