import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { objectBinding } from '../../crypto/index.js';
import type { GetObjectResult, ObjectInfo, ObjectLayer, ObjectMetadata } from '../../storage/index.js';
import { isS3Error, S3Error } from '../s3-errors.js';
import {
  readDecrypted,
  type SseReadContext,
  type StoredEncryption,
  storedEncryption,
  unsealForRead,
} from './decrypt-object.js';
import {
  bodySealer,
  encryptedETag,
  type ObjectSealing,
  partEncryptionMetadata,
  type SseSettings,
  type SseTarget,
  storedSize,
} from './object-encryption.js';
import type { SseCustomerKey } from './sse-request.js';

/**
 * The sealing of an encrypted multipart upload, opened for writing one more part: the object
 * key sealed at CreateMultipartUpload, checked against the request's SSE-C key (which every
 * UploadPart of an SSE-C upload must send, as AWS); undefined for an unencrypted upload.
 * `uploadMetadata` is MultipartUploadInfo.metadata. Throws S3Error like GetObject's checks.
 */
export async function openUploadSealing(
  ctx: SseReadContext,
  uploadMetadata: ObjectMetadata,
  target: SseTarget,
  customerKey: SseCustomerKey | undefined,
): Promise<ObjectSealing | undefined> {
  let stored: StoredEncryption | undefined;
  try {
    stored = await storedEncryption(ctx, { metadata: uploadMetadata }, target, customerKey);
  } catch (err) {
    // Another customer key than the upload's: S3 answers a part with InvalidArgument.
    if (isS3Error(err) && err.code === 'AccessDenied') {
      throw new S3Error('InvalidArgument', {
        message: 'The provided encryption parameters did not match the ones used originally.',
        cause: err,
        extra: { ArgumentName: 'x-amz-server-side-encryption-customer-key', ArgumentValue: '' },
      });
    }
    throw err;
  }
  if (stored === undefined) return undefined;
  const objectKey = await unsealForRead(ctx.sse, stored);
  return {
    ...stored.description,
    aead: stored.encryption.aead,
    objectKey,
    sealedKey: Buffer.from(stored.encryption.sealedKey),
    binding: objectBinding(target.bucket, target.key),
  };
}

/** One part's body on its way to storage, sealed with the upload's key when it has one. */
export interface SealedPartBody {
  wrap(plain: Readable, plainSizeBytes: number): { stream: Readable; sizeBytes: number };
  etag(md5Hex: string): string;
  /** The part's encryption metadata (nonce base, plaintext size); call once the body ended. */
  metadata(): ObjectMetadata;
}

export function sealedPartBody(sealing: ObjectSealing | undefined, partNumber: number): SealedPartBody {
  if (sealing === undefined) {
    return {
      wrap: (plain, plainSizeBytes) => ({ stream: plain, sizeBytes: plainSizeBytes }),
      etag: (md5Hex) => md5Hex,
      metadata: () => ({}),
    };
  }
  const sealer = bodySealer(sealing, partNumber);
  return {
    wrap: (plain, plainSizeBytes) => {
      pipeline(plain, sealer.stream, () => {});
      return { stream: sealer.stream, sizeBytes: storedSize(plainSizeBytes) };
    },
    etag: (md5Hex) => encryptedETag(sealing, md5Hex),
    metadata: () => partEncryptionMetadata(sealer.nonceBase, sealer.stream.plainBytes),
  };
}

/** What reading a copy source needs of the request. */
export interface PlaintextReadContext extends SseReadContext {
  objectLayer: ObjectLayer;
  log: FastifyBaseLogger;
  sse: SseSettings;
}

/**
 * The plaintext of `info` (a version of `source`), or of its inclusive plaintext `range`:
 * decrypted with the KMS or the copy source's SSE-C key when the version is encrypted (the
 * key is checked before anything is read). `versionId` is what storage opens (encrypted
 * versions always open exactly `info.versionId`). Throws S3Error like GetObject.
 */
export async function readPlaintext(
  ctx: PlaintextReadContext,
  source: SseTarget,
  info: ObjectInfo,
  range: { start: number; end: number } | undefined,
  versionId: string | undefined,
  customerKey: SseCustomerKey | undefined,
): Promise<GetObjectResult> {
  const stored = await storedEncryption(ctx, info, source, customerKey);
  if (stored === undefined) {
    return ctx.objectLayer.getObject(source.bucket, source.key, {
      ...(range === undefined ? {} : { range }),
      ...(versionId === undefined ? {} : { versionId }),
    });
  }
  const objectKey = await unsealForRead(ctx.sse, stored);
  return readDecrypted(ctx.objectLayer, stored, objectKey, info, range, info.versionId, ctx.log);
}
