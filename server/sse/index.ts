// Server-side encryption in the request path (docs/ARCHITECTURE.md "Crypto"): which
// encryption a write gets, sealing bodies on the way to storage, opening them on reads,
// and plaintext sizes for everything storage reports.
export {
  readDecrypted,
  type SseReadContext,
  type StoredEncryption,
  sealedParts,
  storedEncryption,
  unsealForRead,
  uploadDescription,
} from './decrypt-object.js';
export {
  openUploadSealing,
  type PlaintextReadContext,
  readPlaintext,
  type SealedPartBody,
  sealedPartBody,
} from './multipart-encryption.js';
export {
  type BodySealer,
  bodySealer,
  completedSizeMetadata,
  encryptedETag,
  encryptionMetadata,
  NO_SSE,
  type ObjectSealing,
  objectEncryptionMetadata,
  partEncryptionMetadata,
  requireSecureTransport,
  type SealedBody,
  type SseDescription,
  type SseSettings,
  type SseTarget,
  type SseWriteContext,
  sealedBody,
  sealNewObject,
  sseResponseHeaders,
  storedSize,
  uploadEncryptionMetadata,
  withoutEncryptionMetadata,
} from './object-encryption.js';
export { PlaintextObjectLayer, plainInfo } from './plaintext-object-layer.js';
export { sseCryptoError } from './sse-errors.js';
export {
  kmsKeyName,
  parseCopySourceCustomerKey,
  parsePartCustomerKey,
  parseReadCustomerKey,
  parseSseRequest,
  SSE_CUSTOMER_HEADERS,
  type SseCustomerKey,
  type SseRequest,
  sseRequestFor,
} from './sse-request.js';
