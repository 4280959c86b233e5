import { createHash } from 'node:crypto';

/**
 * The ETag S3 gives a completed multipart upload: the hex MD5 of the concatenated
 * binary MD5s of the parts, then `-<part count>` (no quotes). Every part ETag is the
 * hex MD5 of the part's bytes (UploadPart, UploadPartCopy).
 */
export function multipartEtag(partEtags: readonly string[]): string {
  const md5 = createHash('md5');
  for (const etag of partEtags) md5.update(Buffer.from(etag, 'hex'));
  return `${md5.digest('hex')}-${partEtags.length}`;
}
