import type { IncomingHttpHeaders } from 'node:http';
import { AEAD_ALGORITHMS, type AeadAlgorithm } from '../../crypto/index.js';
import { writeBucketConfig } from '../bucket-config.js';
import { parseEncryptionConfiguration } from '../encryption-document.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * PutBucketEncryption — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html
 * Validated (SSEAlgorithm AES256 | aws:kms | aws:kms:dsse) and stored; applied to every new
 * object that asks for no encryption itself (server/sse); refused with 501 NotImplemented on a
 * server without a KMS (as MinIO), since every later PUT would fail. Strata's extension: the request
 * header `x-strata-sse-aead` (AES-256-GCM or ChaCha20-Poly1305) picks the AEAD of the
 * bucket's new encrypted objects (default: the server's STRATA_SSE_AEAD).
 */
export async function putBucketEncryption(ctx: S3Context): Promise<S3Response> {
  const aead = bucketAeadHeader(ctx.headers);
  const { bytes } = await readSmallBody(ctx, MAX_BODY_BYTES);
  const document = parseEncryptionConfiguration(bytes);
  // A default the server cannot honour would make every later PUT into the bucket fail.
  if (ctx.sse.kms === undefined) {
    throw new S3Error('NotImplemented', {
      message: 'Server side encryption specified but KMS is not configured',
    });
  }
  await writeBucketConfig(ctx, 'sse-aead', aead);
  await writeBucketConfig(ctx, 'encryption', document);
  return { status: 200 };
}

/** The AEAD named by `x-strata-sse-aead`, canonical; undefined when absent. Throws InvalidArgument. */
export function bucketAeadHeader(headers: IncomingHttpHeaders): AeadAlgorithm | undefined {
  const value = headers[BUCKET_AEAD_HEADER];
  if (value === undefined) return undefined;
  const aead = AEAD_ALGORITHMS.find(
    (a) => typeof value === 'string' && a.toLowerCase() === value.toLowerCase(),
  );
  if (aead === undefined) {
    throw new S3Error('InvalidArgument', {
      message: `${BUCKET_AEAD_HEADER} must be ${AEAD_ALGORITHMS.join(' or ')}`,
      extra: { ArgumentName: BUCKET_AEAD_HEADER, ArgumentValue: String(value).slice(0, 64) },
    });
  }
  return aead;
}

export const BUCKET_AEAD_HEADER = 'x-strata-sse-aead';
