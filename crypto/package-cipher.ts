import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors.js';
import { type NativeAead, nativeAead } from './native-aead.js';
import {
  AEAD_IDS,
  type AeadAlgorithm,
  BINDING_BYTES,
  checkLength,
  MAX_PACKAGES,
  NODE_CIPHERS,
  NONCE_BYTES,
  PACKAGE_AAD_BYTES,
  PACKAGE_PLAINTEXT_BYTES,
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
 * Seals and opens the packages of one stream, one at a time (seal, open: one node:crypto
 * cipher per package, as node:crypto cannot reset a cipher's nonce) or a run of packages
 * into a caller's buffer (sealPackages, openPackages: one call into native/aead when it is
 * built, else the single-package path). Synchronous: a 64 KiB package costs tens of
 * microseconds (bench/aead.bench.ts).
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
  /** The package key's bytes, for native/aead. */
  private readonly keyBytes: Buffer;
  /** Nonces and AADs of a run of packages, for native/aead; grown on demand. */
  private nonces = Buffer.alloc(0);
  private aads = Buffer.alloc(0);
  private readonly engine: NativeAead | null;

  /** `engine`: native/aead for runs (the default when built), or null for node:crypto only. */
  constructor(opts: StreamKeyOptions, engine: NativeAead | null = nativeAead) {
    this.engine = engine;
    checkLength('nonce base', opts.nonceBase, NONCE_BYTES);
    checkLength('binding', opts.binding, BINDING_BYTES);
    this.aead = opts.aead;
    this.partNumber = opts.partNumber ?? 0;
    this.cipherName = NODE_CIPHERS[opts.aead];
    this.keyBytes = packageKey(opts.key, opts.aead, this.partNumber);
    this.key = createSecretKey(this.keyBytes);
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
    checkPackageSize(sealed.byteLength, index, final);
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

  /**
   * Seals the packages of `plain` (indices firstIndex.., each 64 KiB but the last; one empty
   * package for an empty input) into `out`, which must be `sealedSize` of the input: each
   * package's ciphertext then its tag. The last package is the stream's final one when
   * `lastIsFinal`.
   */
  sealPackages(plain: Uint8Array, firstIndex: number, lastIsFinal: boolean, out: Uint8Array): void {
    const n = Math.max(1, Math.ceil(plain.byteLength / PACKAGE_PLAINTEXT_BYTES));
    if (out.byteLength !== plain.byteLength + n * TAG_BYTES) {
      throw new RangeError('sealPackages: the output must be the sealed size of the input');
    }
    if (firstIndex + n > MAX_PACKAGES) throw new RangeError('stream exceeds the maximum number of packages');
    if (this.engine !== null) {
      this.runNative(this.engine.seal, firstIndex, n, lastIsFinal, plain, out);
      return;
    }
    for (let i = 0; i < n; i++) {
      const start = i * PACKAGE_PLAINTEXT_BYTES;
      const end = Math.min(plain.byteLength, start + PACKAGE_PLAINTEXT_BYTES);
      const [ciphertext, tag] = this.seal(
        plain.subarray(start, end),
        firstIndex + i,
        lastIsFinal && i === n - 1,
      );
      const at = i * PACKAGE_SEALED_BYTES;
      out.set(ciphertext, at);
      out.set(tag, at + ciphertext.byteLength);
    }
  }

  /**
   * Opens the sealed packages in `sealed` (indices firstIndex..; each full but the last)
   * into `out`, which must be 16 bytes per package shorter. The last package is the
   * stream's final one when `lastIsFinal`. Throws CryptoError('Tampered') for the first
   * package that does not verify or whose size is impossible (as open); `out` then holds
   * no unverified plaintext past the packages before it.
   */
  openPackages(sealed: Uint8Array, firstIndex: number, lastIsFinal: boolean, out: Uint8Array): void {
    const n = Math.max(1, Math.ceil(sealed.byteLength / PACKAGE_SEALED_BYTES));
    const lastBytes = sealed.byteLength - (n - 1) * PACKAGE_SEALED_BYTES;
    const lastIndex = firstIndex + n - 1;
    checkPackageSize(lastBytes, lastIndex, lastIsFinal);
    if (out.byteLength !== sealed.byteLength - n * TAG_BYTES) {
      throw new RangeError('openPackages: the output must be the plaintext size of the input');
    }
    if (lastIndex >= MAX_PACKAGES) throw new RangeError('stream exceeds the maximum number of packages');
    if (this.engine !== null) {
      const opened = this.runNative(this.engine.open, firstIndex, n, lastIsFinal, sealed, out);
      if (opened !== n) throw tampered(firstIndex + opened, 'authentication failed');
      return;
    }
    for (let i = 0; i < n; i++) {
      const start = i * PACKAGE_SEALED_BYTES;
      const end = Math.min(sealed.byteLength, start + PACKAGE_SEALED_BYTES);
      out.set(
        this.open(sealed.subarray(start, end), firstIndex + i, lastIsFinal && i === n - 1),
        i * PACKAGE_PLAINTEXT_BYTES,
      );
    }
  }

  /** Calls native/aead's seal or open for packages firstIndex..firstIndex+n-1 (`from` into `to`). */
  private runNative<R>(
    call: (...args: Parameters<NativeAead['seal']>) => R,
    firstIndex: number,
    n: number,
    lastIsFinal: boolean,
    from: Uint8Array,
    to: Uint8Array,
  ): R {
    this.prepareRun(firstIndex, n, lastIsFinal);
    return call(
      AEAD_IDS[this.aead],
      this.keyBytes,
      this.nonces.subarray(0, n * NONCE_BYTES),
      this.aads.subarray(0, n * PACKAGE_AAD_BYTES),
      PACKAGE_AAD_BYTES,
      from,
      to,
      PACKAGE_PLAINTEXT_BYTES,
    );
  }

  /** Writes the nonces and AADs of packages firstIndex..firstIndex+n-1 into the run buffers. */
  private prepareRun(firstIndex: number, n: number, lastIsFinal: boolean): void {
    if (this.nonces.byteLength < n * NONCE_BYTES) {
      this.nonces = Buffer.alloc(n * NONCE_BYTES);
      this.aads = Buffer.alloc(n * PACKAGE_AAD_BYTES);
    }
    for (let i = 0; i < n; i++) {
      const index = firstIndex + i;
      packageNonce(this.nonceBase, index, this.nonces.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES));
      packageAad(
        this.aead,
        this.partNumber,
        index,
        lastIsFinal && i === n - 1,
        this.binding,
        this.aads.subarray(i * PACKAGE_AAD_BYTES, (i + 1) * PACKAGE_AAD_BYTES),
      );
    }
  }

  private prepare(index: number, final: boolean): void {
    packageNonce(this.nonceBase, index, this.nonce);
    packageAad(this.aead, this.partNumber, index, final, this.binding, this.aad);
  }
}

/** Throws CryptoError('Tampered') when a sealed package of `bytes` cannot be package `index`. */
function checkPackageSize(bytes: number, index: number, final: boolean): void {
  if (bytes < TAG_BYTES || bytes > PACKAGE_SEALED_BYTES) {
    throw tampered(index, `a sealed package of ${bytes} bytes`);
  }
  if (!final && bytes !== PACKAGE_SEALED_BYTES) {
    throw tampered(index, 'a short package before the final one (truncated)');
  }
  if (final && index > 0 && bytes === TAG_BYTES) {
    throw tampered(index, 'an empty final package after other packages');
  }
}

function tampered(index: number, what: string, cause?: unknown): CryptoError {
  return new CryptoError('Tampered', `sealed data: package ${index}: ${what}`, { cause });
}
