import type { EncryptionContext } from './encryption-context.js';

/** A fresh data key from Kms.generateDataKey. */
export interface DataKey {
  /** 32 random bytes. Use, then drop: never persist or log it. */
  plaintext: Buffer;
  /** The data key sealed under the master key's newest version; opaque, carries the key name and version. Persist it. */
  sealed: Uint8Array;
}

/** One version of a master key. */
export interface KeyVersionInfo {
  version: number;
  createdAt: Date;
}

export interface KeyInfo {
  name: string;
  /** The version new data keys are sealed under. */
  latestVersion: number;
  /** Every version, oldest first; old versions stay usable for decryption. */
  versions: KeyVersionInfo[];
}

export interface KeyStatus extends KeyInfo {
  /** A data key was generated and opened again with this key just now. */
  roundTripOk: boolean;
}

/**
 * A key management service: master keys by name (per-tenant keys are just names),
 * versioned by rotation, which seal and open 32-byte data keys bound to an encryption
 * context. Implementations: BuiltinKms (master keys in the storage layer's system area,
 * sealed under the operator's root secret); external ones (KES, Vault, AWS KMS) can
 * implement the same contract later.
 *
 * Every method may throw CryptoError: 'KeyNotFound' (no such name, or a sealed blob names
 * a version that does not exist), 'InvalidKeyName', 'InvalidContext', 'KeyExists'
 * (createKey) and 'KeyUnsealFailed' (a sealed data key that does not open: tampered, or a
 * different context or key name than it was sealed with).
 */
export interface Kms {
  /** The key SSE-S3 objects are sealed under (created when the KMS opens). */
  readonly defaultKeyName: string;
  /** A new random data key, sealed under the newest version of `keyName` with `context` bound. */
  generateDataKey(keyName: string, context: EncryptionContext): Promise<DataKey>;
  /** Opens a sealed data key; `keyName` and `context` must be the ones it was sealed with. */
  decryptDataKey(keyName: string, sealed: Uint8Array, context: EncryptionContext): Promise<Buffer>;
  /**
   * Re-seals a sealed data key under the newest version of its key (same plaintext, same
   * context): `changed` is false, and `sealed` the input, when it already is. This is
   * what key rotation's re-wrap runs per object; the data is not touched.
   */
  reencryptDataKey(
    keyName: string,
    sealed: Uint8Array,
    context: EncryptionContext,
  ): Promise<{ sealed: Uint8Array; changed: boolean }>;
  /** Creates `keyName` with version 1. Throws KeyExists. */
  createKey(keyName: string): Promise<KeyInfo>;
  /** Adds a version to `keyName`; new data keys use it, old ones still open. Throws KeyNotFound. */
  rotateKey(keyName: string): Promise<KeyInfo>;
  /** All keys, sorted by name. */
  listKeys(): Promise<KeyInfo[]>;
  /** The key's versions, after a generate/decrypt round trip with it. Throws KeyNotFound. */
  keyStatus(keyName: string): Promise<KeyStatus>;
}
