import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { decodeContext, type EncryptionContext, encodeContext } from './encryption-context.js';
import { CryptoError } from './errors.js';
import type { Kms } from './kms.js';
import { checkLength, OBJECT_KEY_BYTES, objectBinding } from './package-format.js';

/**
 * Object keys (OEKs) and how they are sealed for the three S3 modes. Every object gets a
 * fresh random 32-byte OEK; what is stored is the sealed object key below, which opens
 * only for the same bucket and key (and, for SSE-C, the same customer key):
 *
 *   0        format version (1)
 *   1        mode: 1 SSE-S3, 2 SSE-KMS, 3 SSE-C
 *   2..33    salt (32 random bytes)
 *   34..81   AES-256-GCM(OEK) || tag, under KEK = HKDF-SHA256(ikm, salt,
 *            "strata/sse/v1/kek" || mode || objectBinding(bucket, key)), nonce 12 zero bytes
 *            (each KEK seals one value); ikm = the KMS data key (SSE-S3/SSE-KMS) or the
 *            customer key (SSE-C)
 *   SSE-S3 / SSE-KMS:
 *     82       n = KMS key name length; then the key name (UTF-8)
 *     …        uint16 BE length; encodeContext(user context) (empty context for SSE-S3)
 *     …        uint16 BE length; the KMS's sealed data key (carries the key version)
 *   SSE-C:
 *     82..113  HMAC-SHA256(key = salt, "strata/sse/v1/ssec-check" || customer key): checks the
 *              key on GET without storing it (a 256-bit key cannot be guessed from it)
 *
 * The AAD of the OEK seal is "strata/sse/v1/object-key" || bytes 0..33 || the mode-specific
 * bytes, except the sealed data key (which re-wrap replaces). The KMS data key is sealed
 * with context = user context + { "aws:s3:arn": "arn:aws:s3:::bucket/key" }.
 * Do not change: on-disk format.
 */

export type SseMode = 'SSE-S3' | 'SSE-KMS' | 'SSE-C';

/** The object a key is sealed for: moving a sealed key to another bucket or key breaks it. */
export interface ObjectKeyTarget {
  bucket: string;
  key: string;
}

export type SealObjectKeyRequest =
  | { mode: 'SSE-S3'; kms: Kms }
  | { mode: 'SSE-KMS'; kms: Kms; keyName: string; context?: EncryptionContext }
  | { mode: 'SSE-C'; customerKey: Uint8Array };

/** What may be said about a sealed key without opening it (response headers, re-wrap, listings). */
export interface SealedObjectKeyDescription {
  mode: SseMode;
  /** SSE-S3 / SSE-KMS: the KMS key name. */
  kmsKeyName?: string;
  /** SSE-KMS: the user's encryption context (for x-amz-server-side-encryption-context). */
  context?: Record<string, string>;
}

/** Context name binding a KMS data key to its object, as S3 does. */
export const OBJECT_ARN_CONTEXT = 'aws:s3:arn';

/** Sealed object key format version, and domain strings. Do not change: on-disk format. */
const OBJECT_KEY_FORMAT = 1;
const KEK_INFO = 'strata/sse/v1/kek';
const OBJECT_KEY_AAD = 'strata/sse/v1/object-key';
const SSEC_CHECK = 'strata/sse/v1/ssec-check';
const ETAG_INFO = 'strata/sse/v1/etag';
const MODE_IDS: Readonly<Record<SseMode, number>> = { 'SSE-S3': 1, 'SSE-KMS': 2, 'SSE-C': 3 };
const SALT_BYTES = 32;
const SEALED_OEK_BYTES = OBJECT_KEY_BYTES + 16;
const FIXED_BYTES = 2 + SALT_BYTES + SEALED_OEK_BYTES;
const ZERO_NONCE = Buffer.alloc(12);

/**
 * A fresh random object key and its sealed form for `target`. SSE-S3 seals under the KMS's
 * default key, SSE-KMS under the named key with the user's context (which must not set
 * aws:s3:arn to anything but this object's ARN), SSE-C under the customer key (32 bytes;
 * the caller has checked its MD5 header). Throws CryptoError from the KMS (KeyNotFound,
 * InvalidKeyName, InvalidContext).
 */
export async function sealObjectKey(
  request: SealObjectKeyRequest,
  target: ObjectKeyTarget,
): Promise<{ objectKey: Buffer; sealed: Buffer }> {
  const objectKey = randomBytes(OBJECT_KEY_BYTES);
  const salt = randomBytes(SALT_BYTES);
  const binding = objectBinding(target.bucket, target.key);
  const mode = request.mode;
  if (mode === 'SSE-C') {
    checkLength('SSE-C customer key', request.customerKey, 32);
    const check = customerKeyCheck(salt, request.customerKey);
    const sealedOek = sealOek(request.customerKey, mode, salt, binding, objectKey, check);
    return { objectKey, sealed: Buffer.concat([header(mode, salt), sealedOek, check]) };
  }
  const keyName = mode === 'SSE-S3' ? request.kms.defaultKeyName : request.keyName;
  const userContext = mode === 'SSE-KMS' ? (request.context ?? {}) : {};
  const context = kmsContext(userContext, target);
  const dataKey = await request.kms.generateDataKey(keyName, context);
  const bound = kmsBoundBytes(keyName, userContext);
  const sealedOek = sealOek(dataKey.plaintext, mode, salt, binding, objectKey, bound);
  return {
    objectKey,
    sealed: Buffer.concat([header(mode, salt), sealedOek, bound, lengthPrefixed(dataKey.sealed)]),
  };
}

/**
 * Opens a sealed object key for `target`. SSE-S3/SSE-KMS need `kms`; SSE-C needs the
 * request's `customerKey`. Throws CryptoError: 'WrongCustomerKey' (missing or different
 * customer key: S3's 403 AccessDenied), 'KeyUnsealFailed' (tampered, or another object's
 * sealed key), 'KeyNotFound', 'InvalidFormat'.
 */
export async function unsealObjectKey(
  sealed: Uint8Array,
  target: ObjectKeyTarget,
  secrets: { kms?: Kms; customerKey?: Uint8Array },
): Promise<Buffer> {
  const parsed = parseSealedObjectKey(sealed);
  const binding = objectBinding(target.bucket, target.key);
  let ikm: Uint8Array;
  if (parsed.mode === 'SSE-C') {
    const customerKey = secrets.customerKey;
    if (customerKey === undefined) {
      throw new CryptoError(
        'WrongCustomerKey',
        'the object is SSE-C encrypted and no customer key was given',
      );
    }
    if (
      customerKey.byteLength !== 32 ||
      !timingSafeEqual(customerKeyCheck(parsed.salt, customerKey), parsed.bound)
    ) {
      throw new CryptoError('WrongCustomerKey', 'the customer key does not match the object');
    }
    ikm = customerKey;
  } else {
    if (secrets.kms === undefined) throw new Error(`unsealObjectKey: a ${parsed.mode} key needs the KMS`);
    ikm = await secrets.kms.decryptDataKey(
      parsed.kmsKeyName ?? '',
      parsed.sealedDataKey ?? Buffer.alloc(0),
      kmsContext(parsed.context ?? {}, target),
    );
  }
  return openOek(ikm, parsed, binding);
}

/** Mode, KMS key name and user context of a sealed object key, without opening it. Throws CryptoError('InvalidFormat'). */
export function describeSealedObjectKey(sealed: Uint8Array): SealedObjectKeyDescription {
  const parsed = parseSealedObjectKey(sealed);
  if (parsed.mode === 'SSE-C') return { mode: 'SSE-C' };
  return parsed.mode === 'SSE-KMS'
    ? { mode: 'SSE-KMS', kmsKeyName: parsed.kmsKeyName ?? '', context: parsed.context ?? {} }
    : { mode: 'SSE-S3', kmsKeyName: parsed.kmsKeyName ?? '' };
}

/**
 * Re-seals the KMS data key inside a sealed object key under the newest version of its
 * KMS key (after rotateKey), without touching the OEK or the data: store `sealed` in place
 * of the old one when `changed`. SSE-C keys are returned unchanged (no KMS involved).
 * Throws like unsealObjectKey.
 */
export async function rewrapObjectKey(
  sealed: Uint8Array,
  target: ObjectKeyTarget,
  kms: Kms,
): Promise<{ sealed: Uint8Array; changed: boolean }> {
  const parsed = parseSealedObjectKey(sealed);
  if (parsed.mode === 'SSE-C' || parsed.sealedDataKey === undefined) return { sealed, changed: false };
  const result = await kms.reencryptDataKey(
    parsed.kmsKeyName ?? '',
    parsed.sealedDataKey,
    kmsContext(parsed.context ?? {}, target),
  );
  if (!result.changed) return { sealed, changed: false };
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  return {
    sealed: Buffer.concat([buf.subarray(0, parsed.dataKeyOffset), lengthPrefixed(result.sealed)]),
    changed: true,
  };
}

/**
 * The ETag stored for SSE-KMS and SSE-C objects (S3: "not an MD5 digest of the object
 * data"): 32 hex characters of HMAC-SHA256 under a key derived from the OEK over the
 * plaintext MD5. Stable for the object, and reveals nothing about the plaintext (an
 * unmasked MD5 would let anyone confirm a guess of an SSE-C object's content).
 */
export function maskedETag(objectKey: Uint8Array, plaintextMd5Hex: string): string {
  checkLength('object key', objectKey, OBJECT_KEY_BYTES);
  const key = Buffer.from(hkdfSync('sha256', objectKey, Buffer.alloc(0), ETAG_INFO, 32));
  return createHmac('sha256', key).update(Buffer.from(plaintextMd5Hex, 'hex')).digest('hex').slice(0, 32);
}

interface ParsedSealedObjectKey {
  mode: SseMode;
  salt: Buffer;
  sealedOek: Buffer;
  /** The mode-specific bytes authenticated with the OEK (SSE-C: the check value). */
  bound: Buffer;
  kmsKeyName?: string;
  context?: Record<string, string>;
  sealedDataKey?: Buffer;
  /** Where the length-prefixed sealed data key starts. */
  dataKeyOffset: number;
  header: Buffer;
}

function parseSealedObjectKey(sealed: Uint8Array): ParsedSealedObjectKey {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.length < FIXED_BYTES || buf[0] !== OBJECT_KEY_FORMAT) {
    throw new CryptoError('InvalidFormat', `unknown sealed object key format ${buf[0]}`);
  }
  const mode = (Object.keys(MODE_IDS) as SseMode[]).find((m) => MODE_IDS[m] === buf[1]);
  if (mode === undefined) throw new CryptoError('InvalidFormat', `unknown SSE mode ${buf[1]}`);
  const base = {
    mode,
    salt: buf.subarray(2, 2 + SALT_BYTES),
    sealedOek: buf.subarray(2 + SALT_BYTES, FIXED_BYTES),
    header: buf.subarray(0, 2 + SALT_BYTES),
  };
  const bad = (): CryptoError => new CryptoError('InvalidFormat', 'malformed sealed object key');
  if (mode === 'SSE-C') {
    if (buf.length !== FIXED_BYTES + 32) throw bad();
    return { ...base, bound: buf.subarray(FIXED_BYTES), dataKeyOffset: buf.length };
  }
  let pos = FIXED_BYTES;
  const nameLength = buf[pos] ?? 0;
  pos += 1;
  if (pos + nameLength + 2 > buf.length) throw bad();
  const kmsKeyName = buf.toString('utf8', pos, pos + nameLength);
  pos += nameLength;
  const contextLength = buf.readUInt16BE(pos);
  pos += 2;
  if (pos + contextLength + 2 > buf.length) throw bad();
  const context = decodeContext(buf.subarray(pos, pos + contextLength));
  pos += contextLength;
  const dataKeyOffset = pos;
  const dataKeyLength = buf.readUInt16BE(pos);
  pos += 2;
  if (pos + dataKeyLength !== buf.length) throw bad();
  return {
    ...base,
    bound: buf.subarray(FIXED_BYTES, dataKeyOffset),
    kmsKeyName,
    context,
    sealedDataKey: buf.subarray(pos),
    dataKeyOffset,
  };
}

function header(mode: SseMode, salt: Buffer): Buffer {
  return Buffer.concat([Buffer.from([OBJECT_KEY_FORMAT, MODE_IDS[mode]]), salt]);
}

function kek(ikm: Uint8Array, mode: SseMode, salt: Buffer, binding: Buffer): Buffer {
  const info = Buffer.concat([Buffer.from(KEK_INFO, 'latin1'), Buffer.from([MODE_IDS[mode]]), binding]);
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

function oekAad(mode: SseMode, salt: Buffer, bound: Buffer): Buffer {
  return Buffer.concat([Buffer.from(OBJECT_KEY_AAD, 'latin1'), header(mode, salt), bound]);
}

function sealOek(
  ikm: Uint8Array,
  mode: SseMode,
  salt: Buffer,
  binding: Buffer,
  objectKey: Buffer,
  bound: Buffer,
): Buffer {
  const cipher = createCipheriv('aes-256-gcm', kek(ikm, mode, salt, binding), ZERO_NONCE, {
    authTagLength: 16,
  });
  cipher.setAAD(oekAad(mode, salt, bound));
  return Buffer.concat([cipher.update(objectKey), cipher.final(), cipher.getAuthTag()]);
}

function openOek(ikm: Uint8Array, parsed: ParsedSealedObjectKey, binding: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', kek(ikm, parsed.mode, parsed.salt, binding), ZERO_NONCE, {
    authTagLength: 16,
  });
  decipher.setAAD(oekAad(parsed.mode, parsed.salt, parsed.bound));
  decipher.setAuthTag(parsed.sealedOek.subarray(OBJECT_KEY_BYTES));
  try {
    return Buffer.concat([decipher.update(parsed.sealedOek.subarray(0, OBJECT_KEY_BYTES)), decipher.final()]);
  } catch (err) {
    throw new CryptoError(
      'KeyUnsealFailed',
      'the sealed object key does not open: tampered, or sealed for another object',
      { cause: err },
    );
  }
}

function customerKeyCheck(salt: Buffer, customerKey: Uint8Array): Buffer {
  return createHmac('sha256', salt).update(SSEC_CHECK, 'latin1').update(customerKey).digest();
}

/** The KMS context of an object's data key: the user's, plus the object's ARN. */
function kmsContext(user: EncryptionContext, target: ObjectKeyTarget): EncryptionContext {
  const arn = `arn:aws:s3:::${target.bucket}/${target.key}`;
  const given = Object.hasOwn(user, OBJECT_ARN_CONTEXT) ? user[OBJECT_ARN_CONTEXT] : undefined;
  if (given !== undefined && given !== arn) {
    throw new CryptoError(
      'InvalidContext',
      `encryption context "${OBJECT_ARN_CONTEXT}" must be the object's ARN`,
    );
  }
  return { ...user, [OBJECT_ARN_CONTEXT]: arn };
}

/** Key name and user context, as stored and authenticated with the OEK. */
function kmsBoundBytes(keyName: string, userContext: EncryptionContext): Buffer {
  const name = Buffer.from(keyName, 'utf8');
  if (name.length > 255) throw new CryptoError('InvalidKeyName', 'KMS key name longer than 255 bytes');
  const context = encodeContext(userContext);
  const contextLength = Buffer.alloc(2);
  contextLength.writeUInt16BE(context.length);
  return Buffer.concat([Buffer.from([name.length]), name, contextLength, context]);
}

function lengthPrefixed(bytes: Uint8Array): Buffer {
  if (bytes.byteLength > 0xffff) throw new RangeError('sealed data key longer than 65535 bytes');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.byteLength);
  return Buffer.concat([length, bytes]);
}
