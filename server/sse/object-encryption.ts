import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { BufferLender } from '../../common/index.js';
import {
  type AeadAlgorithm,
  createEncryptStream,
  type EncryptingTransform,
  encodeObjectEncryption,
  encodePartEncryption,
  isAeadAlgorithm,
  type Kms,
  maskedETag,
  NONCE_BYTES,
  objectBinding,
  SSE_METADATA,
  type SseMode,
  sealedSize,
  sealObjectKey,
} from '../../crypto/index.js';
import type { ObjectLayer, ObjectMetadata } from '../../storage/index.js';
import { readBucketConfig } from '../bucket-config.js';
import { bucketDefaultEncryption } from '../encryption-document.js';
import { S3Error } from '../s3-errors.js';
import { sseCryptoError } from './sse-errors.js';
import { type SseRequest, sseRequestFor } from './sse-request.js';

/** Server-wide encryption settings (ServerOptions.sse; main.ts builds them from the environment). */
export interface SseSettings {
  /** The KMS for SSE-S3 and SSE-KMS; undefined when no root secret was configured (SSE-C still works). */
  kms: Kms | undefined;
  /** AEAD for new objects unless the bucket's default encryption names another. */
  aead: AeadAlgorithm;
  /** SSE-S3 for every new object that asks for no encryption and whose bucket has no default. */
  autoEncrypt: boolean;
  /** SSE-C over plain HTTP (S3 refuses it: the key would travel in clear). For tests only. */
  allowSsecOverHttp: boolean;
  /** Reusable buffers GETs decrypt into (buildServer lends them; absent: fresh memory per read). */
  plaintextBuffers?: BufferLender;
}

export const NO_SSE: SseSettings = {
  kms: undefined,
  aead: 'AES-256-GCM',
  autoEncrypt: false,
  allowSsecOverHttp: false,
};

/** What the object's response headers say about its encryption. */
export interface SseDescription {
  mode: SseMode;
  kmsKeyName?: string;
  context?: Readonly<Record<string, string>>;
  /** SSE-C: base64 MD5 of the customer key (from the request). */
  customerKeyMd5?: string;
}

/**
 * The encryption of one new object (or multipart upload): its fresh object key, already
 * sealed. The plaintext object key lives only in this value for the request's duration.
 */
export interface ObjectSealing extends SseDescription {
  aead: AeadAlgorithm;
  objectKey: Buffer;
  sealedKey: Buffer;
  /** objectBinding(bucket, key): the packages' associated data. */
  binding: Buffer;
}

/** The bucket and key an object is written to or read from. */
export interface SseTarget {
  bucket: string;
  key: string;
}

/** What resolving a write's encryption needs of the request. */
export interface SseWriteContext {
  objectLayer: ObjectLayer;
  sse: SseSettings;
  raw: IncomingMessage;
}

/**
 * The encryption of a new object: what the request asks for, else the bucket's default
 * encryption (PutBucketEncryption), else SSE-S3 when the server encrypts everything, else
 * none. Seals a fresh object key for `target`. Throws S3Error: InvalidRequest (SSE-C over
 * plain HTTP), NotImplemented (SSE-S3/KMS without a KMS), KMS.NotFoundException (unknown
 * key), InvalidArgument (bad context), NoSuchBucket.
 */
export async function sealNewObject(
  ctx: SseWriteContext,
  request: SseRequest | undefined,
  target: SseTarget,
): Promise<ObjectSealing | undefined> {
  const byDefault = await readBucketConfig(
    { objectLayer: ctx.objectLayer, bucket: target.bucket },
    'encryption',
  ).then((doc) => (doc === undefined ? undefined : bucketDefaultEncryption(doc)));
  const effective =
    request ??
    (byDefault === undefined ? undefined : sseRequestFor(byDefault.algorithm, byDefault.kmsKeyId)) ??
    (ctx.sse.autoEncrypt ? ({ mode: 'SSE-S3' } as const) : undefined);
  if (effective === undefined) return undefined;
  // Only encrypted writes pay for the second bucket read.
  const bucketAead = await readBucketConfig(
    { objectLayer: ctx.objectLayer, bucket: target.bucket },
    'sse-aead',
  );
  const aead = bucketAead !== undefined && isAeadAlgorithm(bucketAead) ? bucketAead : ctx.sse.aead;
  const binding = objectBinding(target.bucket, target.key);
  if (effective.mode === 'SSE-C') {
    requireSecureTransport(ctx);
    const { objectKey, sealed } = await sealObjectKey(
      { mode: 'SSE-C', customerKey: effective.key },
      target,
    ).catch((err: unknown) => {
      throw sseCryptoError(err);
    });
    return { mode: 'SSE-C', aead, objectKey, sealedKey: sealed, binding, customerKeyMd5: effective.keyMd5 };
  }
  const kms = requireKms(ctx.sse);
  try {
    if (effective.mode === 'SSE-S3') {
      const { objectKey, sealed } = await sealObjectKey({ mode: 'SSE-S3', kms }, target);
      return { mode: 'SSE-S3', aead, objectKey, sealedKey: sealed, binding, kmsKeyName: kms.defaultKeyName };
    }
    const keyName = effective.keyName ?? kms.defaultKeyName;
    const context = effective.context ?? {};
    const { objectKey, sealed } = await sealObjectKey({ mode: 'SSE-KMS', kms, keyName, context }, target);
    return { mode: 'SSE-KMS', aead, objectKey, sealedKey: sealed, binding, kmsKeyName: keyName, context };
  } catch (err) {
    throw sseCryptoError(err);
  }
}

/** The stream that seals one single-PUT body (or one multipart part), with its nonce base. */
export interface BodySealer {
  stream: EncryptingTransform;
  nonceBase: Buffer;
}

/** partNumber 0: a single-PUT object; 1..10000: a part of a multipart upload. */
export function bodySealer(sealing: ObjectSealing, partNumber = 0): BodySealer {
  const nonceBase = randomBytes(NONCE_BYTES);
  const stream = createEncryptStream({
    key: sealing.objectKey,
    nonceBase,
    aead: sealing.aead,
    binding: sealing.binding,
    partNumber,
  });
  return { stream, nonceBase };
}

/**
 * One body on its way to storage, sealed or not: what PutObject, POST uploads and CopyObject
 * need. Unencrypted objects pass through unchanged.
 */
export interface SealedBody {
  /** Undefined: the object is stored as sent. */
  sealing: ObjectSealing | undefined;
  /** The stream storage reads, and the size it will have (-1: unknown). Call once. */
  wrap(plain: Readable, plainSizeBytes: number): { stream: Readable; sizeBytes: number };
  /** The ETag to store for the plaintext MD5. */
  etag(md5Hex: string): string;
  /** Metadata entries recording the encryption; call once the body ended. */
  metadata(): ObjectMetadata;
  /** Response headers stating the encryption. */
  responseHeaders: Record<string, string>;
}

/** sealNewObject, then the body's sealing stream (see SealedBody). Throws like sealNewObject. */
export async function sealedBody(
  ctx: SseWriteContext,
  request: SseRequest | undefined,
  target: SseTarget,
): Promise<SealedBody> {
  const sealing = await sealNewObject(ctx, request, target);
  if (sealing === undefined) {
    return {
      sealing,
      wrap: (plain, plainSizeBytes) => ({ stream: plain, sizeBytes: plainSizeBytes }),
      etag: (md5Hex) => md5Hex,
      metadata: () => ({}),
      responseHeaders: {},
    };
  }
  let sealer: BodySealer | undefined;
  return {
    sealing,
    wrap: (plain, plainSizeBytes) => {
      const s = bodySealer(sealing);
      sealer = s;
      // An error of the plaintext stream (a digest mismatch, the client leaving) destroys the
      // sealing stream with it, so storage sees it and commits nothing.
      pipeline(plain, s.stream, () => {});
      return { stream: s.stream, sizeBytes: storedSize(plainSizeBytes) };
    },
    etag: (md5Hex) => encryptedETag(sealing, md5Hex),
    metadata: () => {
      if (sealer === undefined) throw new Error('SealedBody.metadata() before wrap()');
      return objectEncryptionMetadata(sealing, sealer.nonceBase, sealer.stream.plainBytes);
    },
    responseHeaders: sseResponseHeaders(sealing),
  };
}

/** The size storage will store for a plaintext of `plainBytes` (-1 stays unknown). */
export function storedSize(plainBytes: number): number {
  return plainBytes < 0 ? -1 : sealedSize(plainBytes);
}

/**
 * Metadata entries that record a single-PUT object's encryption (crypto/encryption-metadata.ts),
 * for its version record. `plainBytes` is known once the body ended.
 */
export function objectEncryptionMetadata(
  sealing: ObjectSealing,
  nonceBase: Buffer | undefined,
  plainBytes: number,
): ObjectMetadata {
  return encodeObjectEncryption({
    aead: sealing.aead,
    sealedKey: sealing.sealedKey,
    nonceBase,
    plainSizeBytes: plainBytes,
  });
}

/**
 * Metadata of a multipart upload: no nonce base (each part has its own) and a plaintext size
 * of 0 that CompleteMultipartUpload replaces with the sum of the parts'.
 */
export function uploadEncryptionMetadata(sealing: ObjectSealing): ObjectMetadata {
  return objectEncryptionMetadata(sealing, undefined, 0);
}

/** The completed object's plaintext size entry (overrides the upload's 0). */
export function completedSizeMetadata(plainBytes: number): ObjectMetadata {
  return { [SSE_METADATA.plainSize]: String(plainBytes) };
}

/** Metadata of one encrypted part. */
export function partEncryptionMetadata(nonceBase: Buffer, plainBytes: number): ObjectMetadata {
  return encodePartEncryption({ nonceBase, plainSizeBytes: plainBytes });
}

/**
 * The ETag of an encrypted object or part, as AWS: SSE-S3 keeps the plaintext MD5; SSE-KMS and
 * SSE-C objects get an ETag that is not the MD5 of their data (crypto's maskedETag).
 */
export function encryptedETag(sealing: Pick<ObjectSealing, 'mode' | 'objectKey'>, md5Hex: string): string {
  return sealing.mode === 'SSE-S3' ? md5Hex : maskedETag(sealing.objectKey, md5Hex);
}

/** Only the encryption entries of a version's metadata (kept when only its other metadata changes). */
export function encryptionMetadata(metadata: ObjectMetadata): ObjectMetadata {
  const out: ObjectMetadata = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (name.startsWith(SSE_METADATA_PREFIX)) out[name] = value;
  }
  return out;
}

/** Every SSE_METADATA name starts with this. */
const SSE_METADATA_PREFIX = 'x-strata-sse-';

/** Strips the encryption entries from metadata copied from another object (they belong to its key). */
export function withoutEncryptionMetadata(metadata: ObjectMetadata): ObjectMetadata {
  const out: ObjectMetadata = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (!name.startsWith(SSE_METADATA_PREFIX)) out[name] = value;
  }
  return out;
}

/**
 * Response headers that state an object's encryption (PutObject, GetObject, HeadObject,
 * CopyObject, multipart operations, POST).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#API_PutObject_ResponseSyntax
 */
export function sseResponseHeaders(d: SseDescription | undefined): Record<string, string> {
  if (d === undefined) return {};
  if (d.mode === 'SSE-C') {
    return {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      ...(d.customerKeyMd5 === undefined
        ? {}
        : { 'x-amz-server-side-encryption-customer-key-md5': d.customerKeyMd5 }),
    };
  }
  if (d.mode === 'SSE-S3') return { 'x-amz-server-side-encryption': 'AES256' };
  const out: Record<string, string> = {
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': d.kmsKeyName ?? '',
  };
  if (d.context !== undefined && Object.keys(d.context).length > 0) {
    out['x-amz-server-side-encryption-context'] = Buffer.from(JSON.stringify(d.context)).toString('base64');
  }
  return out;
}

function requireKms(settings: SseSettings): Kms {
  if (settings.kms === undefined) {
    throw new S3Error('NotImplemented', {
      message: 'Server side encryption specified but KMS is not configured',
    });
  }
  return settings.kms;
}

/** S3 refuses SSE-C keys sent over plain HTTP. */
export function requireSecureTransport(ctx: { sse: SseSettings; raw: IncomingMessage }): void {
  if (ctx.sse.allowSsecOverHttp) return;
  if ((ctx.raw.socket as Partial<TLSSocket>).encrypted === true) return;
  throw new S3Error('InvalidRequest', {
    message:
      'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.',
  });
}
