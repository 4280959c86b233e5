import { createHash, hkdfSync } from 'node:crypto';
import { CryptoError } from './errors.js';

/**
 * The sealed data format, version 1 (docs/encryption-format.md is the specification; the
 * golden fixtures in crypto/fixtures/ pin it).
 *
 * A stream (a whole single-PUT object, or one multipart part) is cut into packages of
 * 64 KiB of plaintext; only the last may be shorter, and an empty stream is one empty
 * package. Each package is sealed on its own with an AEAD under a key derived from the
 * object key (OEK) and the part number, a nonce derived from the stream's random nonce
 * base and the package index, and 48 bytes of associated data that carry the package
 * index, a final-package flag, the part number and a 32-byte object binding:
 *
 *   sealed package = ciphertext (same length as the plaintext) || 16-byte tag
 *
 * so a sealed stream is `plaintext + 16 × packages` bytes. Changing any constant here
 * makes existing objects unreadable.
 */

/** Version of the package format. Do not change: on-disk format. */
export const PACKAGE_FORMAT_VERSION = 1;

/** Plaintext bytes per package (the last package of a stream may hold fewer). Do not change: on-disk format. */
export const PACKAGE_PLAINTEXT_BYTES = 64 * 1024;

/** AEAD tag after each package's ciphertext. Do not change: on-disk format. */
export const TAG_BYTES = 16;

/** Sealed bytes of a full package. */
export const PACKAGE_SEALED_BYTES = PACKAGE_PLAINTEXT_BYTES + TAG_BYTES;

/** Nonce base and package nonce length (96 bits, both AEADs). Do not change: on-disk format. */
export const NONCE_BYTES = 12;

/** Object key (OEK) length. Do not change: on-disk format. */
export const OBJECT_KEY_BYTES = 32;

/** Object binding length (see objectBinding). Do not change: on-disk format. */
export const BINDING_BYTES = 32;

/** Associated data per package. Do not change: on-disk format. */
export const PACKAGE_AAD_BYTES = 48;

/** Most packages one stream may have: the nonce counter is 32 bits (256 TiB, far above S3's 5 TiB). */
export const MAX_PACKAGES = 2 ** 32;

/** The AEADs a stream can be sealed with. */
export type AeadAlgorithm = 'AES-256-GCM' | 'ChaCha20-Poly1305';

export const AEAD_ALGORITHMS: readonly AeadAlgorithm[] = ['AES-256-GCM', 'ChaCha20-Poly1305'];

export const DEFAULT_AEAD: AeadAlgorithm = 'AES-256-GCM';

/** Identifier of each AEAD in the associated data and key derivation. Do not change: on-disk format. */
export const AEAD_IDS: Readonly<Record<AeadAlgorithm, number>> = {
  'AES-256-GCM': 1,
  'ChaCha20-Poly1305': 2,
};

/** The node:crypto (OpenSSL) cipher name of each AEAD. */
export const NODE_CIPHERS: Readonly<Record<AeadAlgorithm, 'aes-256-gcm' | 'chacha20-poly1305'>> = {
  'AES-256-GCM': 'aes-256-gcm',
  'ChaCha20-Poly1305': 'chacha20-poly1305',
};

/** HKDF info prefix of package keys. Do not change: on-disk format. */
const PACKAGE_KEY_INFO = 'strata/sse/v1/package-key';

/** Hash prefix of object bindings. Do not change: on-disk format. */
const BINDING_DOMAIN = 'strata/sse/v1/object-binding';

export function isAeadAlgorithm(value: string): value is AeadAlgorithm {
  return (AEAD_ALGORITHMS as readonly string[]).includes(value);
}

/**
 * The 32-byte AEAD key of one stream: HKDF-SHA256(ikm = OEK, salt = empty,
 * info = "strata/sse/v1/package-key" || aead id (1 byte) || part number (uint32 BE)).
 * Part number 0 is a single-PUT object; 1..10000 are multipart parts, so each part is
 * sealed independently (in any order, retried, in parallel) without sharing a key.
 */
export function packageKey(objectKey: Uint8Array, aead: AeadAlgorithm, partNumber: number): Buffer {
  checkLength('object key', objectKey, OBJECT_KEY_BYTES);
  if (!Number.isInteger(partNumber) || partNumber < 0 || partNumber > 0xffff_ffff) {
    throw new RangeError(`part number ${partNumber} is not a uint32`);
  }
  const info = Buffer.alloc(PACKAGE_KEY_INFO.length + 5);
  info.write(PACKAGE_KEY_INFO, 0, 'latin1');
  info.writeUInt8(AEAD_IDS[aead], PACKAGE_KEY_INFO.length);
  info.writeUInt32BE(partNumber, PACKAGE_KEY_INFO.length + 1);
  return Buffer.from(hkdfSync('sha256', objectKey, Buffer.alloc(0), info, 32));
}

/**
 * Writes the nonce of package `index` into `out` (12 bytes): the nonce base with its last
 * 4 bytes XORed with the index as uint32 BE. Unique per package of a stream.
 */
export function packageNonce(nonceBase: Uint8Array, index: number, out: Buffer): void {
  out.set(nonceBase.subarray(0, NONCE_BYTES));
  out.writeUInt32BE((out.readUInt32BE(8) ^ index) >>> 0, 8);
}

/**
 * Writes the associated data of one package into `out` (48 bytes):
 *   0       format version (1)
 *   1       AEAD id (1 AES-256-GCM, 2 ChaCha20-Poly1305)
 *   2       flags: bit 0 = final package of the stream
 *   3       0 (reserved)
 *   4..7    part number, uint32 BE (0 = single-PUT object)
 *   8..15   package index, uint64 BE
 *   16..47  object binding
 */
export function packageAad(
  aead: AeadAlgorithm,
  partNumber: number,
  index: number,
  final: boolean,
  binding: Uint8Array,
  out: Buffer,
): void {
  out.writeUInt8(PACKAGE_FORMAT_VERSION, 0);
  out.writeUInt8(AEAD_IDS[aead], 1);
  out.writeUInt8(final ? 1 : 0, 2);
  out.writeUInt8(0, 3);
  out.writeUInt32BE(partNumber, 4);
  out.writeUInt32BE(Math.floor(index / 2 ** 32), 8);
  out.writeUInt32BE(index >>> 0, 12);
  out.set(binding.subarray(0, BINDING_BYTES), 16);
}

/**
 * The object binding placed in every package's associated data: SHA-256 of
 * "strata/sse/v1/object-binding" || uint32 BE length || bucket (UTF-8) || uint32 BE length || key (UTF-8).
 * Packages (and sealed object keys, which bind the same value) therefore only open
 * under the bucket and key they were written for.
 */
export function objectBinding(bucket: string, key: string): Buffer {
  const b = Buffer.from(bucket, 'utf8');
  const k = Buffer.from(key, 'utf8');
  const lengths = Buffer.alloc(8);
  lengths.writeUInt32BE(b.length, 0);
  lengths.writeUInt32BE(k.length, 4);
  return createHash('sha256')
    .update(BINDING_DOMAIN, 'latin1')
    .update(lengths.subarray(0, 4))
    .update(b)
    .update(lengths.subarray(4, 8))
    .update(k)
    .digest();
}

/** Packages in a stream of `plainBytes` (an empty stream is one empty package). */
export function packageCount(plainBytes: number): number {
  checkSize(plainBytes);
  return Math.max(1, Math.ceil(plainBytes / PACKAGE_PLAINTEXT_BYTES));
}

/** Sealed bytes of a stream of `plainBytes`: plaintext + 16 per package. */
export function sealedSize(plainBytes: number): number {
  return plainBytes + TAG_BYTES * packageCount(plainBytes);
}

/**
 * Plaintext bytes of a sealed stream of `sealedBytes`. Throws CryptoError('InvalidFormat')
 * for a size no stream can have (under 16 bytes, or a last package of 1..16 bytes after a
 * full one).
 */
export function plainSize(sealedBytes: number): number {
  checkSize(sealedBytes);
  if (sealedBytes === TAG_BYTES) return 0;
  const full = Math.floor(sealedBytes / PACKAGE_SEALED_BYTES);
  const rest = sealedBytes - full * PACKAGE_SEALED_BYTES;
  if (rest === 0 && full > 0) return full * PACKAGE_PLAINTEXT_BYTES;
  if (rest <= TAG_BYTES) {
    throw new CryptoError('InvalidFormat', `${sealedBytes} bytes is not the size of a sealed stream`);
  }
  return full * PACKAGE_PLAINTEXT_BYTES + rest - TAG_BYTES;
}

/** Which sealed bytes a plaintext range needs, and what to keep of their plaintext. */
export interface PackageRange {
  /** Index of the first package to read. */
  firstPackageIndex: number;
  /** Packages to read. */
  packageCount: number;
  /** Packages in the whole stream (the last one is the final package). */
  totalPackages: number;
  /** First sealed byte to read (offset in the sealed stream). */
  sealedStart: number;
  /** Last sealed byte to read, inclusive. */
  sealedEndInclusive: number;
  /** Plaintext bytes to drop from the start of the first package. */
  skipBytes: number;
  /** Plaintext bytes to deliver in all (end − start + 1). */
  takeBytes: number;
}

/**
 * Maps the inclusive plaintext range [plainStart, plainEndInclusive] of a stream of
 * `plainBytes` to whole packages: read `sealedStart..sealedEndInclusive`, decrypt, drop
 * `skipBytes`, keep `takeBytes`. Throws CryptoError('InvalidRange') for a range outside
 * the plaintext (the caller has validated it against the plaintext size already).
 */
export function packageRangeFor(
  plainBytes: number,
  plainStart: number,
  plainEndInclusive: number,
): PackageRange {
  checkSize(plainBytes);
  if (
    !Number.isSafeInteger(plainStart) ||
    !Number.isSafeInteger(plainEndInclusive) ||
    plainStart < 0 ||
    plainEndInclusive < plainStart ||
    plainEndInclusive >= plainBytes
  ) {
    throw new CryptoError(
      'InvalidRange',
      `range ${plainStart}-${plainEndInclusive} is outside a plaintext of ${plainBytes} bytes`,
    );
  }
  const totalPackages = packageCount(plainBytes);
  const first = Math.floor(plainStart / PACKAGE_PLAINTEXT_BYTES);
  const last = Math.floor(plainEndInclusive / PACKAGE_PLAINTEXT_BYTES);
  const lastPlainEnd = Math.min(plainBytes, (last + 1) * PACKAGE_PLAINTEXT_BYTES);
  return {
    firstPackageIndex: first,
    packageCount: last - first + 1,
    totalPackages,
    sealedStart: first * PACKAGE_SEALED_BYTES,
    sealedEndInclusive: lastPlainEnd + (last + 1) * TAG_BYTES - 1,
    skipBytes: plainStart - first * PACKAGE_PLAINTEXT_BYTES,
    takeBytes: plainEndInclusive - plainStart + 1,
  };
}

function checkSize(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`invalid size ${bytes}`);
}

export function checkLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.byteLength !== length) {
    throw new RangeError(`${what} must be ${length} bytes, got ${bytes.byteLength}`);
  }
}
