import { ownerAclBody } from '../acl.js';
import { statVersion } from '../object-version.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { readVersionHeader } from '../versioning.js';

/**
 * GetObjectAcl — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html
 * Single-owner answer: the owner with FULL_CONTROL, for an existing version.
 */
export async function getObjectAcl(ctx: S3Context): Promise<S3Response> {
  const info = await statVersion(ctx);
  const res = xmlResponse('AccessControlPolicy', ownerAclBody());
  res.headers = { ...res.headers, ...(await readVersionHeader(ctx.objectLayer, ctx.bucket, info)) };
  return res;
}
