import type { ObjectInfo } from '../../storage/index.js';
import { MAX_LIST_PARTS, parseMaxCount, parsePartNumberMarker } from '../multipart-listing.js';
import { CHECKSUM_TYPE_METADATA, checksumXmlFields } from '../multipart-upload.js';
import { headerValue } from '../object-metadata.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { parseReadCustomerKey, sseResponseHeaders, storedEncryption } from '../sse/index.js';
import { toS3Error } from '../storage-errors.js';
import type { XmlObject } from '../xml.js';

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

/**
 * GetObjectAttributes — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
 *
 * Returns the attributes named in x-amz-object-attributes (ETag unquoted, Checksum with
 * its type, ObjectParts, StorageClass, ObjectSize) of the latest version or ?versionId.
 * ObjectParts appear for multipart objects only, paged by x-amz-max-parts /
 * x-amz-part-number-marker. Checksum appears only when the object has one; single-PUT
 * checksums are FULL_OBJECT.
 */
export async function getObjectAttributes(ctx: S3Context): Promise<S3Response> {
  const wanted = parseAttributes(headerValue(ctx.headers, 'x-amz-object-attributes'));
  const maxParts = parseMaxCount(
    headerValue(ctx.headers, 'x-amz-max-parts'),
    'x-amz-max-parts',
    MAX_LIST_PARTS,
  );
  const marker = parsePartNumberMarker(
    headerValue(ctx.headers, 'x-amz-part-number-marker'),
    'x-amz-part-number-marker',
  );
  const versionId = ctx.query.get('versionId');
  let info: ObjectInfo;
  try {
    info = await ctx.objectLayer.getObjectInfo(ctx.bucket, ctx.key, versionId === null ? {} : { versionId });
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  // An SSE-C object's attributes need its customer key, as its data does (AWS).
  const encryption = await storedEncryption(
    ctx,
    info,
    { bucket: ctx.bucket, key: ctx.key },
    parseReadCustomerKey(ctx.headers),
  );

  const body: Record<string, XmlObject[keyof XmlObject]> = {};
  if (wanted.has('ETag')) body.ETag = info.etag;
  if (wanted.has('Checksum')) {
    const fields = checksumXmlFields(info.metadata);
    if (Object.keys(fields).length > 0) {
      body.Checksum = { ...fields, ChecksumType: info.metadata[CHECKSUM_TYPE_METADATA] ?? 'FULL_OBJECT' };
    }
  }
  if (wanted.has('ObjectParts') && info.parts !== undefined) {
    const after = info.parts.filter((p) => p.partNumber > marker);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    body.ObjectParts = {
      PartsCount: info.parts.length,
      PartNumberMarker: marker,
      NextPartNumberMarker: page[page.length - 1]?.partNumber ?? marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((p) => ({
        PartNumber: p.partNumber,
        Size: p.sizeBytes,
        ...checksumXmlFields(p.metadata),
      })),
    };
  }
  if (wanted.has('StorageClass'))
    body.StorageClass = info.storageClass === '' ? 'STANDARD' : info.storageClass;
  if (wanted.has('ObjectSize')) body.ObjectSize = info.sizeBytes;

  const res = xmlResponse('GetObjectAttributesResponse', body);
  const headers: Record<string, string | number> = {
    ...res.headers,
    'last-modified': info.lastModified.toUTCString(),
    ...sseResponseHeaders(encryption?.description),
  };
  if (info.versionId !== 'null') headers['x-amz-version-id'] = info.versionId;
  return { ...res, headers };
}

/** x-amz-object-attributes: a comma-separated, non-empty list of known attribute names. */
function parseAttributes(value: string | undefined): Set<Attribute> {
  const names = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) {
    throw new S3Error('InvalidArgument', {
      message: 'Invalid attribute name specified.',
      extra: { ArgumentName: 'x-amz-object-attributes', ArgumentValue: '' },
    });
  }
  const out = new Set<Attribute>();
  for (const name of names) {
    const known = ATTRIBUTES.find((a) => a.toLowerCase() === name.toLowerCase());
    if (known === undefined) {
      throw new S3Error('InvalidArgument', {
        message: 'Invalid attribute name specified.',
        extra: { ArgumentName: 'x-amz-object-attributes', ArgumentValue: name.slice(0, 64) },
      });
    }
    out.add(known);
  }
  return out;
}
