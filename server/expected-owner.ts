import type { IncomingHttpHeaders } from 'node:http';
import { headerValue } from './object-metadata.js';
import { OWNER } from './s3-context.js';
import { S3Error } from './s3-errors.js';

/**
 * x-amz-expected-bucket-owner / x-amz-source-expected-bucket-owner: a client states
 * whose bucket it means to talk to, and S3 refuses with 403 AccessDenied when the
 * bucket belongs to someone else — a guard against writing into a look-alike bucket.
 * Every bucket here belongs to the one owner, so a value other than the owner's id is
 * always a mismatch. Checked before anything is read or stored.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
 */
export function checkExpectedBucketOwner(headers: IncomingHttpHeaders, hasBucket: boolean): void {
  const expected = headerValue(headers, 'x-amz-expected-bucket-owner');
  if (hasBucket && expected !== undefined && expected.trim() !== OWNER.ID) {
    throw new S3Error('AccessDenied', { cause: new Error('x-amz-expected-bucket-owner does not match') });
  }
  const source = headerValue(headers, 'x-amz-source-expected-bucket-owner');
  if (source !== undefined && source.trim() !== OWNER.ID) {
    throw new S3Error('AccessDenied', {
      cause: new Error('x-amz-source-expected-bucket-owner does not match'),
    });
  }
}
