import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type {
  MultipartUploadInfo,
  ObjectInfo,
  ObjectMetadata,
  PartInfo,
  PutObjectFinal,
} from '../../storage/index.js';
import { CHECKSUM_HEADERS, checksumHeader, type FlexibleChecksumAlgorithm } from '../checksums/index.js';
import { writePrecondition } from '../conditional-write.js';
import { multipartChecksum, parseChecksumType } from '../multipart-checksum.js';
import {
  MAX_COMPLETE_BODY_BYTES,
  parseCompleteMultipartUpload,
  type RequestedPart,
} from '../multipart-complete-request.js';
import { multipartEtag } from '../multipart-etag.js';
import {
  CHECKSUM_TYPE_METADATA,
  checksumXmlFields,
  DEFAULT_PART_CHECKSUM,
  loadUpload,
  MIN_PART_BYTES,
  type UploadChecksum,
  uploadChecksum,
  uploadIdOf,
} from '../multipart-upload.js';
import { headerValue } from '../object-metadata.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { isS3Error, S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';
import {
  completedSizeMetadata,
  openUploadSealing,
  parsePartCustomerKey,
  sseResponseHeaders,
  uploadDescription,
} from '../sse/index.js';
import { toS3Error } from '../storage-errors.js';

/**
 * CompleteMultipartUpload — https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 *
 * Parts must be listed in ascending order (InvalidPartOrder), exist with the given ETag
 * (InvalidPart; storage checks both under the key lock) and be at least 5 MiB except the
 * last (EntityTooSmall). The object references the parts' data; nothing is copied.
 * ETag: MD5 of the binary part MD5s, `-N`. Checksum: the upload's algorithm and type
 * (COMPOSITE `…-N` or FULL_OBJECT CRC combined from the parts); for uploads created
 * without one, FULL_OBJECT CRC64NVME when every part has that checksum. Part checksums
 * listed in the request, and an object checksum sent as x-amz-checksum-<alg>, must match
 * (BadDigest). If-None-Match / If-Match are checked atomically with the commit.
 *
 * Retrying a completed upload with the same parts answers the same result (storage keeps
 * it for a while), so of two concurrent identical completions both succeed with the same
 * ETag; a retry after that window is NoSuchUpload.
 * Deviation: AWS may answer 200 and report a late failure in the body; every error here
 * is found before the response starts, so it is sent with its own status.
 */
export async function completeMultipartUpload(ctx: S3Context): Promise<S3Response> {
  const uploadId = uploadIdOf(ctx);
  if (uploadId === '') throw new S3Error('NoSuchUpload');
  const precondition = writePrecondition(ctx.headers, ctx.key);
  const expected = expectedObjectChecksum(ctx.headers);
  // x-amz-checksum-* headers of this request describe the object, not the XML body.
  const { bytes } = await readSmallBody(
    { ...ctx, headers: withoutChecksumHeaders(ctx.headers) },
    MAX_COMPLETE_BODY_BYTES,
  );
  const requested = parseCompleteMultipartUpload(bytes);
  for (let i = 1; i < requested.length; i++) {
    if ((requested[i] as RequestedPart).partNumber <= (requested[i - 1] as RequestedPart).partNumber) {
      throw new S3Error('InvalidPartOrder');
    }
  }

  // A completed upload is gone, but completing it again with the same parts must answer
  // the stored result: let storage decide, and fail only if finalize is really needed.
  let upload: MultipartUploadInfo | undefined;
  try {
    upload = await loadUpload(ctx, uploadId);
  } catch (err) {
    if (!(isS3Error(err) && err.code === 'NoSuchUpload')) throw err;
  }
  const checksum = upload === undefined ? undefined : uploadChecksum(upload.metadata);
  const encryption = upload === undefined ? undefined : uploadDescription(upload.metadata);
  // An SSE-C upload is completed with its key, as S3 requires (missing: InvalidRequest, another
  // key: InvalidArgument); the response echoes the key's MD5.
  const customerSealing =
    upload !== undefined && encryption?.mode === 'SSE-C'
      ? await openUploadSealing(ctx, upload.metadata, ctx, parsePartCustomerKey(ctx.headers))
      : undefined;
  const encrypted = encryption !== undefined;
  const requestedType = headerValue(ctx.headers, 'x-amz-checksum-type');
  if (
    requestedType !== undefined &&
    checksum !== undefined &&
    parseChecksumType(requestedType) !== checksum.type
  ) {
    throw new S3Error('InvalidRequest', {
      message: `The upload was created using the ${checksum.type} checksum mode. The complete request must use the same checksum mode.`,
    });
  }

  let info: ObjectInfo;
  try {
    info = await ctx.objectLayer.completeMultipartUpload(ctx.bucket, ctx.key, uploadId, {
      parts: requested.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      finalize: (parts) => {
        if (upload === undefined) throw new S3Error('NoSuchUpload');
        const final = finalizeObject(parts, requested, checksum, expected);
        if (!encrypted) return final;
        // The parts' sizes are plaintext sizes (PlaintextObjectLayer): the object's is their sum.
        const plainBytes = parts.reduce((sum, p) => sum + p.sizeBytes, 0);
        return { ...final, metadata: { ...final.metadata, ...completedSizeMetadata(plainBytes) } };
      },
      ...(precondition === undefined ? {} : { precondition }),
    });
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }

  const res = xmlResponse('CompleteMultipartUploadResult', {
    Location: locationOf(ctx),
    Bucket: ctx.bucket,
    Key: ctx.key,
    ETag: `"${info.etag}"`,
    ...checksumXmlFields(info.metadata),
    ChecksumType: info.metadata[CHECKSUM_TYPE_METADATA],
  });
  const headers: Record<string, string | number> = {
    ...res.headers,
    ...sseResponseHeaders(customerSealing ?? uploadDescription(info.metadata)),
  };
  if (info.versionId !== 'null') headers['x-amz-version-id'] = info.versionId;
  return { ...res, headers };
}

/** The final ETag and checksum metadata, from the stored parts (called under the key lock). */
export function finalizeObject(
  parts: readonly PartInfo[],
  requested: readonly RequestedPart[],
  checksum: UploadChecksum | undefined,
  expected: { algorithm: FlexibleChecksumAlgorithm; value: string } | undefined,
): PutObjectFinal {
  for (const [i, part] of parts.entries()) {
    if (i < parts.length - 1 && part.sizeBytes < MIN_PART_BYTES) {
      throw new S3Error('EntityTooSmall', {
        extra: {
          ProposedSize: String(part.sizeBytes),
          MinSizeAllowed: String(MIN_PART_BYTES),
          PartNumber: String(part.partNumber),
          ETag: part.etag,
        },
      });
    }
    for (const [alg, value] of Object.entries(requested[i]?.checksums ?? {})) {
      if (part.metadata[CHECKSUM_HEADERS[alg as FlexibleChecksumAlgorithm]] !== value) {
        throw new S3Error('BadDigest', {
          message: `The ${CHECKSUM_HEADERS[alg as FlexibleChecksumAlgorithm]} you specified for part ${part.partNumber} did not match what we received.`,
        });
      }
    }
  }
  const metadata: ObjectMetadata = {};
  const objectChecksum = checksum ?? { algorithm: DEFAULT_PART_CHECKSUM, type: 'FULL_OBJECT' as const };
  const header = CHECKSUM_HEADERS[objectChecksum.algorithm];
  const partChecksums = parts.map((p) => p.metadata[header]);
  if (partChecksums.every((c) => c !== undefined)) {
    const value = multipartChecksum(
      objectChecksum.algorithm,
      objectChecksum.type,
      parts.map((p, i) => ({
        sizeBytes: p.sizeBytes,
        checksum: Buffer.from(partChecksums[i] as string, 'base64'),
      })),
    );
    metadata[header] = value;
    metadata[CHECKSUM_TYPE_METADATA] = objectChecksum.type;
  } else if (checksum !== undefined) {
    // Every part of an upload with an algorithm got that checksum at UploadPart.
    throw new Error(`a part of an upload with ${checksum.algorithm} checksums has none`);
  }
  if (expected !== undefined) {
    const actual = metadata[CHECKSUM_HEADERS[expected.algorithm]];
    if (actual === undefined || stripPartCount(actual) !== stripPartCount(expected.value)) {
      throw new S3Error('BadDigest', {
        message: `The ${CHECKSUM_HEADERS[expected.algorithm]} you specified did not match the calculated checksum.`,
      });
    }
  }
  return { etag: multipartEtag(parts.map((p) => p.etag)), metadata };
}

function stripPartCount(value: string): string {
  const dash = value.indexOf('-');
  return dash === -1 ? value : value.slice(0, dash);
}

/** The object checksum the client expects (x-amz-checksum-<alg> on the complete request). */
function expectedObjectChecksum(
  headers: IncomingHttpHeaders,
): { algorithm: FlexibleChecksumAlgorithm; value: string } | undefined {
  for (const name of Object.values(CHECKSUM_HEADERS)) {
    const value = headerValue(headers, name);
    const algorithm = checksumHeader(name);
    if (value !== undefined && algorithm !== undefined) return { algorithm, value: value.trim() };
  }
  return undefined;
}

function withoutChecksumHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  for (const name of Object.values(CHECKSUM_HEADERS)) delete out[name];
  delete out['x-amz-sdk-checksum-algorithm'];
  return out;
}

/** The object's URL as the client addressed it. */
function locationOf(ctx: S3Context): string {
  const scheme = (ctx.raw.socket as TLSSocket | undefined)?.encrypted === true ? 'https' : 'http';
  return `${scheme}://${headerValue(ctx.headers, 'host') ?? 'localhost'}${ctx.target.rawPath}`;
}
