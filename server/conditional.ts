/**
 * Conditional request evaluation (RFC 9110 §13.2.2 order, as Amazon S3 documents it
 * for GetObject/HeadObject and for CopyObject's x-amz-copy-source-if-* headers):
 *
 * 1. If-Match present and false → 412. (If-Match true makes If-Unmodified-Since moot.)
 * 2. Else If-Unmodified-Since present and false → 412.
 * 3. If-None-Match present and an ETag matches → 304 (If-Modified-Since is then moot).
 * 4. Else If-Modified-Since present and the object is not newer → 304.
 *
 * HTTP dates have one-second precision, so Last-Modified is compared truncated to the
 * second. Unparseable dates are ignored (RFC 9110).
 */
export interface Preconditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

export type PreconditionOutcome = 'proceed' | 'precondition-failed' | 'not-modified';

export function evaluatePreconditions(
  conditions: Preconditions,
  object: { etag: string; lastModified: Date },
): PreconditionOutcome {
  const lastModifiedSec = Math.floor(object.lastModified.getTime() / 1000);
  const { ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince } = conditions;

  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, object.etag)) return 'precondition-failed';
  } else if (ifUnmodifiedSince !== undefined) {
    const since = parseHttpDateSec(ifUnmodifiedSince);
    if (since !== undefined && lastModifiedSec > since) return 'precondition-failed';
  }

  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, object.etag)) return 'not-modified';
  } else if (ifModifiedSince !== undefined) {
    const since = parseHttpDateSec(ifModifiedSince);
    if (since !== undefined && lastModifiedSec <= since) return 'not-modified';
  }
  return 'proceed';
}

/** True when a header's ETag list (`*`, `"a", W/"b"`, or unquoted) names etag. */
export function etagListMatches(header: string, etag: string): boolean {
  const want = stripEtag(etag);
  for (const part of header.split(',')) {
    const candidate = part.trim();
    if (candidate === '*') return true;
    if (candidate !== '' && stripEtag(candidate) === want) return true;
  }
  return false;
}

function stripEtag(value: string): string {
  let v = value.trim();
  if (v.startsWith('W/')) v = v.slice(2);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
  return v;
}

function parseHttpDateSec(value: string): number | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
