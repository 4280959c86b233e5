import type { ObjectInfo, ObjectLayer } from '../storage/index.js';
import { isStorageError } from '../storage/index.js';
import { withResponseHeaders } from './error-response.js';
import { S3Error } from './s3-errors.js';
import { toS3Error } from './storage-errors.js';

/**
 * Version ids on the wire: the versionId query parameter, x-amz-version-id and
 * x-amz-delete-marker headers.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
 */

export const NULL_VERSION_ID = 'null';

/** Characters a version id can have (storage's ids, 'null'); others can name no version. */
const VERSION_ID = /^[A-Za-z0-9._~+=-]{1,1024}$/;

/**
 * The versionId query parameter (or a copy source's): undefined when absent;
 * InvalidArgument when empty or malformed, as AWS. A well-formed id that does not
 * exist is storage's NoSuchVersion.
 */
export function parseVersionId(value: string | null, argumentName = 'versionId'): string | undefined {
  if (value === null) return undefined;
  if (value === '') {
    throw new S3Error('InvalidArgument', {
      message: 'Version id cannot be the empty string',
      extra: { ArgumentName: argumentName, ArgumentValue: '' },
    });
  }
  if (!VERSION_ID.test(value)) {
    throw new S3Error('InvalidArgument', {
      message: 'Invalid version id specified',
      extra: { ArgumentName: argumentName, ArgumentValue: value },
    });
  }
  return value;
}

/**
 * Maps a storage error of GET/HEAD (and reads of a version by other handlers) to the
 * S3 error, with the headers AWS sends: a key whose latest version is a delete marker
 * is 404 NoSuchKey with x-amz-delete-marker: true and the marker's version id; a
 * delete marker asked for by version id is 405 MethodNotAllowed with the same headers.
 */
export function objectReadError(
  err: unknown,
  target: { bucket: string; key: string },
  method: string,
): unknown {
  const mapped = toS3Error(err, target);
  if (!isStorageError(err) || !(mapped instanceof S3Error)) return mapped;
  const markerId = err.deleteMarkerVersionId;
  if (err.code === 'VersionIsDeleteMarker') {
    const e = new S3Error('MethodNotAllowed', {
      cause: err,
      extra: { Method: method, ResourceType: 'DeleteMarker' },
    });
    return withResponseHeaders(e, {
      'x-amz-delete-marker': 'true',
      ...(markerId === undefined ? {} : { 'x-amz-version-id': markerId }),
    });
  }
  if (err.code === 'NoSuchKey') {
    return withResponseHeaders(
      mapped,
      markerId === undefined
        ? { 'x-amz-delete-marker': 'false' }
        : { 'x-amz-delete-marker': 'true', 'x-amz-version-id': markerId },
    );
  }
  return mapped;
}

/** 405 for a delete marker read by version id (HEAD sees the marker itself). */
export function deleteMarkerNotAllowed(info: ObjectInfo, method: string): S3Error {
  return withResponseHeaders(
    new S3Error('MethodNotAllowed', { extra: { Method: method, ResourceType: 'DeleteMarker' } }),
    {
      'x-amz-delete-marker': 'true',
      'x-amz-version-id': info.versionId,
      'last-modified': info.lastModified.toUTCString(),
    },
  );
}

/**
 * x-amz-version-id for GET/HEAD: a real version id always; 'null' only once the
 * bucket's versioning has been configured (an unversioned bucket sends none, as AWS).
 */
export async function readVersionHeader(
  objectLayer: ObjectLayer,
  bucket: string,
  info: ObjectInfo,
): Promise<Record<string, string>> {
  if (info.versionId !== NULL_VERSION_ID) return { 'x-amz-version-id': info.versionId };
  try {
    const b = await objectLayer.getBucketInfo(bucket);
    return b.versioning === 'Unversioned' ? {} : { 'x-amz-version-id': NULL_VERSION_ID };
  } catch (err) {
    throw toS3Error(err, { bucket });
  }
}

/**
 * x-amz-version-id for writes (PutObject, CopyObject, CompleteMultipartUpload): only a
 * real version id; writes to unversioned and suspended buckets send none, as AWS.
 */
export function writeVersionHeader(info: ObjectInfo): Record<string, string> {
  return info.versionId === NULL_VERSION_ID ? {} : { 'x-amz-version-id': info.versionId };
}
