/**
 * Byte ranges for GetObject/HeadObject (RFC 9110 §14, as Amazon S3 applies it).
 *
 * S3 serves one range per request. A header that is not a single well-formed
 * `bytes=` range (another unit, bad syntax, first > last, several ranges) is ignored
 * and the whole object is returned, as RFC 9110 allows and AWS does.
 */
export type RangeResult =
  /** No usable Range header: serve the whole object with 200. */
  | { kind: 'whole' }
  /** Serve bytes start..end inclusive with 206. */
  | { kind: 'partial'; start: number; end: number }
  /** 416 InvalidRange with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/** Resolves a Range header against an object of sizeBytes bytes. */
export function resolveRange(header: string | undefined, sizeBytes: number): RangeResult {
  if (header === undefined) return { kind: 'whole' };
  const m = SINGLE_RANGE.exec(header.trim().replace(/\s+/g, ''));
  if (m === null) return { kind: 'whole' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'whole' };

  if (first === '') {
    // Suffix range: the last n bytes; a suffix longer than the object is the whole object.
    const n = Number(last);
    if (!Number.isSafeInteger(n)) return { kind: 'whole' };
    if (n === 0 || sizeBytes === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, sizeBytes - n), end: sizeBytes - 1 };
  }

  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (!Number.isSafeInteger(start) || (last !== '' && !Number.isSafeInteger(end))) {
    return { kind: 'whole' };
  }
  if (end < start) return { kind: 'whole' };
  if (start >= sizeBytes) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, sizeBytes - 1) };
}

/** The Content-Range header value for a partial response. */
export function contentRange(start: number, end: number, sizeBytes: number): string {
  return `bytes ${start}-${end}/${sizeBytes}`;
}
