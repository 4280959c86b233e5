import { S3Error } from '../s3-errors.js';

/** AWS allows 15 minutes of clock difference (SigV4 and SigV2 alike). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses an ISO 8601 basic timestamp (20130524T000000Z) to epoch ms; NaN when malformed. */
export function parseAmzDate(value: string): number {
  const m = AMZ_DATE_RE.exec(value);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  // Reject rolled-over values such as 20130231 or 246000.
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59)
    return Number.NaN;
  return ms;
}

/** Formats epoch ms as ISO 8601 basic (20130524T000000Z). */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Reads a Date or x-amz-date header value to epoch ms: ISO 8601 basic, or any HTTP date
 * form (RFC 7231 / RFC 850 / asctime, as `Date.parse` reads them). NaN when unreadable.
 */
export function parseRequestDate(value: string): number {
  return AMZ_DATE_RE.test(value) ? parseAmzDate(value) : Date.parse(value);
}

/** Throws RequestTimeTooSkewed when the request time is more than 15 minutes from the server's. */
export function checkSkew(requestMs: number, nowMs: number): void {
  if (Math.abs(nowMs - requestMs) > MAX_CLOCK_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', {
      extra: {
        RequestTime: new Date(requestMs).toISOString(),
        ServerTime: new Date(nowMs).toISOString(),
        MaxAllowedSkewMilliseconds: String(MAX_CLOCK_SKEW_MS),
      },
    });
  }
}
