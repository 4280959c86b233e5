import { readBucketConfig } from '../bucket-config.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';

/**
 * GetBucketEncryption — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html
 * 404 ServerSideEncryptionConfigurationNotFoundError when none was put.
 */
export async function getBucketEncryption(ctx: S3Context): Promise<S3Response> {
  const doc = await readBucketConfig(ctx, 'encryption');
  if (doc === undefined) {
    throw new S3Error('ServerSideEncryptionConfigurationNotFoundError', {
      extra: { BucketName: ctx.bucket },
    });
  }
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc };
}
