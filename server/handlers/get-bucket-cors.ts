import { corsConfigurationXml, loadCorsRules } from '../cors.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { toS3Error } from '../storage-errors.js';

/**
 * GetBucketCors — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketCors.html
 * A bucket without a configuration answers 404 NoSuchCORSConfiguration.
 */
export async function getBucketCors(ctx: S3Context): Promise<S3Response> {
  let rules: Awaited<ReturnType<typeof loadCorsRules>>;
  try {
    rules = await loadCorsRules(ctx.objectLayer, ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  if (rules === undefined)
    throw new S3Error('NoSuchCORSConfiguration', { extra: { BucketName: ctx.bucket } });
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: corsConfigurationXml(rules),
  };
}
