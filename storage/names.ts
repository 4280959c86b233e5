import { StorageError } from './types.js';

/** Longest object key in UTF-8 bytes (S3's limit). */
export const MAX_KEY_BYTES = 1024;

/** With the u flag, only unpaired surrogates match. */
const LONE_SURROGATE_RE = /\p{Surrogate}/u;

const BUCKET_NAME_RE = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;

/** Throws StorageError('InvalidName') unless `bucket` is a storable bucket name (S3 rules, plus '_'). */
export function validateBucketName(bucket: string): void {
  if (!BUCKET_NAME_RE.test(bucket))
    throw new StorageError('InvalidName', `invalid bucket name ${JSON.stringify(bucket)}`);
}

/**
 * Throws StorageError('InvalidName') unless `key` is non-empty, at most 1024 UTF-8 bytes
 * and well-formed UTF-16 (a lone surrogate would not survive the UTF-8 round trip).
 */
export function validateObjectKey(key: string): void {
  if (key.length === 0 || Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES || LONE_SURROGATE_RE.test(key)) {
    throw new StorageError('InvalidName', 'invalid object key');
  }
}

/** Maps a UTF-16 code unit so that unit order equals code point order (and so UTF-8 byte order). */
function fixup(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Compares two strings in UTF-8 binary order (S3 listing order) without encoding them. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return fixup(ca) - fixup(cb);
  }
  return a.length - b.length;
}
