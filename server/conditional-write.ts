import type { IncomingHttpHeaders } from 'node:http';
import type { WritePrecondition } from '../storage/index.js';
import { etagListMatches } from './conditional.js';
import { headerValue } from './object-metadata.js';
import { S3Error } from './s3-errors.js';

/**
 * Conditional writes (PutObject, CopyObject, CompleteMultipartUpload):
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 *
 * The check runs inside storage, under the key's write lock, against the latest
 * version right before commit (WritePrecondition), so of concurrent writers with
 * `If-None-Match: *` exactly one wins and the others get 412.
 * - If-Match: the key must exist (else 404 NoSuchKey, as AWS) and its ETag must be
 *   listed (`*` matches any) — else 412 PreconditionFailed.
 * - If-None-Match: `*` fails when the key exists; an ETag list fails when the current
 *   ETag is listed — 412 PreconditionFailed. An absent key always passes.
 * A delete marker as the latest version counts as absent.
 * Undefined when the request carries neither header.
 */
export function writePrecondition(headers: IncomingHttpHeaders, key: string): WritePrecondition | undefined {
  const ifMatch = headerValue(headers, 'if-match');
  const ifNoneMatch = headerValue(headers, 'if-none-match');
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  return (current) => {
    if (ifMatch !== undefined) {
      if (current === undefined) throw new S3Error('NoSuchKey', { extra: { Key: key } });
      if (!etagListMatches(ifMatch, current.etag)) throw new S3Error('PreconditionFailed');
    }
    if (ifNoneMatch !== undefined && current !== undefined && etagListMatches(ifNoneMatch, current.etag)) {
      throw new S3Error('PreconditionFailed');
    }
  };
}
