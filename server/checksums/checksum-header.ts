import type { ChecksumAlgorithm } from './create-checksum.js';

/** The flexible-checksum algorithms S3 accepts (MD5 travels as Content-MD5 instead). */
export type FlexibleChecksumAlgorithm = Exclude<ChecksumAlgorithm, 'MD5'>;

/**
 * Request/response header (and trailer) name per algorithm.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#API_PutObject_RequestSyntax
 */
export const CHECKSUM_HEADERS = {
  CRC32: 'x-amz-checksum-crc32',
  CRC32C: 'x-amz-checksum-crc32c',
  CRC64NVME: 'x-amz-checksum-crc64nvme',
  SHA1: 'x-amz-checksum-sha1',
  SHA256: 'x-amz-checksum-sha256',
} as const satisfies Record<FlexibleChecksumAlgorithm, string>;

export type ChecksumHeaderName = (typeof CHECKSUM_HEADERS)[FlexibleChecksumAlgorithm];

/** Digest length in bytes per algorithm: a checksum value must base64-decode to exactly this. */
export const CHECKSUM_LENGTH_BYTES = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
  MD5: 16,
} as const satisfies Record<ChecksumAlgorithm, number>;

const BY_HEADER = new Map<string, FlexibleChecksumAlgorithm>(
  Object.entries(CHECKSUM_HEADERS).map(([alg, header]) => [header, alg as FlexibleChecksumAlgorithm]),
);

/**
 * The algorithm a header/trailer name designates (case-insensitive), or undefined
 * when it is not one of the `x-amz-checksum-<alg>` names.
 */
export function checksumHeader(name: string): FlexibleChecksumAlgorithm | undefined {
  return BY_HEADER.get(name.toLowerCase());
}

/**
 * Parses an `x-amz-sdk-checksum-algorithm` / `x-amz-checksum-algorithm` value
 * ('crc32', 'CRC64NVME', …; case-insensitive); undefined when unknown.
 */
export function parseChecksumAlgorithm(value: string): FlexibleChecksumAlgorithm | undefined {
  const upper = value.trim().toUpperCase();
  return Object.hasOwn(CHECKSUM_HEADERS, upper) ? (upper as FlexibleChecksumAlgorithm) : undefined;
}
