import { writeBucketConfig } from '../bucket-config.js';
import { parseEncryptionConfiguration } from '../encryption-document.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { readSmallBody } from '../small-body.js';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutBucketEncryption — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html
 * Validated (SSEAlgorithm AES256 | aws:kms | aws:kms:dsse) and stored. Deviation:
 * default encryption is not applied to new objects until the crypto issue lands, and
 * no response claims it is.
 */
export async function putBucketEncryption(ctx: S3Context): Promise<S3Response> {
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  await writeBucketConfig(ctx, 'encryption', parseEncryptionConfiguration(bytes));
  return { status: 200 };
}
