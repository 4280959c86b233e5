// The only door into crypto/: sealed data streams, object key sealing and the KMS.

export { createDecryptStream, type DecryptStreamOptions } from './decrypt-stream.js';
export { createEncryptStream, type EncryptStreamOptions } from './encrypt-stream.js';
export { CryptoError, type CryptoErrorCode, isCryptoError } from './errors.js';
export {
  createMultipartDecryptStream,
  type MultipartDecryptionPlan,
  planMultipartRange,
  type SealedPart,
  wholeStreamRange,
} from './multipart-decrypt-stream.js';
export type { StreamKeyOptions } from './package-cipher.js';
export {
  AEAD_ALGORITHMS,
  type AeadAlgorithm,
  DEFAULT_AEAD,
  isAeadAlgorithm,
  NONCE_BYTES,
  OBJECT_KEY_BYTES,
  objectBinding,
  PACKAGE_PLAINTEXT_BYTES,
  PACKAGE_SEALED_BYTES,
  type PackageRange,
  packageCount,
  packageRangeFor,
  plainSize,
  sealedSize,
  TAG_BYTES,
} from './package-format.js';
