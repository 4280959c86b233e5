import { readBucketConfig } from '../bucket-config.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { BUCKET_AEAD_HEADER } from './put-bucket-encryption.js';

/**
 * GetBucketEncryption — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html
 * 404 ServerSideEncryptionConfigurationNotFoundError when none was put. The bucket's AEAD
 * choice (put-bucket-encryption.ts) comes back in `x-strata-sse-aead`.
 */
export async function getBucketEncryption(ctx: S3Context): Promise<S3Response> {
  const doc = await readBucketConfig(ctx, 'encryption');
  if (doc === undefined) {
    throw new S3Error('ServerSideEncryptionConfigurationNotFoundError', {
      extra: { BucketName: ctx.bucket },
    });
  }
  const aead = await readBucketConfig(ctx, 'sse-aead');
  return {
    status: 200,
    headers: {
      'content-type': 'application/xml',
      ...(aead === undefined ? {} : { [BUCKET_AEAD_HEADER]: aead }),
    },
    body: doc,
  };
}
