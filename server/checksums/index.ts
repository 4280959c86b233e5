export { createChecksum, checksumOf, type Checksum, type ChecksumAlgorithm } from './create-checksum.js';
export {
  CHECKSUM_HEADERS,
  CHECKSUM_LENGTH_BYTES,
  checksumHeader,
  parseChecksumAlgorithm,
  type ChecksumHeaderName,
  type FlexibleChecksumAlgorithm,
} from './checksum-header.js';
