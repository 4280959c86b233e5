import type { IncomingHttpHeaders } from 'node:http';
import { CHECKSUM_HEADERS } from '../checksums/index.js';
import { corsConfigurationXml, MAX_CORS_CONFIG_BYTES, parseCorsConfiguration } from '../cors.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';
import { toS3Error } from '../storage-errors.js';

/**
 * PutBucketCors — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
 *
 * The body must be integrity-protected (Content-MD5, or the flexible checksum current
 * SDKs send instead), is at most 64 KiB, and is validated as S3 does (server/cors.ts).
 * The normalised document is stored, so GetBucketCors returns it without whitespace
 * or comments the client sent.
 */
export async function putBucketCors(ctx: S3Context): Promise<S3Response> {
  if (!hasIntegrityHeader(ctx.headers)) {
    throw new S3Error('InvalidRequest', { message: 'Missing required header for this request: Content-MD5' });
  }
  try {
    await ctx.objectLayer.getBucketInfo(ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  const { bytes } = await readSmallBody(ctx, MAX_CORS_CONFIG_BYTES);
  if (bytes.length === 0) throw new S3Error('MissingRequestBodyError');
  const rules = parseCorsConfiguration(bytes);
  try {
    await ctx.objectLayer.putBucketConfig(ctx.bucket, 'cors', corsConfigurationXml(rules));
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return { status: 200 };
}

function hasIntegrityHeader(headers: IncomingHttpHeaders): boolean {
  if (headers['content-md5'] !== undefined || headers['x-amz-sdk-checksum-algorithm'] !== undefined)
    return true;
  if (headers['x-amz-trailer'] !== undefined) return true;
  return Object.values(CHECKSUM_HEADERS).some((h) => headers[h] !== undefined);
}
