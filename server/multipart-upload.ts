import type { IncomingHttpHeaders } from 'node:http';
import type { MultipartUploadInfo, ObjectMetadata } from '../storage/index.js';
import {
  CHECKSUM_HEADERS,
  checksumHeader,
  type FlexibleChecksumAlgorithm,
  parseChecksumAlgorithm,
} from './checksums/index.js';
import {
  defaultChecksumType,
  type MultipartChecksumType,
  parseChecksumType,
  supportsChecksumType,
} from './multipart-checksum.js';
import { headerValue } from './object-metadata.js';
import type { S3Context } from './s3-context.js';
import { S3Error } from './s3-errors.js';
import { toS3Error } from './storage-errors.js';

/**
 * What the multipart handlers share: part numbers, the upload's checksum settings,
 * and loading an upload.
 */

/** AWS: parts are numbered 1..10000. */
export const MAX_PART_NUMBER = 10_000;
/** AWS: a part (uploaded or copied) is at most 5 GiB. */
export const MAX_PART_BYTES = 5 * 1024 ** 3;
/** AWS: every part but the last is at least 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 ** 2;

/**
 * Upload metadata names for the checksum settings of CreateMultipartUpload. Not
 * `x-amz-checksum-*`: those names are the object's checksums (checksumEntries), and
 * these may stay in the completed object's metadata, where nothing reads them.
 */
export const UPLOAD_CHECKSUM_ALGORITHM = 'x-strata-upload-checksum-algorithm';
export const UPLOAD_CHECKSUM_TYPE = 'x-strata-upload-checksum-type';
/** The completed object's checksum type, returned with its checksum (x-amz-checksum-type). */
export const CHECKSUM_TYPE_METADATA = 'x-amz-checksum-type';

/**
 * Uploads created without a checksum algorithm: parts sent without a checksum get this
 * one (AWS's default), so the object can carry a FULL_OBJECT CRC64NVME.
 */
export const DEFAULT_PART_CHECKSUM: FlexibleChecksumAlgorithm = 'CRC64NVME';

export interface UploadChecksum {
  algorithm: FlexibleChecksumAlgorithm;
  type: MultipartChecksumType;
}

/** partNumber query parameter: an integer 1..10000, else InvalidArgument (as AWS). */
export function parsePartNumber(value: string | null): number {
  if (value === null || !/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', {
      message: 'Part number must be an integer between 1 and 10000, inclusive',
      extra: { ArgumentName: 'partNumber', ArgumentValue: (value ?? '').slice(0, 64) },
    });
  }
  return Number(value);
}

export function uploadIdOf(ctx: S3Context): string {
  return ctx.query.get('uploadId') ?? '';
}

/** The upload (NoSuchUpload, NoSuchBucket as S3 errors). */
export async function loadUpload(ctx: S3Context, uploadId: string): Promise<MultipartUploadInfo> {
  if (uploadId === '') throw new S3Error('NoSuchUpload', { extra: { UploadId: uploadId } });
  try {
    return await ctx.objectLayer.getMultipartUpload(ctx.bucket, ctx.key, uploadId);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
}

/**
 * x-amz-checksum-algorithm / x-amz-checksum-type of CreateMultipartUpload, validated:
 * a type needs an algorithm, and the pair must be one AWS supports.
 */
export function checksumFromCreateHeaders(headers: IncomingHttpHeaders): UploadChecksum | undefined {
  const algValue = headerValue(headers, 'x-amz-checksum-algorithm');
  const typeValue = headerValue(headers, 'x-amz-checksum-type');
  if (algValue === undefined) {
    if (typeValue !== undefined) {
      throw new S3Error('InvalidRequest', {
        message: 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.',
      });
    }
    return undefined;
  }
  const algorithm = parseChecksumAlgorithm(algValue);
  if (algorithm === undefined) {
    throw new S3Error('InvalidRequest', {
      message:
        'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
    });
  }
  let type = defaultChecksumType(algorithm);
  if (typeValue !== undefined) {
    const parsed = parseChecksumType(typeValue);
    if (parsed === undefined) {
      throw new S3Error('InvalidRequest', { message: 'Value for x-amz-checksum-type header is invalid.' });
    }
    type = parsed;
  }
  if (!supportsChecksumType(algorithm, type)) {
    throw new S3Error('InvalidRequest', {
      message: `The ${type} checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`,
    });
  }
  return { algorithm, type };
}

/** Upload metadata entries that record the checksum settings. */
export function uploadChecksumMetadata(checksum: UploadChecksum | undefined): ObjectMetadata {
  if (checksum === undefined) return {};
  return { [UPLOAD_CHECKSUM_ALGORITHM]: checksum.algorithm, [UPLOAD_CHECKSUM_TYPE]: checksum.type };
}

/** The checksum settings recorded at CreateMultipartUpload, if any. */
export function uploadChecksum(metadata: ObjectMetadata): UploadChecksum | undefined {
  const algorithm = parseChecksumAlgorithm(metadata[UPLOAD_CHECKSUM_ALGORITHM] ?? '');
  const type = parseChecksumType(metadata[UPLOAD_CHECKSUM_TYPE] ?? '');
  if (algorithm === undefined || type === undefined) return undefined;
  return { algorithm, type };
}

/** Response headers naming the upload's checksum settings (Create, ListParts...). */
export function uploadChecksumHeaders(checksum: UploadChecksum | undefined): Record<string, string> {
  if (checksum === undefined) return {};
  return { 'x-amz-checksum-algorithm': checksum.algorithm, 'x-amz-checksum-type': checksum.type };
}

/** The flexible checksum algorithm a request body carries (header, trailer or SDK header). */
export function requestChecksumAlgorithm(
  headers: IncomingHttpHeaders,
): FlexibleChecksumAlgorithm | undefined {
  for (const name of Object.values(CHECKSUM_HEADERS)) {
    if (headers[name] !== undefined) return checksumHeader(name);
  }
  for (const name of (headerValue(headers, 'x-amz-trailer') ?? '').split(',')) {
    const alg = checksumHeader(name.trim());
    if (alg !== undefined) return alg;
  }
  const sdk = headerValue(headers, 'x-amz-sdk-checksum-algorithm');
  return sdk === undefined ? undefined : parseChecksumAlgorithm(sdk);
}

/**
 * The checksum algorithm a part must have: the upload's (a part sent with another is
 * InvalidRequest, as AWS), else whatever the part carries, else the default.
 */
export function partChecksumAlgorithm(
  headers: IncomingHttpHeaders,
  upload: UploadChecksum | undefined,
): FlexibleChecksumAlgorithm {
  const sent = requestChecksumAlgorithm(headers);
  if (upload !== undefined) {
    if (sent !== undefined && sent !== upload.algorithm) {
      throw new S3Error('InvalidRequest', {
        message: `Checksum Type mismatch occurred, expected checksum Type: ${upload.algorithm.toLowerCase()}, actual checksum Type: ${sent.toLowerCase()}`,
      });
    }
    return upload.algorithm;
  }
  return sent ?? DEFAULT_PART_CHECKSUM;
}

/** The stored checksum of a part or object for an algorithm (base64), if present. */
export function storedChecksum(
  metadata: ObjectMetadata,
  algorithm: FlexibleChecksumAlgorithm,
): string | undefined {
  return metadata[CHECKSUM_HEADERS[algorithm]];
}

/** XML element name of a checksum (`ChecksumCRC32`, ...). */
export function checksumElement(algorithm: FlexibleChecksumAlgorithm): string {
  return `Checksum${algorithm}`;
}

/** `ChecksumCRC32: value` entries for XML bodies, from stored checksum metadata. */
export function checksumXmlFields(metadata: ObjectMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [alg, header] of Object.entries(CHECKSUM_HEADERS)) {
    const value = metadata[header];
    if (value !== undefined) out[`Checksum${alg}`] = value;
  }
  return out;
}
