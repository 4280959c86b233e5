import { bucketLockState } from '../object-lock.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';
import { toS3Error } from '../storage-errors.js';
import { childElement, parseXml } from '../xml.js';

/** A VersioningConfiguration document is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutBucketVersioning — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
 *
 * Status Enabled or Suspended (a bucket never returns to unversioned); a bucket with
 * object lock cannot be suspended (409 InvalidBucketState, as AWS).
 * Deviation: MFA delete is not supported: MFADelete Enabled is NotImplemented.
 */
export async function putBucketVersioning(ctx: S3Context): Promise<S3Response> {
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  const { status, mfaDelete } = parseVersioningConfiguration(bytes);
  if (mfaDelete === 'Enabled')
    throw new S3Error('NotImplemented', { message: 'MFA delete is not supported.' });
  const lock = await bucketLockState(ctx.objectLayer, ctx.bucket);
  if (status === undefined) return { status: 200 };
  if (status === 'Suspended' && lock.enabled) {
    throw new S3Error('InvalidBucketState', {
      message:
        'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
    });
  }
  try {
    await ctx.objectLayer.setBucketVersioning(ctx.bucket, status);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return { status: 200 };
}

export function parseVersioningConfiguration(bytes: Uint8Array | string): {
  status?: 'Enabled' | 'Suspended';
  mfaDelete?: 'Enabled' | 'Disabled';
} {
  const root = parseXml(bytes);
  if (root.name !== 'VersioningConfiguration') throw new S3Error('MalformedXML');
  const status = childElement(root, 'Status')?.text.trim();
  const mfa = childElement(root, 'MfaDelete') ?? childElement(root, 'MFADelete');
  const mfaDelete = mfa?.text.trim();
  if (status !== undefined && status !== 'Enabled' && status !== 'Suspended')
    throw new S3Error('MalformedXML');
  if (mfaDelete !== undefined && mfaDelete !== 'Enabled' && mfaDelete !== 'Disabled')
    throw new S3Error('MalformedXML');
  return {
    ...(status === undefined ? {} : { status }),
    ...(mfaDelete === undefined ? {} : { mfaDelete }),
  };
}
