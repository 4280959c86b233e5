import type { ListObjectsResult } from '../../storage/index.js';
import { encodeName, listBucketResponse, parseEncodingType, parseMaxKeys } from '../listing.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { toS3Error } from '../storage-errors.js';

/**
 * ListObjects (V1) — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 * NextMarker is returned when a delimiter was given, as on AWS; without one, clients
 * continue from the last key — except when storage cut the page short (a run of
 * deleted keys: the last key returned is not where the scan stopped), where NextMarker
 * is sent anyway so no client re-reads or stalls. Owner is always included (V1 behaviour).
 */
export async function listObjects(ctx: S3Context): Promise<S3Response> {
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  const encoding = parseEncodingType(q.get('encoding-type'));
  const marker = q.get('marker') ?? '';

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
      // V1 echoes Prefix as given even with encoding-type=url (what AWS does and botocore
      // expects: it decodes only Delimiter, Marker and NextMarker at the top level).
      Prefix: prefix,
      Marker: encodeName(marker, encoding),
      NextMarker:
        truncated && (delimiter !== '' || result.objects.at(-1)?.key !== result.nextMarker)
          ? encodeName(result.nextMarker ?? '', encoding)
          : undefined,
      MaxKeys: maxKeys,
      Delimiter: delimiter === '' ? undefined : encodeName(delimiter, encoding),
      IsTruncated: truncated,
      EncodingType: encoding,
    },
    result.objects,
    result.commonPrefixes,
    encoding,
    true,
  );
}
