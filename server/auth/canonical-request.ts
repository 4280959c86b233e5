import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import { percentDecode, uriEncode } from './uri-encode.js';

/** The six parts of a SigV4 canonical request, each already canonical. */
export interface CanonicalRequestParts {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  /** `name:value\n` lines, in signed-header order (see `canonicalHeaders`). */
  canonicalHeaders: string;
  /** The SignedHeaders list joined by ';'. */
  signedHeaders: string;
  /** x-amz-content-sha256 value, UNSIGNED-PAYLOAD, or a hex SHA-256. */
  payloadHash: string;
}

/**
 * Joins the parts into the canonical request string SigV4 hashes.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html#canonical-request
 */
export function canonicalRequest(p: CanonicalRequestParts): string {
  return `${p.method}\n${p.canonicalUri}\n${p.canonicalQuery}\n${p.canonicalHeaders}\n${p.signedHeaders}\n${p.payloadHash}`;
}

/**
 * The canonical URI of a raw (still percent-encoded) request path, the way S3
 * computes it: no normalization (no dot-segment removal, '//' kept), each segment
 * percent-decoded to bytes then re-encoded with `uriEncode` ('/' inside a segment,
 * i.e. a decoded %2F, stays encoded). Empty path → '/'.
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  const segments = rawPath.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    segments[i] = uriEncode(percentDecode(seg, false), true);
  }
  return segments.join('/');
}

/** One query parameter, decoded (bytes → UTF-8 string; '+' read as space). */
export interface QueryParam {
  name: string;
  value: string;
  /** Canonical (re-encoded) forms, used for sorting and signing. */
  encodedName: string;
  encodedValue: string;
}

/**
 * Splits a raw query string (without '?') into parameters. Empty pieces ('a&&b')
 * are dropped; a name without '=' has the value ''.
 */
export function parseQuery(rawQuery: string): QueryParam[] {
  const out: QueryParam[] = [];
  if (rawQuery === '') return out;
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const rawName = eq === -1 ? piece : piece.slice(0, eq);
    const rawValue = eq === -1 ? '' : piece.slice(eq + 1);
    const nameBytes = percentDecode(rawName, true);
    const valueBytes = percentDecode(rawValue, true);
    out.push({
      name: nameBytes.toString('utf8'),
      value: valueBytes.toString('utf8'),
      encodedName: uriEncode(nameBytes, true),
      encodedValue: uriEncode(valueBytes, true),
    });
  }
  return out;
}

/**
 * The canonical query string: parameters re-encoded, sorted by encoded name then
 * encoded value (byte order), joined as `name=value` (empty value → `name=`) with '&'.
 * `omit` drops a parameter by decoded name (X-Amz-Signature for presigned URLs).
 */
export function canonicalQuery(params: readonly QueryParam[], omit?: string): string {
  const pairs: [string, string][] = [];
  for (const p of params) {
    if (p.name !== omit) pairs.push([p.encodedName, p.encodedValue]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  let out = '';
  for (const [k, v] of pairs) out += out === '' ? `${k}=${v}` : `&${k}=${v}`;
  return out;
}

/**
 * Canonical header lines for `signedHeaders` (lower-case names, in the order
 * given): `name:value\n` each, the value read as text (`headerText`: the UTF-8 the
 * client sent, so the hash covers its bytes), trimmed, inner whitespace runs
 * collapsed to one space (as the SDKs do, after decoding); repeated headers (arrays)
 * joined with ','. A signed header absent from the request contributes an empty
 * value, so the signature simply fails to match.
 */
export function canonicalHeaders(headers: IncomingHttpHeaders, signedHeaders: readonly string[]): string {
  let out = '';
  for (const name of signedHeaders) {
    const raw = headers[name];
    const value =
      raw === undefined
        ? ''
        : Array.isArray(raw)
          ? raw.map(canonicalHeaderValue).join(',')
          : canonicalHeaderValue(raw);
    out += `${name}:${value}\n`;
  }
  return out;
}

const WHITESPACE_RUN = /\s+/g;

function canonicalHeaderValue(v: string): string {
  return headerText(v).trim().replace(WHITESPACE_RUN, ' ');
}

const NON_ASCII = /[^\u0000-\u007f]/;
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * The text of a header value. Node hands header values over latin1-decoded (one
 * character per byte), but clients send non-ASCII values as UTF-8 (botocore does, and
 * signs that UTF-8): bytes that are valid UTF-8 are decoded as UTF-8, anything else is
 * kept as latin-1. A string with characters beyond latin-1 is already text (e.g. a
 * form field) and is returned as is, as is ASCII.
 *
 * Signing hashes the canonical request as UTF-8, so for a UTF-8 value the hash is over
 * exactly the bytes sent. A value that is not UTF-8 is hashed as its latin-1 reading
 * re-encoded, which a client signing raw non-UTF-8 bytes will not match.
 */
export function headerText(value: string): string {
  if (!NON_ASCII.test(value) || BEYOND_LATIN1.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : value;
}
