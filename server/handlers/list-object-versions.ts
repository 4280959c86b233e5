import type { ListObjectVersionsResult, ObjectInfo } from '../../storage/index.js';
import { encodeName, parseEncodingType, parseMaxKeys } from '../listing.js';
import { OWNER, type S3Context, type S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { toS3Error } from '../storage-errors.js';
import { escapeXmlText, S3_XMLNS } from '../xml.js';

/**
 * ListObjectVersions — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 *
 * Versions and delete markers come in one sequence (keys in UTF-8 binary order, each
 * key's versions newest first), so the document is written here element by element:
 * Version and DeleteMarker elements interleave in that order, as AWS sends them.
 */
export async function listObjectVersions(ctx: S3Context): Promise<S3Response> {
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  const encoding = parseEncodingType(q.get('encoding-type'));
  const keyMarker = q.get('key-marker') ?? '';
  const versionIdMarker = q.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') {
    throw new S3Error('InvalidArgument', {
      message: 'A version-id marker cannot be specified without a key marker.',
      extra: { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker },
    });
  }

  let result: ListObjectVersionsResult;
  try {
    result = await ctx.objectLayer.listObjectVersions(ctx.bucket, {
      prefix,
      delimiter,
      keyMarker,
      versionIdMarker,
      maxKeys,
    });
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  const truncated = maxKeys > 0 && result.isTruncated;
  const name = (v: string) => encodeName(v, encoding);

  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<ListVersionsResult xmlns="${S3_XMLNS}">`,
    el('Name', ctx.bucket),
    el('Prefix', name(prefix)),
    el('KeyMarker', name(keyMarker)),
    el('VersionIdMarker', versionIdMarker),
  ];
  if (truncated && result.nextKeyMarker !== undefined) {
    parts.push(el('NextKeyMarker', name(result.nextKeyMarker)));
    if (result.nextVersionIdMarker !== undefined)
      parts.push(el('NextVersionIdMarker', result.nextVersionIdMarker));
  }
  parts.push(el('MaxKeys', String(maxKeys)));
  if (delimiter !== '') parts.push(el('Delimiter', name(delimiter)));
  parts.push(el('IsTruncated', truncated ? 'true' : 'false'));
  if (encoding !== undefined) parts.push(el('EncodingType', encoding));
  for (const v of result.versions) parts.push(versionElement(v, name));
  for (const p of result.commonPrefixes)
    parts.push(`<CommonPrefixes>${el('Prefix', name(p))}</CommonPrefixes>`);
  parts.push('</ListVersionsResult>');
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: parts.join('') };
}

function versionElement(v: ObjectInfo, name: (s: string) => string): string {
  const owner = `<Owner>${el('ID', OWNER.ID)}${el('DisplayName', OWNER.DisplayName)}</Owner>`;
  const common =
    el('Key', name(v.key)) +
    el('VersionId', v.versionId) +
    el('IsLatest', v.isLatest ? 'true' : 'false') +
    el('LastModified', v.lastModified.toISOString());
  if (v.isDeleteMarker) return `<DeleteMarker>${common}${owner}</DeleteMarker>`;
  return (
    `<Version>${common}${el('ETag', `"${v.etag}"`)}${el('Size', String(v.sizeBytes))}` +
    `${owner}${el('StorageClass', v.storageClass === '' ? 'STANDARD' : v.storageClass)}</Version>`
  );
}

function el(tag: string, text: string): string {
  return `<${tag}>${escapeXmlText(text)}</${tag}>`;
}
