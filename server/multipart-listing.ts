import { S3Error } from './s3-errors.js';

/** Paging parameters of ListParts, ListMultipartUploads and GetObjectAttributes. */

export const MAX_LIST_PARTS = 1000;
export const MAX_LIST_UPLOADS = 1000;

/**
 * A non-negative integer page size: absent → `limit`; above the limit → the limit
 * (as AWS); anything else InvalidArgument naming the parameter.
 */
export function parseMaxCount(value: string | null | undefined, name: string, limit: number): number {
  if (value === null || value === undefined) return limit;
  if (!/^\d{1,16}$/.test(value.trim())) {
    throw new S3Error('InvalidArgument', {
      message: `Provided ${name} not an integer or within integer range`,
      extra: { ArgumentName: name, ArgumentValue: value.slice(0, 64) },
    });
  }
  return Math.min(Number(value.trim()), limit);
}

/** part-number-marker: absent → 0; a non-negative integer, else InvalidArgument. */
export function parsePartNumberMarker(value: string | null | undefined, name: string): number {
  if (value === null || value === undefined || value === '') return 0;
  if (!/^\d{1,16}$/.test(value.trim())) {
    throw new S3Error('InvalidArgument', {
      message: `Provided ${name} not an integer or within integer range`,
      extra: { ArgumentName: name, ArgumentValue: value.slice(0, 64) },
    });
  }
  return Number(value.trim());
}
