import { pipeline } from 'node:stream/promises';
import type { GetObjectResult, ObjectInfo, PartInfo } from '../../storage/index.js';
import { BodyVerifier } from '../body/index.js';
import { isValidBucketName } from '../bucket-name.js';
import { evaluatePreconditions } from '../conditional.js';
import {
  checksumXmlFields,
  DEFAULT_PART_CHECKSUM,
  loadUpload,
  MAX_PART_BYTES,
  parsePartNumber,
  uploadChecksum,
  uploadIdOf,
} from '../multipart-upload.js';
import { headerValue } from '../object-metadata.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import {
  openUploadSealing,
  parseCopySourceCustomerKey,
  parsePartCustomerKey,
  readPlaintext,
  sealedPartBody,
  sseResponseHeaders,
} from '../sse/index.js';
import { toS3Error } from '../storage-errors.js';
import { parseCopySource } from './copy-object.js';

/** How often the source is re-read when it is replaced between stat and open. */
const MAX_OPEN_ATTEMPTS = 3;

/**
 * UploadPartCopy — https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
 *
 * The source (x-amz-copy-source, optionally ?versionId=) or its
 * x-amz-copy-source-range streams from getObject through one MD5 + checksum pass into
 * putObjectPart; nothing is buffered. x-amz-copy-source-if-* failures are 412 (also the
 * "not modified" cases, as AWS). The part's checksum uses the upload's algorithm, else
 * CRC64NVME. A range that is not `bytes=first-last` is InvalidArgument; one outside the
 * source is InvalidRange (416). An encrypted source is decrypted (its SSE-C key in
 * x-amz-copy-source-server-side-encryption-customer-*), and the part is sealed with the
 * upload's key like any UploadPart.
 */
export async function uploadPartCopy(ctx: S3Context): Promise<S3Response> {
  const partNumber = parsePartNumber(ctx.query.get('partNumber'));
  const uploadId = uploadIdOf(ctx);
  const source = parseCopySourceHeader(headerValue(ctx.headers, 'x-amz-copy-source') ?? '');
  const rangeHeader = headerValue(ctx.headers, 'x-amz-copy-source-range');
  const requestedRange = rangeHeader === undefined ? undefined : parseCopyRange(rangeHeader);
  const sourceKey = parseCopySourceCustomerKey(ctx.headers);
  const customerKey = parsePartCustomerKey(ctx.headers);
  const upload = await loadUpload(ctx, uploadId);
  const sealing = await openUploadSealing(ctx, upload.metadata, ctx, customerKey);
  const algorithm = uploadChecksum(upload.metadata)?.algorithm ?? DEFAULT_PART_CHECKSUM;

  for (let attempt = 1; ; attempt++) {
    const info = await statSource(ctx, source);
    checkCopyConditions(ctx, info);
    let range: { start: number; end: number } | undefined;
    if (requestedRange !== undefined) {
      if (requestedRange.start > requestedRange.end || requestedRange.end >= info.sizeBytes) {
        throw new S3Error('InvalidRange', {
          extra: { RangeRequested: rangeHeader ?? '', ActualObjectSize: String(info.sizeBytes) },
        });
      }
      range = requestedRange;
    }
    const sizeBytes = range === undefined ? info.sizeBytes : range.end - range.start + 1;
    if (sizeBytes > MAX_PART_BYTES) {
      throw new S3Error('InvalidRequest', {
        message: `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PART_BYTES}`,
      });
    }

    let src: GetObjectResult;
    try {
      src = await readPlaintext(ctx, source, info, range, source.versionId, sourceKey);
    } catch (err) {
      throw toS3Error(err, source);
    }
    if (src.info.etag !== info.etag || src.info.versionId !== info.versionId) {
      // Replaced between stat and open: the conditions were checked on another version.
      src.stream.destroy();
      if (attempt >= MAX_OPEN_ATTEMPTS) throw new S3Error('ServiceUnavailable');
      continue;
    }

    const hashing = new BodyVerifier({
      md5: true,
      contentMd5: undefined,
      sha256Hex: undefined,
      checksumAlgorithm: algorithm,
      expectedChecksum: () => undefined,
      declaredSizeBytes: sizeBytes,
    });
    const sealed = sealedPartBody(sealing, partNumber);
    let part: PartInfo;
    try {
      // pipeline destroys `hashing` with the source's error, which fails putObjectPart's read.
      const piping = pipeline(src.stream, hashing);
      piping.catch(() => {});
      const stored = sealed.wrap(hashing, sizeBytes);
      part = await ctx.objectLayer.putObjectPart(ctx.bucket, ctx.key, uploadId, partNumber, stored.stream, {
        sizeBytes: stored.sizeBytes,
        finalize: () => {
          const digests = hashing.digests();
          return {
            etag: sealed.etag(digests.md5Hex),
            metadata: { ...digests.checksums, ...sealed.metadata() },
          };
        },
        signal: ctx.signal,
      });
      await piping;
    } catch (err) {
      throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
    } finally {
      src.stream.destroy();
      hashing.destroy();
    }
    const res = xmlResponse('CopyPartResult', {
      ETag: `"${part.etag}"`,
      LastModified: part.lastModified,
      ...checksumXmlFields(part.metadata),
    });
    const headers: Record<string, string | number> = { ...res.headers, ...sseResponseHeaders(sealing) };
    if (info.versionId !== 'null') headers['x-amz-copy-source-version-id'] = info.versionId;
    return { ...res, headers };
  }
}

interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
}

/** x-amz-copy-source with an optional `?versionId=` (split off before the path is decoded). */
function parseCopySourceHeader(value: string): CopySource {
  const q = value.indexOf('?');
  const { bucket, key } = parseCopySource(q === -1 ? value : value.slice(0, q));
  if (!isValidBucketName(bucket)) throw new S3Error('NoSuchBucket', { extra: { BucketName: bucket } });
  const versionId = q === -1 ? null : new URLSearchParams(value.slice(q + 1)).get('versionId');
  if (versionId === null) return { bucket, key };
  if (versionId === '') {
    throw new S3Error('InvalidArgument', {
      message: 'Version id cannot be the empty string',
      extra: { ArgumentName: 'versionId', ArgumentValue: '' },
    });
  }
  return { bucket, key, versionId };
}

const COPY_RANGE = /^bytes=(\d{1,16})-(\d{1,16})$/;

/** x-amz-copy-source-range: exactly `bytes=first-last` (AWS refuses every other form). */
export function parseCopyRange(value: string): { start: number; end: number } {
  const m = COPY_RANGE.exec(value.trim());
  if (m === null) {
    throw new S3Error('InvalidArgument', {
      message:
        'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      extra: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: value.slice(0, 128) },
    });
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}

async function statSource(ctx: S3Context, source: CopySource): Promise<ObjectInfo> {
  try {
    return await ctx.objectLayer.getObjectInfo(
      source.bucket,
      source.key,
      source.versionId === undefined ? {} : { versionId: source.versionId },
    );
  } catch (err) {
    throw toS3Error(err, source);
  }
}

function checkCopyConditions(ctx: S3Context, info: ObjectInfo): void {
  const outcome = evaluatePreconditions(
    {
      ifMatch: headerValue(ctx.headers, 'x-amz-copy-source-if-match'),
      ifNoneMatch: headerValue(ctx.headers, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: headerValue(ctx.headers, 'x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: headerValue(ctx.headers, 'x-amz-copy-source-if-unmodified-since'),
    },
    info,
  );
  if (outcome !== 'proceed') throw new S3Error('PreconditionFailed');
}
