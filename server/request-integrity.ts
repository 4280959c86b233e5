import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './s3-errors.js';

/**
 * Operations whose body AWS requires to be integrity-protected (DeleteObjects,
 * PutObjectRetention, PutObjectLegalHold, PutObjectLockConfiguration,
 * PutBucketTagging, PutBucketLifecycleConfiguration, PutObject with object lock
 * headers): Content-MD5, or an x-amz-checksum-* header or trailer, which current SDKs
 * send instead. readBody verifies whichever was sent.
 */
export function hasIntegrityHeader(headers: IncomingHttpHeaders): boolean {
  if (headers['content-md5'] !== undefined || headers['x-amz-sdk-checksum-algorithm'] !== undefined)
    return true;
  if (
    typeof headers['x-amz-trailer'] === 'string' &&
    headers['x-amz-trailer'].toLowerCase().includes('x-amz-checksum-')
  ) {
    return true;
  }
  return Object.keys(headers).some(
    (name) => name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-mode',
  );
}

/** Throws AWS's InvalidRequest when the body carries neither Content-MD5 nor a checksum. */
export function requireIntegrityHeader(headers: IncomingHttpHeaders): void {
  if (!hasIntegrityHeader(headers)) {
    throw new S3Error('InvalidRequest', { message: 'Missing required header for this request: Content-MD5' });
  }
}
