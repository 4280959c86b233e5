import { describe, expect, it } from 'vitest';
import type { ObjectInfo, ObjectPartInfo } from '../storage/index.js';
import { locatePart } from './multipart-part-range.js';

function info(
  sizeBytes: number,
  parts?: ObjectPartInfo[],
  metadata: Record<string, string> = {},
): ObjectInfo {
  return {
    bucket: 'b',
    key: 'k',
    sizeBytes,
    etag: 'e',
    lastModified: new Date(0),
    versionId: 'null',
    isDeleteMarker: false,
    isLatest: true,
    metadata,
    storageClass: 'STANDARD',
    ...(parts === undefined ? {} : { parts }),
  };
}

const part = (partNumber: number, sizeBytes: number, metadata: Record<string, string> = {}) => ({
  partNumber,
  sizeBytes,
  etag: `p${partNumber}`,
  metadata,
});

const code = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return `${(err as { code: string }).code} ${(err as { status: number }).status}`;
  }
};

describe('locatePart', () => {
  const multipart = info(12, [part(1, 5), part(2, 5), part(3, 2)]);

  it('answers the byte range of a part of a multipart object with the parts count', () => {
    expect(locatePart(multipart, 2, false)).toEqual({
      range: { kind: 'partial', start: 5, end: 9 },
      headers: { 'x-amz-mp-parts-count': '3' },
    });
    expect(locatePart(multipart, 3, false).range).toEqual({ kind: 'partial', start: 10, end: 11 });
  });

  it('adds the part checksum and the object checksum type with checksum mode', () => {
    const withSums = info(10, [part(1, 5, { 'x-amz-checksum-crc32': 'AAAAAA==' }), part(2, 5)], {
      'x-amz-checksum-type': 'COMPOSITE',
    });
    expect(locatePart(withSums, 1, true).headers).toEqual({
      'x-amz-mp-parts-count': '2',
      'x-amz-checksum-crc32': 'AAAAAA==',
      'x-amz-checksum-type': 'COMPOSITE',
    });
    expect(locatePart(withSums, 2, true).headers).toEqual({ 'x-amz-mp-parts-count': '2' });
  });

  it('answers part 1 of a single-part object as the whole object', () => {
    expect(locatePart(info(7), 1, false)).toEqual({ range: undefined, headers: {} });
    expect(locatePart(info(0, []), 1, false)).toEqual({ range: undefined, headers: {} });
  });

  it('refuses a part number the object does not have with 400 InvalidPart (as ceph/s3-tests)', () => {
    expect(code(() => locatePart(multipart, 4, false))).toBe('InvalidPart 400');
    expect(code(() => locatePart(multipart, 10_000, false))).toBe('InvalidPart 400');
    expect(code(() => locatePart(info(7), 2, false))).toBe('InvalidPart 400');
  });

  it('refuses a zero-byte part of a multipart object with 416 InvalidPartNumber', () => {
    expect(code(() => locatePart(info(5, [part(1, 5), part(2, 0)]), 2, false))).toBe('InvalidPartNumber 416');
  });
});
