import type { IncomingHttpHeaders } from 'node:http';
import { aclFromHeaders } from '../acl.js';
import { S3Error } from '../s3-errors.js';

/**
 * Write headers whose feature is not built yet. Silently ignoring them would store an
 * object without the protection the client asked for, so they are NotImplemented.
 * ACL headers are validated here (acl.ts); each handler stores the ACL itself.
 * Server-side encryption headers are validated and applied by server/sse.
 */
const NOT_IMPLEMENTED_HEADERS = ['x-amz-website-redirect-location'] as const;

export function rejectUnsupportedWriteHeaders(headers: IncomingHttpHeaders): void {
  for (const name of NOT_IMPLEMENTED_HEADERS) {
    if (headers[name] !== undefined) {
      throw new S3Error('NotImplemented', { extra: { Header: name } });
    }
  }
  aclFromHeaders(headers);
  const storageClass = headers['x-amz-storage-class'];
  if (storageClass !== undefined && storageClass !== 'STANDARD') {
    throw new S3Error('InvalidStorageClass', { extra: { StorageClassRequested: String(storageClass) } });
  }
}
