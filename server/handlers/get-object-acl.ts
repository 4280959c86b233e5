import { aclPolicyBody, objectAcl } from '../acl.js';
import { statVersion } from '../object-version.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { readVersionHeader } from '../versioning.js';

/**
 * GetObjectAcl — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html
 * The owner and the grants of one version (latest, or ?versionId=).
 */
export async function getObjectAcl(ctx: S3Context): Promise<S3Response> {
  const info = await statVersion(ctx);
  const res = xmlResponse('AccessControlPolicy', aclPolicyBody(objectAcl(info.metadata)));
  res.headers = { ...res.headers, ...(await readVersionHeader(ctx.objectLayer, ctx.bucket, info)) };
  return res;
}
