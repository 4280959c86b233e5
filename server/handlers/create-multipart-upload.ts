import { aclFromHeaders, aclMetadata } from '../acl.js';
import {
  checksumFromCreateHeaders,
  uploadChecksumHeaders,
  uploadChecksumMetadata,
} from '../multipart-upload.js';
import { lockMetadataForNewVersion } from '../object-lock.js';
import { metadataFromHeaders } from '../object-metadata.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import {
  parseSseRequest,
  sealNewObject,
  sseResponseHeaders,
  uploadEncryptionMetadata,
} from '../sse/index.js';
import { toS3Error } from '../storage-errors.js';
import { taggingMetadataFromHeaders } from '../tagging.js';
import { rejectUnsupportedWriteHeaders } from './unsupported-headers.js';

/**
 * CreateMultipartUpload — https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
 *
 * Metadata, tags and object-lock settings come from the headers as for PutObject and
 * are stored with the upload; the completed object gets them. x-amz-checksum-algorithm
 * and x-amz-checksum-type (default: FULL_OBJECT for CRC64NVME, COMPOSITE otherwise)
 * decide how parts are checksummed and what the object's checksum is.
 * Server-side encryption as for PutObject: the object key is sealed here and stored with
 * the upload; every part is sealed with it under its own derived key (server/sse).
 * Deviation: storage classes other than STANDARD as for PutObject.
 */
export async function createMultipartUpload(ctx: S3Context): Promise<S3Response> {
  rejectUnsupportedWriteHeaders(ctx.headers);
  const checksum = checksumFromCreateHeaders(ctx.headers);
  const sealing = await sealNewObject(ctx, parseSseRequest(ctx.headers), ctx);
  const metadata = {
    ...metadataFromHeaders(ctx.headers),
    ...taggingMetadataFromHeaders(ctx.headers),
    ...uploadChecksumMetadata(checksum),
    ...aclMetadata(aclFromHeaders(ctx.headers)),
    ...(sealing === undefined ? {} : uploadEncryptionMetadata(sealing)),
  };
  let uploadId: string;
  try {
    Object.assign(
      metadata,
      await lockMetadataForNewVersion(ctx.objectLayer, ctx.bucket, ctx.headers, { requireDigest: false }),
    );
    uploadId = await ctx.objectLayer.createMultipartUpload(ctx.bucket, ctx.key, { metadata });
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  const res = xmlResponse('InitiateMultipartUploadResult', {
    Bucket: ctx.bucket,
    Key: ctx.key,
    UploadId: uploadId,
  });
  return {
    ...res,
    headers: { ...res.headers, ...uploadChecksumHeaders(checksum), ...sseResponseHeaders(sealing) },
  };
}
