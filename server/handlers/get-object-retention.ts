import { requireLockEnabled, storedRetention } from '../object-lock.js';
import { statVersion } from '../object-version.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';

/**
 * GetObjectRetention — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectRetention.html
 * 404 NoSuchObjectLockConfiguration when the version has no retention; InvalidRequest
 * on a bucket without object lock.
 */
export async function getObjectRetention(ctx: S3Context): Promise<S3Response> {
  await requireLockEnabled(ctx.objectLayer, ctx.bucket);
  const info = await statVersion(ctx);
  const retention = storedRetention(info.metadata);
  if (retention === undefined) throw new S3Error('NoSuchObjectLockConfiguration');
  return xmlResponse('Retention', { Mode: retention.mode, RetainUntilDate: retention.retainUntil });
}
