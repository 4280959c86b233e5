import { updateVersionMetadata } from '../object-version.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { withoutTags } from '../tagging.js';
import { parseVersionId, readVersionHeader } from '../versioning.js';

/**
 * DeleteObjectTagging — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html
 * Removes one version's tags (latest, or ?versionId=); Last-Modified is unchanged.
 */
export async function deleteObjectTagging(ctx: S3Context): Promise<S3Response> {
  parseVersionId(ctx.query.get('versionId'));
  const info = await updateVersionMetadata(ctx, (current) => withoutTags(current.metadata));
  return { status: 204, headers: await readVersionHeader(ctx.objectLayer, ctx.bucket, info) };
}
