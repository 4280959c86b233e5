import {
  bypassGovernance,
  checkRetentionChange,
  parseRetention,
  requireLockEnabled,
  withRetention,
} from '../object-lock.js';
import { updateVersionMetadata } from '../object-version.js';
import { requireIntegrityHeader } from '../request-integrity.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readSmallBody } from '../small-body.js';
import { parseVersionId, readVersionHeader } from '../versioning.js';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutObjectRetention — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html
 *
 * Sets (or, with an empty Retention, removes) one version's retention. While a
 * retention is active, COMPLIANCE can only be extended; GOVERNANCE can be extended
 * freely, and shortened, removed or changed in mode only with
 * x-amz-bypass-governance-retention: true (else 403 AccessDenied). Checked and written
 * atomically in storage's update callback. Needs a bucket with object lock
 * (InvalidRequest) and Content-MD5 or a checksum.
 */
export async function putObjectRetention(ctx: S3Context): Promise<S3Response> {
  requireIntegrityHeader(ctx.headers);
  parseVersionId(ctx.query.get('versionId'));
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  await requireLockEnabled(ctx.objectLayer, ctx.bucket);
  const retention = parseRetention(bytes, Date.now());
  const bypass = bypassGovernance(ctx.headers);
  const info = await updateVersionMetadata(ctx, (current) => {
    checkRetentionChange(current.metadata, retention, bypass, Date.now());
    return withRetention(current.metadata, retention);
  });
  return { status: 200, headers: await readVersionHeader(ctx.objectLayer, ctx.bucket, info) };
}
