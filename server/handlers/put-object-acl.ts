import { aclMetadata, withoutAcl } from '../acl.js';
import { updateVersionMetadata } from '../object-version.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readVersionHeader } from '../versioning.js';
import { requestedAcl } from './put-bucket-acl.js';

/**
 * PutObjectAcl — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html
 * Replaces the ACL of one version (latest, or ?versionId=) in its metadata without
 * touching its data or Last-Modified. A delete marker is 405.
 */
export async function putObjectAcl(ctx: S3Context): Promise<S3Response> {
  const acl = await requestedAcl(ctx);
  const info = await updateVersionMetadata(ctx, (current) => ({
    ...withoutAcl(current.metadata),
    ...aclMetadata(acl),
  }));
  return { status: 200, headers: await readVersionHeader(ctx.objectLayer, ctx.bucket, info) };
}
