import { CryptoError } from './errors.js';
import {
  type AeadAlgorithm,
  isAeadAlgorithm,
  NONCE_BYTES,
  PACKAGE_FORMAT_VERSION,
} from './package-format.js';

/**
 * How an encrypted object's parameters are kept in its version record: entries of the
 * flat metadata map storage/ stores verbatim (internal `x-strata-` names, which server/
 * never returns as headers). Do not change: on-disk format.
 *
 * Object (single PUT, or the completed multipart object / the upload):
 *   x-strata-sse-format      "1" (package format version; implies 64 KiB packages)
 *   x-strata-sse-aead        "AES-256-GCM" | "ChaCha20-Poly1305"
 *   x-strata-sse-sealed-key  base64 of the sealed object key (object-key.ts)
 *   x-strata-sse-nonce       base64 of the 12-byte nonce base (single PUT only)
 *   x-strata-sse-size        plaintext size in bytes (decimal); storage's size is the sealed size
 * Part (multipart, per part in its part metadata):
 *   x-strata-sse-nonce       base64 of the part's own nonce base
 *   x-strata-sse-size        the part's plaintext size
 */
export const SSE_METADATA = {
  format: 'x-strata-sse-format',
  aead: 'x-strata-sse-aead',
  sealedKey: 'x-strata-sse-sealed-key',
  nonceBase: 'x-strata-sse-nonce',
  plainSize: 'x-strata-sse-size',
} as const;

/** The encryption of one object version, as stored. */
export interface ObjectEncryption {
  aead: AeadAlgorithm;
  sealedKey: Uint8Array;
  /** Single-PUT objects; undefined for multipart objects (each part has its own). */
  nonceBase: Uint8Array | undefined;
  plainSizeBytes: number;
}

/** The encryption of one multipart part, as stored with the part. */
export interface PartEncryption {
  nonceBase: Uint8Array;
  plainSizeBytes: number;
}

export function encodeObjectEncryption(e: ObjectEncryption): Record<string, string> {
  const out: Record<string, string> = {
    [SSE_METADATA.format]: String(PACKAGE_FORMAT_VERSION),
    [SSE_METADATA.aead]: e.aead,
    [SSE_METADATA.sealedKey]: Buffer.from(e.sealedKey).toString('base64'),
    [SSE_METADATA.plainSize]: String(e.plainSizeBytes),
  };
  if (e.nonceBase !== undefined) out[SSE_METADATA.nonceBase] = Buffer.from(e.nonceBase).toString('base64');
  return out;
}

/**
 * The encryption recorded in `metadata`, or undefined for a plaintext object.
 * Throws CryptoError('InvalidFormat') for an unknown format version or malformed values.
 */
export function decodeObjectEncryption(
  metadata: Readonly<Record<string, string>>,
): ObjectEncryption | undefined {
  const format = metadata[SSE_METADATA.format];
  if (format === undefined) return undefined;
  if (format !== String(PACKAGE_FORMAT_VERSION)) {
    throw new CryptoError('InvalidFormat', `unknown encryption format version ${JSON.stringify(format)}`);
  }
  const aead = metadata[SSE_METADATA.aead] ?? '';
  if (!isAeadAlgorithm(aead)) throw new CryptoError('InvalidFormat', `unknown AEAD ${JSON.stringify(aead)}`);
  const nonce = metadata[SSE_METADATA.nonceBase];
  return {
    aead,
    sealedKey: base64(metadata[SSE_METADATA.sealedKey], 'sealed key'),
    nonceBase: nonce === undefined ? undefined : nonceBase(nonce),
    plainSizeBytes: size(metadata[SSE_METADATA.plainSize]),
  };
}

export function encodePartEncryption(e: PartEncryption): Record<string, string> {
  return {
    [SSE_METADATA.nonceBase]: Buffer.from(e.nonceBase).toString('base64'),
    [SSE_METADATA.plainSize]: String(e.plainSizeBytes),
  };
}

/** The part's encryption from its metadata. Throws CryptoError('InvalidFormat') when missing or malformed. */
export function decodePartEncryption(metadata: Readonly<Record<string, string>>): PartEncryption {
  return {
    nonceBase: nonceBase(metadata[SSE_METADATA.nonceBase]),
    plainSizeBytes: size(metadata[SSE_METADATA.plainSize]),
  };
}

function base64(value: string | undefined, what: string): Buffer {
  if (value === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new CryptoError('InvalidFormat', `encryption metadata: missing or malformed ${what}`);
  }
  return Buffer.from(value, 'base64');
}

function nonceBase(value: string | undefined): Buffer {
  const bytes = base64(value, 'nonce base');
  if (bytes.length !== NONCE_BYTES)
    throw new CryptoError('InvalidFormat', 'encryption metadata: nonce base is not 12 bytes');
  return bytes;
}

function size(value: string | undefined): number {
  if (value === undefined || !/^(0|[1-9]\d{0,15})$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CryptoError('InvalidFormat', 'encryption metadata: missing or malformed plaintext size');
  }
  return Number(value);
}
