import type { ListPartsResult } from '../../storage/index.js';
import { MAX_LIST_PARTS, parseMaxCount, parsePartNumberMarker } from '../multipart-listing.js';
import { checksumXmlFields, loadUpload, uploadChecksum, uploadIdOf } from '../multipart-upload.js';
import { OWNER, type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * ListParts — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
 *
 * Parts in part-number order after part-number-marker, at most max-parts (≤ 1000)
 * per page; NextPartNumberMarker continues. Each part shows its checksum; the upload's
 * checksum algorithm and type are reported. Initiator and Owner are the single owner
 * until IAM exists.
 */
export async function listParts(ctx: S3Context): Promise<S3Response> {
  const uploadId = uploadIdOf(ctx);
  const maxParts = parseMaxCount(ctx.query.get('max-parts'), 'max-parts', MAX_LIST_PARTS);
  const marker = parsePartNumberMarker(ctx.query.get('part-number-marker'), 'part-number-marker');
  const upload = await loadUpload(ctx, uploadId);
  let result: ListPartsResult;
  try {
    result = await ctx.objectLayer.listParts(ctx.bucket, ctx.key, uploadId, {
      partNumberMarker: marker,
      maxParts,
    });
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  const checksum = uploadChecksum(upload.metadata);
  const last = result.parts[result.parts.length - 1];
  return xmlResponse('ListPartsResult', {
    Bucket: ctx.bucket,
    Key: ctx.key,
    UploadId: uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: result.nextPartNumberMarker ?? last?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: result.isTruncated,
    Part: result.parts.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: p.lastModified,
      ETag: `"${p.etag}"`,
      Size: p.sizeBytes,
      ...checksumXmlFields(p.metadata),
    })),
    Initiator: OWNER,
    Owner: OWNER,
    StorageClass: 'STANDARD',
    ChecksumAlgorithm: checksum?.algorithm,
    ChecksumType: checksum?.type,
  });
}
