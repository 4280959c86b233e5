import { parseLegalHold, requireLockEnabled, withLegalHold } from '../object-lock.js';
import { updateVersionMetadata } from '../object-version.js';
import { requireIntegrityHeader } from '../request-integrity.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readSmallBody } from '../small-body.js';
import { parseVersionId, readVersionHeader } from '../versioning.js';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutObjectLegalHold — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLegalHold.html
 * Status ON or OFF on one version; while ON the version cannot be deleted by anyone.
 * Needs a bucket with object lock (InvalidRequest) and Content-MD5 or a checksum.
 */
export async function putObjectLegalHold(ctx: S3Context): Promise<S3Response> {
  requireIntegrityHeader(ctx.headers);
  parseVersionId(ctx.query.get('versionId'));
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  await requireLockEnabled(ctx.objectLayer, ctx.bucket);
  const on = parseLegalHold(bytes);
  const info = await updateVersionMetadata(ctx, (current) => withLegalHold(current.metadata, on));
  return { status: 200, headers: await readVersionHeader(ctx.objectLayer, ctx.bucket, info) };
}
