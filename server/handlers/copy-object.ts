import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type GetObjectResult,
  isStorageError,
  type ObjectInfo,
  type ObjectMetadata,
} from '../../storage/index.js';
import { aclFromHeaders, aclMetadata, withoutAcl } from '../acl.js';
import { isValidBucketName } from '../bucket-name.js';
import { evaluatePreconditions } from '../conditional.js';
import { writePrecondition } from '../conditional-write.js';
import { lockMetadataForNewVersion, lockResponseHeaders, withoutLock } from '../object-lock.js';
import { checksumEntries, metadataFromHeaders } from '../object-metadata.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import {
  encryptionMetadata,
  parseCopySourceCustomerKey,
  parseSseRequest,
  readPlaintext,
  sealedBody,
  sseResponseHeaders,
  uploadDescription,
  withoutEncryptionMetadata,
} from '../sse/index.js';
import { toS3Error } from '../storage-errors.js';
import { storedTags, taggingMetadataFromHeaders, tagsMetadata, withoutTags } from '../tagging.js';
import { NULL_VERSION_ID, parseVersionId, writeVersionHeader } from '../versioning.js';
import { rejectUnsupportedWriteHeaders } from './unsupported-headers.js';

const MAX_KEY_BYTES = 1024;

/**
 * CopyObject — https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 *
 * Data streams from getObject into putObject (never buffered); the new ETag is the MD5
 * computed on the way. x-amz-metadata-directive COPY (default) takes the source's
 * metadata, REPLACE the request's; stored checksums describe the data and are kept
 * either way. x-amz-tagging-directive COPY (default) keeps the source's tags, REPLACE
 * takes x-amz-tagging. Retention and legal hold are never copied: the new version gets
 * the request's x-amz-object-lock-* headers or the bucket's default retention.
 * The source may name a version (`?versionId=`; a delete marker is InvalidRequest).
 * Copying an object onto itself must REPLACE; outside a versioning-enabled bucket it
 * only rewrites metadata, inside one it writes a new version, as AWS.
 * x-amz-copy-source-if-* failures are 412, including the "not modified" cases, as AWS.
 * Encryption: an encrypted source is decrypted (SSE-C: with the key in
 * x-amz-copy-source-server-side-encryption-customer-*) and the copy is sealed as the request
 * asks (else the bucket default, else auto-encryption): any mode to any mode. A self-copy that
 * only replaces metadata keeps the object's data and encryption, unless the request names an
 * encryption, the object is SSE-C, or a plaintext object would now be encrypted by default:
 * then the data is rewritten.
 */
export async function copyObject(ctx: S3Context): Promise<S3Response> {
  rejectUnsupportedWriteHeaders(ctx.headers);
  const source = parseCopySource(header(ctx, 'x-amz-copy-source') ?? '');
  if (!isValidBucketName(source.bucket)) {
    throw new S3Error('NoSuchBucket', { extra: { BucketName: source.bucket } });
  }
  const directive = (header(ctx, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', {
      message: 'Unknown metadata directive.',
      extra: { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive },
    });
  }
  const taggingDirective = (header(ctx, 'x-amz-tagging-directive') ?? 'COPY').toUpperCase();
  if (taggingDirective !== 'COPY' && taggingDirective !== 'REPLACE') {
    throw new S3Error('InvalidArgument', {
      message: 'Unknown tagging directive.',
      extra: { ArgumentName: 'x-amz-tagging-directive', ArgumentValue: taggingDirective },
    });
  }
  const replacement = directive === 'REPLACE' ? metadataFromHeaders(ctx.headers) : undefined;
  // The copy is a new object: private unless the request names an ACL (the source's is not copied).
  const acl = aclMetadata(aclFromHeaders(ctx.headers));
  const requestTags = taggingDirective === 'REPLACE' ? taggingMetadataFromHeaders(ctx.headers) : undefined;
  // If-Match / If-None-Match on the destination, checked atomically with the write.
  const precondition = writePrecondition(ctx.headers, ctx.key);
  const selfCopy = source.bucket === ctx.bucket && source.key === ctx.key && source.versionId === undefined;
  const sseRequest = parseSseRequest(ctx.headers);
  const sourceKey = parseCopySourceCustomerKey(ctx.headers);
  const sealed = await sealedBody(ctx, sseRequest, ctx);

  // The source as stat'ed for an in-place self-copy, reused when the data is rewritten after all.
  let selfInfo: ObjectInfo | undefined;
  if (selfCopy) {
    if (replacement === undefined && sseRequest === undefined) {
      throw new S3Error('InvalidRequest', {
        message:
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      });
    }
    const info = (await versioningEnabled(ctx)) ? undefined : await stat(ctx, source);
    selfInfo = info;
    const kept = info === undefined ? undefined : uploadDescription(info.metadata);
    const inPlace =
      info !== undefined &&
      replacement !== undefined &&
      sseRequest === undefined &&
      (kept === undefined ? sealed.sealing === undefined : kept.mode !== 'SSE-C');
    if (inPlace) {
      checkCopyPreconditions(ctx, info);
      let updated: ObjectInfo;
      try {
        updated = await ctx.objectLayer.updateObjectMetadata(
          ctx.bucket,
          ctx.key,
          (current) => {
            precondition?.(current);
            return {
              ...replacement,
              ...Object.fromEntries(checksumEntries(current.metadata)),
              ...(requestTags ?? tagsMetadata(storedTags(current.metadata))),
              ...lockResponseHeaders(current.metadata),
              ...acl,
              // The data is unchanged, and so is its encryption.
              ...encryptionMetadata(current.metadata),
            };
          },
          { touch: true },
        );
      } catch (err) {
        throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
      }
      return copyResult(updated, undefined, sseResponseHeaders(uploadDescription(updated.metadata)));
    }
  }

  const lock = await lockMetadataForNewVersion(ctx.objectLayer, ctx.bucket, ctx.headers, {
    requireDigest: false,
  });
  const sourceInfo = selfInfo ?? (await stat(ctx, source));
  checkCopyPreconditions(ctx, sourceInfo);
  let src: GetObjectResult;
  try {
    src = await readPlaintext(ctx, source, sourceInfo, undefined, source.versionId, sourceKey);
  } catch (err) {
    throw sourceError(err, source);
  }
  if (src.info.etag !== sourceInfo.etag || src.info.versionId !== sourceInfo.versionId) {
    // Replaced between stat and open: the conditions were checked on another version.
    src.stream.destroy();
    throw new S3Error('ServiceUnavailable');
  }
  const md5 = new Md5Stream();
  try {
    const checksums = Object.fromEntries(checksumEntries(src.info.metadata));
    const base: ObjectMetadata =
      replacement === undefined
        ? withoutEncryptionMetadata(withoutAcl(withoutLock(withoutTags(src.info.metadata))))
        : { ...replacement, ...checksums };
    const metadata: ObjectMetadata = {
      ...base,
      ...(requestTags ?? tagsMetadata(storedTags(src.info.metadata))),
      ...lock,
      ...acl,
    };
    // pipeline destroys md5 with the source's error, which fails putObject's read.
    const piping = pipeline(src.stream, md5);
    piping.catch(() => {});
    const stored = sealed.wrap(md5, sourceInfo.sizeBytes);
    const info = await ctx.objectLayer.putObject(ctx.bucket, ctx.key, stored.stream, {
      sizeBytes: stored.sizeBytes,
      metadata,
      finalize: () => ({ etag: sealed.etag(md5.digestHex()), metadata: sealed.metadata() }),
      signal: ctx.signal,
      ...(precondition === undefined ? {} : { precondition }),
    });
    await piping;
    const sourceVersion =
      source.versionId !== undefined || src.info.versionId !== NULL_VERSION_ID
        ? src.info.versionId
        : undefined;
    return copyResult(info, sourceVersion, sealed.responseHeaders);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  } finally {
    src.stream.destroy();
    md5.destroy();
  }
}

function copyResult(
  info: ObjectInfo,
  sourceVersionId: string | undefined,
  sseHeaders: Record<string, string>,
): S3Response {
  const res = xmlResponse('CopyObjectResult', { ETag: `"${info.etag}"`, LastModified: info.lastModified });
  res.headers = {
    ...res.headers,
    ...sseHeaders,
    ...writeVersionHeader(info),
    ...(sourceVersionId === undefined ? {} : { 'x-amz-copy-source-version-id': sourceVersionId }),
  };
  return res;
}

async function versioningEnabled(ctx: S3Context): Promise<boolean> {
  try {
    return (await ctx.objectLayer.getBucketInfo(ctx.bucket)).versioning === 'Enabled';
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
}

async function stat(ctx: S3Context, source: CopySource): Promise<ObjectInfo> {
  try {
    return await ctx.objectLayer.getObjectInfo(
      source.bucket,
      source.key,
      source.versionId === undefined ? {} : { versionId: source.versionId },
    );
  } catch (err) {
    throw sourceError(err, source);
  }
}

/** A copy source that is a delete marker named by version id is InvalidRequest, as AWS. */
function sourceError(err: unknown, source: CopySource): unknown {
  if (isStorageError(err, 'VersionIsDeleteMarker')) {
    return new S3Error('InvalidRequest', {
      message: 'The source of a copy request may not specifically refer to a delete marker by version id.',
      cause: err,
    });
  }
  return toS3Error(err, source);
}

function checkCopyPreconditions(ctx: S3Context, info: ObjectInfo): void {
  const outcome = evaluatePreconditions(
    {
      ifMatch: header(ctx, 'x-amz-copy-source-if-match'),
      ifNoneMatch: header(ctx, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: header(ctx, 'x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: header(ctx, 'x-amz-copy-source-if-unmodified-since'),
    },
    info,
  );
  if (outcome !== 'proceed') throw new S3Error('PreconditionFailed');
}

export interface CopySource {
  bucket: string;
  key: string;
  /** From `?versionId=`; absent: the latest version. */
  versionId?: string;
}

/**
 * Parses x-amz-copy-source: `[/]bucket/key[?versionId=id]`, URL-encoded. The query is
 * split off before decoding, so an encoded '?' stays part of the key.
 */
export function parseCopySource(value: string): CopySource {
  const q = value.indexOf('?');
  const path = q === -1 ? value : value.slice(0, q);
  let versionId: string | undefined;
  if (q !== -1) {
    versionId = parseVersionId(new URLSearchParams(value.slice(q + 1)).get('versionId'), 'x-amz-copy-source');
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch (err) {
    throw new S3Error('InvalidArgument', { message: 'Invalid copy source encoding', cause: err });
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  const bucket = slash === -1 ? '' : decoded.slice(0, slash);
  const key = slash === -1 ? '' : decoded.slice(slash + 1);
  if (bucket === '' || key === '') {
    throw new S3Error('InvalidArgument', {
      message: 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      extra: { ArgumentName: 'x-amz-copy-source', ArgumentValue: value },
    });
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}

function header(ctx: S3Context, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Passes bytes through while hashing them (the copy's ETag). */
class Md5Stream extends Transform {
  private readonly hash = createHash('md5');
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  digestHex(): string {
    return this.hash.digest('hex');
  }
}
