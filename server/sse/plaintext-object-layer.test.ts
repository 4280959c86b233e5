import { describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../../storage/index.js';
import { plainInfo } from './plaintext-object-layer.js';

function info(sizeBytes: number, metadata: Record<string, string>, parts?: ObjectInfo['parts']): ObjectInfo {
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

describe('plainInfo', () => {
  it('leaves plaintext objects alone', () => {
    const plain = info(10, { 'content-type': 'text/plain' });
    expect(plainInfo(plain)).toBe(plain);
  });

  it('reports the recorded plaintext size of an object and of each part', () => {
    const sealed = info(65_552 + 16, { 'x-strata-sse-size': '65537' });
    expect(plainInfo(sealed).sizeBytes).toBe(65_537);
    const multipart = info(200, { 'x-strata-sse-size': '150' }, [
      { partNumber: 1, sizeBytes: 116, etag: 'a', metadata: { 'x-strata-sse-size': '100' } },
      { partNumber: 3, sizeBytes: 66, etag: 'b', metadata: { 'x-strata-sse-size': '50' } },
    ]);
    const mapped = plainInfo(multipart);
    expect(mapped.sizeBytes).toBe(150);
    expect(mapped.parts?.map((p) => p.sizeBytes)).toEqual([100, 50]);
    expect(multipart.sizeBytes).toBe(200); // the input is not changed
  });

  it('ignores a malformed size (decryption refuses the object later)', () => {
    expect(plainInfo(info(32, { 'x-strata-sse-size': '-1' })).sizeBytes).toBe(32);
    expect(plainInfo(info(32, { 'x-strata-sse-size': '1e3' })).sizeBytes).toBe(32);
  });
});
