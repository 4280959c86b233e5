import { createRequire } from 'node:module';

/**
 * The batch AEAD binding in native/aead (C, N-API, the OpenSSL inside Node.js): seals and
 * opens a run of packages per call into buffers the caller owns. node:crypto needs a new
 * cipher and a fresh zero-filled output buffer per 64 KiB package, which costs more than
 * the AEAD itself (bench/README.md, "SSE-S3 cost"). Absent (not built), PackageCipher falls
 * back to node:crypto; both write the same bytes (crypto/package-cipher.test.ts).
 */
export interface NativeAead {
  /**
   * Seals `nonces.length / 12` packages of `plain` (each `packageBytes` but the last) into
   * `sealed` (ciphertext || 16-byte tag per package). Throws on arguments that do not fit.
   */
  seal(
    cipherId: number,
    key: Uint8Array,
    nonces: Uint8Array,
    aads: Uint8Array,
    aadBytes: number,
    plain: Uint8Array,
    sealed: Uint8Array,
    packageBytes: number,
  ): void;
  /**
   * Opens the packages of `sealed` into `plain`; returns how many verified (all of them, or
   * the index of the first that failed: its plaintext and what follows is zeroed).
   */
  open(
    cipherId: number,
    key: Uint8Array,
    nonces: Uint8Array,
    aads: Uint8Array,
    aadBytes: number,
    sealed: Uint8Array,
    plain: Uint8Array,
    packageBytes: number,
  ): number;
}

function load(): NativeAead | null {
  try {
    const binding = createRequire(import.meta.url)('strata-native-aead') as Partial<NativeAead>;
    return typeof binding.seal === 'function' && typeof binding.open === 'function'
      ? (binding as NativeAead)
      : null;
  } catch {
    return null;
  }
}

/** The binding, or null when it was not built (node:crypto is used then). */
export const nativeAead: NativeAead | null = load();

/** Whether native/aead is built and loaded (else node:crypto seals and opens every package). */
export function nativeAeadAvailable(): boolean {
  return nativeAead !== null;
}
