import { describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../storage/index.js';
import {
  commonPrefixEntries,
  contentsEntry,
  decodeContinuationToken,
  encodeContinuationToken,
  listBucketResponse,
  listingXml,
  parseEncodingType,
  parseMaxKeys,
} from './listing.js';
import { buildXml, type XmlObject } from './xml.js';

describe('listing parameters', () => {
  it('parses max-keys: default 1000, 0 allowed, above 1000 served as 1000', () => {
    expect(parseMaxKeys(null)).toBe(1000);
    expect(parseMaxKeys('0')).toBe(0);
    expect(parseMaxKeys('5')).toBe(5);
    expect(parseMaxKeys('5000')).toBe(1000);
    for (const bad of ['-1', 'abc', '1.5', '']) {
      expect(() => parseMaxKeys(bad)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
  });

  it('parses encoding-type', () => {
    expect(parseEncodingType(null)).toBeUndefined();
    expect(parseEncodingType('url')).toBe('url');
    expect(parseEncodingType('URL')).toBe('url');
    expect(() => parseEncodingType('base64')).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('round-trips continuation tokens for any marker and refuses forged ones', () => {
    for (const marker of ['', 'a', 'dir/', '\u0001😀 +%', 'k'.repeat(1024)]) {
      expect(decodeContinuationToken(encodeContinuationToken(marker))).toBe(marker);
    }
    for (const bad of ['garbage!', Buffer.from('2:x').toString('base64'), 'YQ', '']) {
      expect(() => decodeContinuationToken(bad)).toThrow(
        expect.objectContaining({ code: 'InvalidArgument' }),
      );
    }
  });
});

describe('listingXml', () => {
  const hostile = [
    'plain',
    '',
    'a&b<c>d"e\'f',
    'ctl\u0001\u001f\r\n\t',
    '😀/\uffff',
    'lone\ud800x',
    'x\udc00',
    'sp ace%2F',
  ];
  const object = (key: string, i: number): ObjectInfo => ({
    bucket: 'bkt',
    key,
    sizeBytes: i * 1000,
    etag: i % 2 ? '60e0ccc34a7534a2d18c31041feb17b9' : '0b0f2d5e3c1a4b6d8e9f0a1b2c3d4e5f-2',
    lastModified: new Date(1_764_000_000_123 + i),
    versionId: 'null',
    isDeleteMarker: false,
    isLatest: true,
    metadata: {},
    storageClass: i % 3 ? '' : 'STANDARD',
  });

  it('writes the same document as buildXml for listing pages', () => {
    for (const encoding of [undefined, 'url'] as const) {
      for (const withOwner of [false, true]) {
        const doc: XmlObject = {
          Name: 'bkt',
          Prefix: hostile[2],
          ContinuationToken: undefined,
          NextContinuationToken: encodeContinuationToken('k'),
          KeyCount: hostile.length + 2,
          MaxKeys: 1000,
          Delimiter: '/',
          IsTruncated: withOwner,
          EncodingType: encoding,
          StartAfter: hostile[3],
          // Lone surrogates cannot be percent-encoded (no request can carry them anyway).
          Contents: hostile
            .filter((k) => encoding === undefined || !/[\ud800-\udfff]/.test(k.replace('😀', '')))
            .map((k, i) => contentsEntry(object(k, i), encoding, withOwner)),
          CommonPrefixes: commonPrefixEntries(['p/', 'q&/'], encoding),
        };
        expect(listingXml('ListBucketResult', doc)).toBe(buildXml('ListBucketResult', doc));
      }
    }
  });

  it('writes the same document as buildXml for empty pages and odd values', () => {
    const docs: XmlObject[] = [
      {
        Name: 'b',
        Prefix: '',
        KeyCount: 0,
        MaxKeys: 0,
        IsTruncated: false,
        Contents: [],
        CommonPrefixes: [],
      },
      { Name: 'b', Nested: { Empty: {}, Deeper: { Value: 1.5, When: new Date(0) } }, List: ['x', 0] },
    ];
    for (const doc of docs)
      expect(listingXml('ListBucketResult', doc)).toBe(buildXml('ListBucketResult', doc));
  });

  it('listBucketResponse writes what buildXml writes for the same ListBucketResult', () => {
    for (const encoding of [undefined, 'url'] as const) {
      for (const withOwner of [false, true]) {
        const objects = hostile
          .filter((k) => encoding === undefined || !/[\ud800-\udfff]/.test(k.replace('😀', '')))
          .map(object);
        for (const prefixes of [[], ['p/', 'q&/', '😀/']]) {
          const head: XmlObject = {
            Name: 'bkt',
            Prefix: '',
            Marker: 'm&',
            MaxKeys: 1000,
            IsTruncated: false,
            EncodingType: encoding,
          };
          const res = listBucketResponse(head, objects, prefixes, encoding, withOwner);
          expect(res).toMatchObject({ status: 200, headers: { 'content-type': 'application/xml' } });
          expect(res.body).toBe(
            buildXml('ListBucketResult', {
              ...head,
              Contents: objects.map((o) => contentsEntry(o, encoding, withOwner)),
              CommonPrefixes: commonPrefixEntries(prefixes, encoding),
            }),
          );
        }
      }
    }
  });
});
