export {
  CHECKSUM_HEADERS,
  CHECKSUM_LENGTH_BYTES,
  type ChecksumHeaderName,
  checksumHeader,
  type FlexibleChecksumAlgorithm,
  parseChecksumAlgorithm,
} from './checksum-header.js';
export { type Checksum, type ChecksumAlgorithm, checksumOf, createChecksum } from './create-checksum.js';
export { type OffThreadAlgorithm, OffThreadHash } from './off-thread-hash.js';
