import { statVersion } from '../object-version.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readVersionHeader } from '../versioning.js';
import { checkPutAcl } from './put-bucket-acl.js';

/**
 * PutObjectAcl — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html
 * Accepts only `private` (or a body granting the owner FULL_CONTROL alone) for an
 * existing version; nothing is stored. Deviation: anything else is NotImplemented.
 */
export async function putObjectAcl(ctx: S3Context): Promise<S3Response> {
  await checkPutAcl(ctx);
  const info = await statVersion(ctx);
  return { status: 200, headers: await readVersionHeader(ctx.objectLayer, ctx.bucket, info) };
}
