import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectInfo, ObjectMetadata } from '../storage/index.js';
import { headerText } from './auth/canonical-request.js';
import { S3Error } from './s3-errors.js';

/**
 * Which request headers become stored object metadata, and how stored metadata
 * becomes response headers. Metadata names are lower-case header names; storage/
 * keeps them verbatim. Values are stored as text: a header's bytes are decoded as
 * UTF-8 when they are UTF-8 (botocore sends that), else as latin-1 (Node's http client,
 * so the JS SDK, writes 'é' as one byte); see `headerText`.
 *
 * Non-ASCII text goes back as latin-1 when every character fits in it, else as UTF-8
 * bytes (`asHeaderBytes`). Clients decode response header bytes as latin-1 (Python's
 * http.client under botocore, Node's http under the JS SDK), so 'é' reads back as sent
 * from both, as ceph/s3-tests' test_object_set_get_unicode_metadata expects; text
 * beyond latin-1 can only go back as its UTF-8 bytes. Deviation: AWS returns non-ASCII
 * values RFC 2047-encoded (`=?UTF-8?…?=`); RGW and MinIO return the bytes received.
 */

/** System headers stored as given (Content-Type gets a default, Content-Encoding drops aws-chunked). */
const STORED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
] as const;

export const USER_METADATA_PREFIX = 'x-amz-meta-';
export const CHECKSUM_METADATA_PREFIX = 'x-amz-checksum-';

/** AWS: user-defined metadata (names without the prefix + values, UTF-8) ≤ 2 KiB. */
export const MAX_USER_METADATA_BYTES = 2048;

export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/**
 * Metadata to store from PutObject (and CopyObject with REPLACE) request headers.
 * Checksums are not taken from here: they are added only once verified (finalize).
 * Throws S3Error('MetadataTooLarge').
 */
export function metadataFromHeaders(headers: IncomingHttpHeaders): ObjectMetadata {
  const metadata: ObjectMetadata = {};
  for (const name of STORED_HEADERS) {
    const value = headerValue(headers, name);
    if (value === undefined) continue;
    const text = headerText(value);
    if (name === 'content-encoding') {
      const encoding = withoutAwsChunked(text);
      if (encoding !== '') metadata[name] = encoding;
      continue;
    }
    metadata[name] = text;
  }
  metadata['content-type'] ??= DEFAULT_CONTENT_TYPE;

  let userBytes = 0;
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith(USER_METADATA_PREFIX) || raw === undefined) continue;
    const value = headerText(Array.isArray(raw) ? raw.join(',') : raw);
    metadata[name] = value;
    userBytes += Buffer.byteLength(name.slice(USER_METADATA_PREFIX.length)) + Buffer.byteLength(value);
  }
  if (userBytes > MAX_USER_METADATA_BYTES) throw new S3Error('MetadataTooLarge');
  return metadata;
}

/**
 * A Content-Encoding without its `aws-chunked` token (framing of the request body,
 * not of the object: S3 does not store it), as given when there is none.
 */
function withoutAwsChunked(value: string): string {
  const tokens = value.split(',').map((v) => v.trim());
  if (!tokens.some((t) => t.toLowerCase() === 'aws-chunked')) return value;
  return tokens.filter((t) => t !== '' && t.toLowerCase() !== 'aws-chunked').join(', ');
}

/** The checksum entries (`x-amz-checksum-crc32` → base64) of stored metadata. */
export function checksumEntries(metadata: ObjectMetadata): Array<[string, string]> {
  return Object.entries(metadata).filter(([name]) => name.startsWith(CHECKSUM_METADATA_PREFIX));
}

/** Query parameters of GetObject that override response headers. */
const RESPONSE_OVERRIDES = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
] as const;

/**
 * Response headers describing an object (GetObject, HeadObject). Length, range and
 * checksum headers are the caller's business.
 */
export function objectResponseHeaders(info: ObjectInfo, query?: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {
    etag: `"${info.etag}"`,
    'last-modified': info.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const name of STORED_HEADERS) {
    const value = info.metadata[name];
    if (value !== undefined) out[name] = asHeaderBytes(value);
  }
  for (const [name, value] of Object.entries(info.metadata)) {
    if (name.startsWith(USER_METADATA_PREFIX)) out[name] = asHeaderBytes(value);
  }
  if (info.storageClass !== '' && info.storageClass !== 'STANDARD')
    out['x-amz-storage-class'] = info.storageClass;
  if (query !== undefined) {
    for (const [param, header] of RESPONSE_OVERRIDES) {
      const value = query.get(param);
      if (value !== null) out[header] = headerSafe(param, value);
    }
  }
  return out;
}

/**
 * A query-supplied value made fit for a response header: UTF-8 bytes carried as
 * latin1 (what Node writes byte for byte), control characters refused so a query
 * cannot inject header lines.
 */
function headerSafe(param: string, value: string): string {
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
    throw new S3Error('InvalidArgument', {
      message: `Invalid value for ${param}`,
      extra: { ArgumentName: param },
    });
  }
  return Buffer.from(value, 'utf8').toString('latin1');
}

const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * Stored text as a header string for Node, which writes each character as one byte:
 * text within latin-1 as is (latin-1 bytes), anything else as its UTF-8 bytes.
 */
function asHeaderBytes(text: string): string {
  return BEYOND_LATIN1.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/** One header value as a string (repeated headers joined with ','). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}
