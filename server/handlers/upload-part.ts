import type { PartInfo } from '../../storage/index.js';
import { readBody } from '../body/index.js';
import { CHECKSUM_HEADERS } from '../checksums/index.js';
import {
  loadUpload,
  MAX_PART_BYTES,
  parsePartNumber,
  partChecksumAlgorithm,
  uploadChecksum,
  uploadIdOf,
} from '../multipart-upload.js';
import { checksumEntries } from '../object-metadata.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { openUploadSealing, parsePartCustomerKey, sealedPartBody, sseResponseHeaders } from '../sse/index.js';
import { toS3Error } from '../storage-errors.js';

/**
 * UploadPart — https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 *
 * The body streams through readBody (signature, Content-MD5 and flexible checksum
 * verified in one pass) into its own erasure-coded part file. Every part gets a
 * checksum: the upload's algorithm (a part sent with another algorithm is
 * InvalidRequest), or for uploads without one the algorithm the part was sent with,
 * else CRC64NVME (AWS's default) — computed here when the client sent none. The ETag
 * is the part's hex MD5 (for SSE-KMS / SSE-C uploads a masked value, as PutObject).
 * Re-uploading a part number replaces the part. Parts of an encrypted upload are sealed
 * with the upload's object key; an SSE-C upload needs its customer key on every part.
 */
export async function uploadPart(ctx: S3Context): Promise<S3Response> {
  const partNumber = parsePartNumber(ctx.query.get('partNumber'));
  const uploadId = uploadIdOf(ctx);
  if (ctx.headers['content-length'] === undefined && ctx.headers['transfer-encoding'] === undefined) {
    throw new S3Error('MissingContentLength');
  }
  const customerKey = parsePartCustomerKey(ctx.headers);
  const upload = await loadUpload(ctx, uploadId);
  const sealing = await openUploadSealing(ctx, upload.metadata, ctx, customerKey);
  const algorithm = partChecksumAlgorithm(ctx.headers, uploadChecksum(upload.metadata));
  // Naming the algorithm makes readBody compute it even when the client sent no value.
  const headers =
    ctx.headers[CHECKSUM_HEADERS[algorithm]] !== undefined || ctx.headers['x-amz-trailer'] !== undefined
      ? ctx.headers
      : { ...ctx.headers, 'x-amz-sdk-checksum-algorithm': algorithm };
  const body = readBody(ctx.raw, headers, ctx.auth);
  if (body.declaredSizeBytes > MAX_PART_BYTES) {
    body.stream.destroy();
    throw new S3Error('EntityTooLarge');
  }
  const sealed = sealedPartBody(sealing, partNumber);
  const stored = sealed.wrap(body.stream, body.declaredSizeBytes);
  let part: PartInfo;
  try {
    part = await ctx.objectLayer.putObjectPart(ctx.bucket, ctx.key, uploadId, partNumber, stored.stream, {
      sizeBytes: stored.sizeBytes,
      finalize: () => {
        const final = body.finish();
        return { etag: sealed.etag(final.md5Hex), metadata: { ...final.checksums, ...sealed.metadata() } };
      },
      signal: ctx.signal,
    });
  } catch (err) {
    body.stream.destroy();
    stored.stream.destroy();
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  return {
    status: 200,
    headers: {
      etag: `"${part.etag}"`,
      ...Object.fromEntries(checksumEntries(part.metadata)),
      ...sseResponseHeaders(sealing),
    },
  };
}
