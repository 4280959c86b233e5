import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.js';
import {
  type AeadAlgorithm,
  BINDING_BYTES,
  checkLength,
  MAX_PACKAGES,
  NODE_CIPHERS,
  NONCE_BYTES,
  PACKAGE_AAD_BYTES,
  PACKAGE_SEALED_BYTES,
  packageAad,
  packageKey,
  packageNonce,
  TAG_BYTES,
} from './package-format.js';

/** What seals or opens the packages of one stream (a single-PUT object or one multipart part). */
export interface StreamKeyOptions {
  /** The object key (OEK), 32 bytes; the package key is derived from it per part. */
  key: Uint8Array;
  /** The stream's random 12-byte nonce base (stored with the object, or with the part). */
  nonceBase: Uint8Array;
  aead: AeadAlgorithm;
  /** objectBinding(bucket, key): 32 bytes. */
  binding: Uint8Array;
  /** 0 (default) for a single-PUT object, 1..10000 for a multipart part. */
  partNumber?: number;
}

/**
 * Seals and opens single packages of one stream. Allocates its nonce and AAD buffers
 * once; one node:crypto cipher per package (OpenSSL cannot reset the IV of a context).
 * Synchronous: a 64 KiB package costs tens of microseconds (bench/aead.bench.ts).
 */
export class PackageCipher {
  readonly aead: AeadAlgorithm;
  readonly partNumber: number;
  private readonly cipherName: 'aes-256-gcm' | 'chacha20-poly1305';
  private readonly key: KeyObject;
  private readonly nonceBase: Buffer;
  private readonly binding: Buffer;
  private readonly nonce = Buffer.alloc(NONCE_BYTES);
  private readonly aad = Buffer.alloc(PACKAGE_AAD_BYTES);

  constructor(opts: StreamKeyOptions) {
    checkLength('nonce base', opts.nonceBase, NONCE_BYTES);
    checkLength('binding', opts.binding, BINDING_BYTES);
    this.aead = opts.aead;
    this.partNumber = opts.partNumber ?? 0;
    this.cipherName = NODE_CIPHERS[opts.aead];
    this.key = createSecretKey(packageKey(opts.key, opts.aead, this.partNumber));
    this.nonceBase = Buffer.from(opts.nonceBase);
    this.binding = Buffer.from(opts.binding);
  }

  /** Seals one package (at most 64 KiB); returns its ciphertext and tag (push both, in order). */
  seal(plain: Uint8Array, index: number, final: boolean): [ciphertext: Buffer, tag: Buffer] {
    if (index >= MAX_PACKAGES) throw new RangeError('stream exceeds the maximum number of packages');
    this.prepare(index, final);
    // Both names resolve to the same AEAD surface; the cast only picks one overload.
    const cipher = createCipheriv(this.cipherName as 'aes-256-gcm', this.key, this.nonce, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(this.aad);
    const ciphertext = cipher.update(plain);
    cipher.final();
    return [ciphertext, cipher.getAuthTag()];
  }

  /**
   * Opens one sealed package (ciphertext || tag) and returns its plaintext only once the tag
   * verified. Throws CryptoError('Tampered') when it does not, or when the package size is
   * impossible for its position (a non-final package must be full; only package 0 may be empty).
   */
  open(sealed: Uint8Array, index: number, final: boolean): Buffer {
    if (sealed.byteLength < TAG_BYTES || sealed.byteLength > PACKAGE_SEALED_BYTES) {
      throw tampered(index, `a sealed package of ${sealed.byteLength} bytes`);
    }
    if (!final && sealed.byteLength !== PACKAGE_SEALED_BYTES) {
      throw tampered(index, 'a short package before the final one (truncated)');
    }
    if (final && index > 0 && sealed.byteLength === TAG_BYTES) {
      throw tampered(index, 'an empty final package after other packages');
    }
    this.prepare(index, final);
    const split = sealed.byteLength - TAG_BYTES;
    const decipher = createDecipheriv(this.cipherName as 'aes-256-gcm', this.key, this.nonce, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(this.aad);
    decipher.setAuthTag(sealed.subarray(split));
    const plain = decipher.update(sealed.subarray(0, split));
    try {
      decipher.final();
    } catch (err) {
      throw tampered(index, 'authentication failed', err);
    }
    return plain;
  }

  private prepare(index: number, final: boolean): void {
    packageNonce(this.nonceBase, index, this.nonce);
    packageAad(this.aead, this.partNumber, index, final, this.binding, this.aad);
  }
}

function tampered(index: number, what: string, cause?: unknown): CryptoError {
  return new CryptoError('Tampered', `sealed data: package ${index}: ${what}`, { cause });
}
