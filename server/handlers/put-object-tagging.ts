import { updateVersionMetadata } from '../object-version.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readSmallBody } from '../small-body.js';
import { parseTaggingXml, tagsMetadata, withoutTags } from '../tagging.js';
import { parseVersionId, readVersionHeader } from '../versioning.js';

/** A Tagging document of 10 tags is a few KiB. */
export const MAX_TAGGING_BODY_BYTES = 64 * 1024;

/**
 * PutObjectTagging — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
 *
 * Replaces the tag set of one version (latest, or ?versionId=) in its metadata without
 * touching its data or Last-Modified. AWS's limits: 10 tags, keys ≤ 128 and values
 * ≤ 256 characters, unique keys (InvalidTag). A delete marker has no tags (405).
 */
export async function putObjectTagging(ctx: S3Context): Promise<S3Response> {
  parseVersionId(ctx.query.get('versionId'));
  const { bytes } = await readSmallBody(ctx, MAX_TAGGING_BODY_BYTES);
  const tags = parseTaggingXml(bytes, 'object');
  const info = await updateVersionMetadata(ctx, (current) => ({
    ...withoutTags(current.metadata),
    ...tagsMetadata(tags),
  }));
  return { status: 200, headers: await readVersionHeader(ctx.objectLayer, ctx.bucket, info) };
}
