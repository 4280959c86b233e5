import { S3Error } from '../s3-errors.js';

/**
 * Until versioning arrives (issue 3) every object has version 'null': that id (or none)
 * is accepted, anything else is InvalidArgument as on an unversioned AWS bucket.
 */
export function checkVersionId(versionId: string | null): void {
  if (versionId === null || versionId === 'null') return;
  throw new S3Error('InvalidArgument', {
    message: 'Invalid version id specified',
    extra: { ArgumentName: 'versionId', ArgumentValue: versionId },
  });
}
