import { describe, expect, it } from 'vitest';
import {
  encodeTagQuery,
  parseTaggingXml,
  parseTagQuery,
  storedTags,
  tagCountHeader,
  taggingMetadataFromHeaders,
  validateTags,
} from './tagging.js';

const xml = (tags: Array<[string, string]>) =>
  `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;

describe('tag validation', () => {
  it('sorts by key bytes and accepts the documented characters in any script', () => {
    expect(
      validateTags(
        [
          { key: 'b', value: '1' },
          { key: 'B', value: 'ü 中 +-=._:/@' },
          { key: 'a b', value: '' },
        ],
        'object',
      ).map((t) => t.key),
    ).toEqual(['B', 'a b', 'b']);
  });

  it.each([
    [
      Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: '' })),
      'Object tags cannot be greater than 10',
    ],
    [[{ key: 'k'.repeat(129), value: '' }], 'The TagKey you have provided is too long, max 128'],
    [[{ key: 'k', value: 'v'.repeat(257) }], 'The TagValue you have provided is too long, max 256'],
    [[{ key: '', value: 'v' }], 'The TagKey you have provided is invalid'],
    [[{ key: 'a#b', value: 'v' }], 'The TagKey you have provided is invalid'],
    [[{ key: 'k', value: 'a<b' }], 'The TagValue you have provided is invalid'],
    [[{ key: 'AWS:x', value: 'v' }], 'Your TagKey cannot be prefixed with aws:'],
    [
      [
        { key: 'k', value: '1' },
        { key: 'k', value: '2' },
      ],
      'Cannot provide multiple Tags with the same key',
    ],
  ])('rejects %j with InvalidTag', (tags, message) => {
    expect(() => validateTags(tags, 'object')).toThrow(
      expect.objectContaining({ code: 'InvalidTag', message }),
    );
  });

  it('counts characters, not bytes, against the length limits', () => {
    expect(validateTags([{ key: 'ü'.repeat(128), value: '中'.repeat(256) }], 'object')).toHaveLength(1);
  });

  it('allows 50 bucket tags and refuses 51', () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: '' }));
    expect(validateTags(tags(50), 'bucket')).toHaveLength(50);
    expect(() => validateTags(tags(51), 'bucket')).toThrow(expect.objectContaining({ code: 'InvalidTag' }));
  });
});

describe('Tagging XML and the x-amz-tagging form', () => {
  it('parses a document, defaulting a missing Value to empty', () => {
    expect(parseTaggingXml('<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>', 'object')).toEqual([
      { key: 'k', value: '' },
    ]);
    expect(parseTaggingXml(xml([['k', 'a &#x4E2D;']]), 'object')).toEqual([{ key: 'k', value: 'a 中' }]);
  });

  it.each(['<Other/>', '<Tagging/>', '<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>'])(
    'MalformedXML for %s',
    (doc) => {
      expect(() => parseTaggingXml(doc, 'object')).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    },
  );

  it('round-trips through the stored query form', () => {
    const tags = [
      { key: 'a b', value: 'c+d=e/f' },
      { key: 'ü', value: '' },
    ];
    const q = encodeTagQuery(tags);
    expect(parseTagQuery(q, 'object')).toEqual(tags);
    expect(storedTags({ 'x-amz-tagging': q })).toEqual(tags);
    expect(tagCountHeader({ 'x-amz-tagging': q })).toEqual({ 'x-amz-tagging-count': '2' });
    expect(tagCountHeader({})).toEqual({});
  });

  it('reads the header as a URL query: + is a space, a bare name has an empty value', () => {
    expect(taggingMetadataFromHeaders({ 'x-amz-tagging': 'foo=bar&bar&a+b=%2B' })).toEqual({
      'x-amz-tagging': 'a%20b=%2B&bar=&foo=bar',
    });
    expect(taggingMetadataFromHeaders({ 'x-amz-tagging': '' })).toEqual({});
    expect(taggingMetadataFromHeaders({})).toEqual({});
  });
});
