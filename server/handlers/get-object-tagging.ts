import { statVersion } from '../object-version.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { storedTags, taggingXmlBody } from '../tagging.js';
import { readVersionHeader } from '../versioning.js';

/**
 * GetObjectTagging — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html
 * The version's tags sorted by key; an empty TagSet when it has none.
 */
export async function getObjectTagging(ctx: S3Context): Promise<S3Response> {
  const info = await statVersion(ctx);
  const res = xmlResponse('Tagging', taggingXmlBody(storedTags(info.metadata)));
  res.headers = { ...res.headers, ...(await readVersionHeader(ctx.objectLayer, ctx.bucket, info)) };
  return res;
}
