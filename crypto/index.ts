// The only door into crypto/: sealed data streams, object key sealing and the KMS
// (docs/encryption-format.md specifies every persisted format).

export { BuiltinKms, type BuiltinKmsOptions, DEFAULT_KEY_NAME, validateKeyName } from './builtin-kms.js';
export { createDecryptStream, type DecryptStreamOptions, PackageOpener } from './decrypt-stream.js';
export { decryptObject, type ObjectEnvelope, parseEnvelope } from './decrypt-tool.js';
export {
  createEncryptStream,
  type EncryptingTransform,
  type EncryptStreamOptions,
} from './encrypt-stream.js';
export { type EncryptionContext, MAX_CONTEXT_BYTES } from './encryption-context.js';
export {
  decodeObjectEncryption,
  decodePartEncryption,
  encodeObjectEncryption,
  encodePartEncryption,
  type ObjectEncryption,
  type PartEncryption,
  SSE_METADATA,
} from './encryption-metadata.js';
export { CryptoError, type CryptoErrorCode, isCryptoError } from './errors.js';
export { exportKeyStore, importKeyStore, type KeyStore, MemoryKeyStore } from './key-store.js';
export type { DataKey, KeyInfo, KeyStatus, KeyVersionInfo, Kms } from './kms.js';
export {
  createMultipartDecryptStream,
  type MultipartDecryptionPlan,
  planMultipartRange,
  type SealedPart,
  wholeStreamRange,
} from './multipart-decrypt-stream.js';
export { nativeAeadAvailable } from './native-aead.js';
export {
  describeSealedObjectKey,
  maskedETag,
  OBJECT_ARN_CONTEXT,
  type ObjectKeyTarget,
  rewrapObjectKey,
  type SealedObjectKeyDescription,
  type SealObjectKeyRequest,
  type SseMode,
  sealObjectKey,
  unsealObjectKey,
} from './object-key.js';
export {
  KMS_KEY_PREFIX,
  ObjectLayerKeyStore,
  SYSTEM_BUCKET,
  type SystemObjectStore,
} from './object-layer-key-store.js';
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
export {
  generateRootSecret,
  parseRootSecret,
  ROOT_SECRET_ENV,
  ROOT_SECRET_FILE_ENV,
  type RootSecret,
  rootSecretFromEnv,
} from './root-secret.js';
