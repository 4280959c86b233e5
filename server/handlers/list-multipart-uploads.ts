import type { ListMultipartUploadsResult } from '../../storage/index.js';
import { encodeName, parseEncodingType } from '../listing.js';
import { MAX_LIST_UPLOADS, parseMaxCount } from '../multipart-listing.js';
import { uploadChecksum } from '../multipart-upload.js';
import { OWNER, type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * ListMultipartUploads — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
 *
 * Uploads in progress ordered by key, then by initiation (storage order), with prefix,
 * delimiter (CommonPrefixes), key-marker / upload-id-marker paging (upload-id-marker is
 * ignored without key-marker, as AWS), max-uploads ≤ 1000 and encoding-type=url.
 */
export async function listMultipartUploads(ctx: S3Context): Promise<S3Response> {
  const q = ctx.query;
  const encoding = parseEncodingType(q.get('encoding-type'));
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = keyMarker === '' ? '' : (q.get('upload-id-marker') ?? '');
  const maxUploads = parseMaxCount(q.get('max-uploads'), 'max-uploads', MAX_LIST_UPLOADS);
  let result: ListMultipartUploadsResult;
  try {
    result = await ctx.objectLayer.listMultipartUploads(ctx.bucket, {
      prefix,
      delimiter,
      keyMarker,
      uploadIdMarker,
      maxUploads,
    });
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  return xmlResponse('ListMultipartUploadsResult', {
    Bucket: ctx.bucket,
    KeyMarker: encodeName(keyMarker, encoding),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: result.isTruncated ? encodeName(result.nextKeyMarker ?? '', encoding) : undefined,
    NextUploadIdMarker: result.isTruncated ? (result.nextUploadIdMarker ?? '') : undefined,
    Delimiter: delimiter === '' ? undefined : encodeName(delimiter, encoding),
    Prefix: encodeName(prefix, encoding),
    MaxUploads: maxUploads,
    IsTruncated: result.isTruncated,
    EncodingType: encoding,
    Upload: result.uploads.map((u) => {
      const checksum = uploadChecksum(u.metadata);
      return {
        Key: encodeName(u.key, encoding),
        UploadId: u.uploadId,
        Initiator: OWNER,
        Owner: OWNER,
        StorageClass: 'STANDARD',
        Initiated: u.initiated,
        ChecksumAlgorithm: checksum?.algorithm,
        ChecksumType: checksum?.type,
      };
    }),
    CommonPrefixes: result.commonPrefixes.map((p) => ({ Prefix: encodeName(p, encoding) })),
  });
}
