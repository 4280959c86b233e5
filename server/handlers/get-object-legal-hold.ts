import { requireLockEnabled, storedLegalHold } from '../object-lock.js';
import { statVersion } from '../object-version.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';

/**
 * GetObjectLegalHold — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLegalHold.html
 * 404 NoSuchObjectLockConfiguration when no legal hold was ever set on the version;
 * InvalidRequest on a bucket without object lock.
 */
export async function getObjectLegalHold(ctx: S3Context): Promise<S3Response> {
  await requireLockEnabled(ctx.objectLayer, ctx.bucket);
  const info = await statVersion(ctx);
  const on = storedLegalHold(info.metadata);
  if (on === undefined) throw new S3Error('NoSuchObjectLockConfiguration');
  return xmlResponse('LegalHold', { Status: on ? 'ON' : 'OFF' });
}
