/**
 * The closed set of crypto failures. server/ maps each code to one S3 error (see the
 * comment on each); anything else thrown from crypto/ is a bug.
 */
export type CryptoErrorCode =
  /**
   * Sealed object data failed authentication or is malformed: a flipped bit, a truncated,
   * reordered, dropped or foreign package, bytes after the final package. Never retryable;
   * the reader must not deliver anything more (500 InternalError, logged loudly).
   */
  | 'Tampered'
  /** A sealed key (object key or data key) does not open: tampered, or copied to another object (500). */
  | 'KeyUnsealFailed'
  /** SSE-C: the customer key given does not match the one the object was written with (403 AccessDenied). */
  | 'WrongCustomerKey'
  /** A KMS key name that does not exist (400 KMS.NotFoundException). */
  | 'KeyNotFound'
  /** createKey of a name that exists (400 KMS.AlreadyExistsException for an admin API). */
  | 'KeyExists'
  /** A key name outside the allowed alphabet or length (400 InvalidArgument / KMS.NotFoundException). */
  | 'InvalidKeyName'
  /** An encryption context that cannot be used (not string → string, reserved name, too long) (400 InvalidArgument). */
  | 'InvalidContext'
  /** STRATA_KMS_SECRET_KEY(_FILE) is missing a part, not base64, or not 32 bytes (configuration error, exit 2). */
  | 'InvalidRootSecret'
  /** The key store's records were sealed under another root secret (start-up failure, exit 1). */
  | 'WrongRootSecret'
  /** A persisted value (metadata, sealed key, record) has an unknown version or a bad shape (500). */
  | 'InvalidFormat'
  /** A byte range outside the plaintext (the caller validates ranges first: a bug if seen). */
  | 'InvalidRange';

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? code, options);
    this.name = 'CryptoError';
    this.code = code;
  }
}

/** True for a CryptoError (with `code` when given); compares names and codes, never identity. */
export function isCryptoError(err: unknown, code?: CryptoErrorCode): err is CryptoError {
  return (
    err instanceof Error &&
    (err as { name?: string }).name === 'CryptoError' &&
    (code === undefined || (err as CryptoError).code === code)
  );
}
