import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { BufferLender } from '../../common/index.js';
import {
  createDecryptStream,
  createMultipartDecryptStream,
  decodeObjectEncryption,
  decodePartEncryption,
  describeSealedObjectKey,
  isCryptoError,
  type ObjectEncryption,
  objectBinding,
  packageRangeFor,
  planMultipartRange,
  type SealedPart,
  unsealObjectKey,
  wholeStreamRange,
} from '../../crypto/index.js';
import type { GetObjectResult, ObjectInfo, ObjectLayer, ObjectMetadata } from '../../storage/index.js';
import { S3Error } from '../s3-errors.js';
import {
  requireSecureTransport,
  type SseDescription,
  type SseSettings,
  type SseTarget,
} from './object-encryption.js';
import { sseCryptoError } from './sse-errors.js';
import type { SseCustomerKey } from './sse-request.js';

/** An encrypted object version as stored, checked against the request's SSE-C key. */
export interface StoredEncryption {
  encryption: ObjectEncryption;
  description: SseDescription;
  target: SseTarget;
  customerKey: SseCustomerKey | undefined;
  /** SSE-C: the object key, opened while checking the customer key. */
  objectKey: Buffer | undefined;
}

/** What reading an object's encryption needs of the request. */
export interface SseReadContext {
  sse: SseSettings;
  raw: IncomingMessage;
}

/**
 * How `info` (a version of `target`) is encrypted, after checking the request's SSE-C key
 * against it; undefined for a plaintext object. No KMS call is made (HEAD of an SSE-S3/KMS
 * object stays cheap); an SSE-C key is checked by opening the object key, a local operation.
 * Throws S3Error: InvalidRequest (an SSE-C object read without its key, or a key given for
 * an object that is not SSE-C), AccessDenied (another customer key), InternalError
 * (malformed stored encryption).
 */
export async function storedEncryption(
  ctx: SseReadContext,
  info: Pick<ObjectInfo, 'metadata'>,
  target: SseTarget,
  customerKey: SseCustomerKey | undefined,
): Promise<StoredEncryption | undefined> {
  if (customerKey !== undefined) requireSecureTransport(ctx);
  const decoded = decodeStored(info.metadata);
  if (decoded === undefined) {
    if (customerKey !== undefined) {
      throw new S3Error('InvalidRequest', {
        message: 'The encryption parameters are not applicable to this object.',
      });
    }
    return undefined;
  }
  const { encryption, description } = decoded;
  if (description.mode === 'SSE-C') {
    if (customerKey === undefined) {
      throw new S3Error('InvalidRequest', {
        message:
          'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
      });
    }
    description.customerKeyMd5 = customerKey.keyMd5;
    let objectKey: Buffer;
    try {
      objectKey = await unsealObjectKey(encryption.sealedKey, target, { customerKey: customerKey.key });
    } catch (err) {
      throw sseCryptoError(err);
    }
    return { encryption, description, target, customerKey, objectKey };
  } else if (customerKey !== undefined) {
    throw new S3Error('InvalidRequest', {
      message: 'The encryption parameters are not applicable to this object.',
    });
  }
  return { encryption, description, target, customerKey, objectKey: undefined };
}

/**
 * How a stored version (or multipart upload) is encrypted, from its metadata alone (no key
 * is checked or opened): for response headers. Undefined when not encrypted. Throws
 * S3Error (500) for malformed stored values.
 */
export function uploadDescription(metadata: ObjectMetadata): SseDescription | undefined {
  return decodeStored(metadata)?.description;
}

function decodeStored(
  metadata: ObjectMetadata,
): { encryption: ObjectEncryption; description: SseDescription } | undefined {
  try {
    const encryption = decodeObjectEncryption(metadata);
    if (encryption === undefined) return undefined;
    const d = describeSealedObjectKey(encryption.sealedKey);
    const description: SseDescription = {
      mode: d.mode,
      ...(d.kmsKeyName === undefined ? {} : { kmsKeyName: d.kmsKeyName }),
      ...(d.context === undefined ? {} : { context: d.context }),
    };
    return { encryption, description };
  } catch (err) {
    throw sseCryptoError(err);
  }
}

/** Opens the object key (KMS call for SSE-S3/KMS; customer key check for SSE-C). Throws S3Error. */
export async function unsealForRead(settings: SseSettings, stored: StoredEncryption): Promise<Buffer> {
  if (stored.objectKey !== undefined) return stored.objectKey;
  if (stored.description.mode !== 'SSE-C' && settings.kms === undefined) {
    throw new S3Error('NotImplemented', {
      message: 'The object is encrypted with a KMS key and this server has no KMS configured',
    });
  }
  try {
    return await unsealObjectKey(stored.encryption.sealedKey, stored.target, {
      ...(settings.kms === undefined ? {} : { kms: settings.kms }),
      ...(stored.customerKey === undefined ? {} : { customerKey: stored.customerKey.key }),
    });
  } catch (err) {
    throw sseCryptoError(err);
  }
}

/** The sealed streams of a multipart object's parts, from their part metadata. Throws S3Error (500) when malformed. */
export function sealedParts(info: ObjectInfo): SealedPart[] | undefined {
  if (info.parts === undefined) return undefined;
  try {
    return info.parts.map((p) => ({ partNumber: p.partNumber, ...decodePartEncryption(p.metadata) }));
  } catch (err) {
    throw sseCryptoError(err);
  }
}

/**
 * Reads and decrypts the plaintext range `range` (inclusive; the whole object when absent)
 * of an encrypted version: only the packages that hold the range are read and opened.
 * `info` carries plaintext sizes (PlaintextObjectLayer). The returned info is storage's for
 * the version opened (the caller compares it with `info`); the stream delivers exactly the
 * range, or fails with InternalError when any package does not authenticate — it never
 * delivers a byte that did not. The caller consumes or destroys the stream. With
 * `plaintextBuffers`, plaintext goes into buffers lent from there while the stream is piped
 * into an HTTP response (crypto/decrypt-stream.ts); only for that consumer.
 */
export async function readDecrypted(
  objectLayer: ObjectLayer,
  stored: StoredEncryption,
  objectKey: Buffer,
  info: ObjectInfo,
  range: { start: number; end: number } | undefined,
  versionId: string | undefined,
  log: FastifyBaseLogger,
  plaintextBuffers?: BufferLender,
): Promise<GetObjectResult> {
  const { encryption, target } = stored;
  const binding = objectBinding(target.bucket, target.key);
  const version = versionId === undefined ? {} : { versionId };
  let sealedRange: { start: number; end: number } | undefined;
  let decrypt: NodeJS.ReadWriteStream & Readable;
  const parts = encryption.nonceBase === undefined ? sealedParts(info) : undefined;
  try {
    if (parts !== undefined) {
      const plan = planMultipartRange(
        parts,
        range === undefined ? undefined : { start: range.start, endInclusive: range.end },
      );
      if (range !== undefined) sealedRange = { start: plan.sealedStart, end: plan.sealedEndInclusive };
      decrypt = createMultipartDecryptStream(
        { key: objectKey, aead: encryption.aead, binding },
        plan,
        plaintextBuffers,
      );
    } else {
      if (encryption.nonceBase === undefined) {
        throw new S3Error('InternalError', {
          cause: new Error('encrypted single-PUT object without a nonce base'),
        });
      }
      const plain = encryption.plainSizeBytes;
      const r =
        range === undefined
          ? undefined
          : plain === 0
            ? wholeStreamRange(0)
            : packageRangeFor(plain, range.start, range.end);
      if (r !== undefined) sealedRange = { start: r.sealedStart, end: r.sealedEndInclusive };
      decrypt = createDecryptStream(
        {
          key: objectKey,
          nonceBase: encryption.nonceBase,
          aead: encryption.aead,
          binding,
          ...(r === undefined ? {} : { range: r }),
        },
        plaintextBuffers,
      );
    }
  } catch (err) {
    throw sseCryptoError(err);
  }
  const result = await objectLayer.getObject(target.bucket, target.key, {
    ...version,
    ...(sealedRange === undefined ? {} : { range: sealedRange }),
  });
  pipeline(result.stream, decrypt, (err) => {
    if (err !== undefined && err !== null && isCryptoError(err, 'Tampered')) {
      log.error(
        { err, bucket: target.bucket, key: target.key, versionId: result.info.versionId },
        'encrypted object data failed authentication: the read was cut off',
      );
    }
  });
  return { info: result.info, stream: decrypt };
}
