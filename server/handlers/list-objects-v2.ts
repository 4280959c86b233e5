import type { ListObjectsResult } from '../../storage/index.js';
import {
  decodeContinuationToken,
  encodeContinuationToken,
  encodeName,
  listBucketResponse,
  parseEncodingType,
  parseMaxKeys,
} from '../listing.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * ListObjectsV2 — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * The continuation token is base64 of the last key or common prefix returned; it takes
 * precedence over start-after, as on AWS.
 */
export async function listObjectsV2(ctx: S3Context): Promise<S3Response> {
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  const encoding = parseEncodingType(q.get('encoding-type'));
  const startAfter = q.get('start-after') ?? '';
  const token = q.get('continuation-token');
  // An empty token is a first page (AWS; s3-tests test_bucket_listv2_continuationtoken_empty).
  const marker = token !== null && token !== '' ? decodeContinuationToken(token) : startAfter;
  const fetchOwner = q.get('fetch-owner') === 'true';

  let result: ListObjectsResult;
  try {
    result = await ctx.objectLayer.listObjects(ctx.bucket, {
      prefix,
      delimiter,
      startAfter: marker,
      maxKeys,
    });
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  // max-keys=0 is an empty, complete page on AWS (s3-tests: test_bucket_list_maxkeys_zero).
  const truncated = maxKeys > 0 && result.isTruncated && result.nextMarker !== undefined;
  return listBucketResponse(
    {
      Name: ctx.bucket,
      Prefix: encodeName(prefix, encoding),
      ContinuationToken: token ?? undefined,
      NextContinuationToken: truncated ? encodeContinuationToken(result.nextMarker ?? '') : undefined,
      KeyCount: result.objects.length + result.commonPrefixes.length,
      MaxKeys: maxKeys,
      Delimiter: delimiter === '' ? undefined : encodeName(delimiter, encoding),
      IsTruncated: truncated,
      EncodingType: encoding,
      StartAfter: startAfter === '' ? undefined : encodeName(startAfter, encoding),
    },
    result.objects,
    result.commonPrefixes,
    encoding,
    fetchOwner,
  );
}
