import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BENCH_SSE_C_KEY,
  decodeXmlText,
  encodeRfc3986,
  objectPath,
  parseListObjectsV2,
  sseHeaders,
  xmlElement,
} from './s3-api.js';

describe('S3 answer parsing', () => {
  it('reads keys and the continuation token of a ListObjectsV2 page', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix>p/</Prefix>' +
      '<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>' +
      '<Contents><Key>p/a&amp;b</Key><Size>1</Size></Contents><Contents><Key>p/c&lt;d</Key></Contents>' +
      '<NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>';
    expect(parseListObjectsV2(xml)).toEqual({ keys: ['p/a&b', 'p/c<d'], next: 'tok+/=' });
  });

  it('ends on a page that is not truncated', () => {
    const xml =
      '<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key></Contents></ListBucketResult>';
    expect(parseListObjectsV2(xml)).toEqual({ keys: ['k'], next: undefined });
  });

  it('refuses a truncated page without a token', () => {
    expect(() => parseListObjectsV2('<IsTruncated>true</IsTruncated>')).toThrow(/NextContinuationToken/);
  });

  it('decodes entities and character references', () => {
    expect(decodeXmlText('a&amp;b&#65;&#x42;&quot;&apos;&unknown;')).toBe('a&bAB"\'&unknown;');
    expect(xmlElement('<Error><Code>NoSuchKey</Code></Error>', 'Code')).toBe('NoSuchKey');
    expect(xmlElement('<Error></Error>', 'Code')).toBeUndefined();
  });
});

describe('request paths', () => {
  it('encodes keys like SigV4 canonicalizes them, keeping slashes', () => {
    expect(objectPath('b')).toBe('/b');
    expect(objectPath('b', 'dir/a b+c!*')).toBe('/b/dir/a%20b%2Bc%21%2A');
    expect(encodeRfc3986("(')~")).toBe('%28%27%29~');
  });
});

describe('sseHeaders', () => {
  it('adds nothing without encryption', () => {
    expect(sseHeaders('none')).toEqual({ write: {}, read: {} });
  });

  it('asks for SSE-S3 and SSE-KMS on writes only', () => {
    expect(sseHeaders('s3')).toEqual({ write: { 'x-amz-server-side-encryption': 'AES256' }, read: {} });
    expect(sseHeaders('kms')).toEqual({ write: { 'x-amz-server-side-encryption': 'aws:kms' }, read: {} });
  });

  it('sends the same SSE-C key and its MD5 on writes and reads', () => {
    const { write, read } = sseHeaders('c');
    expect(read).toEqual(write);
    expect(BENCH_SSE_C_KEY).toHaveLength(32);
    expect(write).toEqual({
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': BENCH_SSE_C_KEY.toString('base64'),
      'x-amz-server-side-encryption-customer-key-md5': createHash('md5')
        .update(BENCH_SSE_C_KEY)
        .digest('base64'),
    });
    expect(sseHeaders('c').write).toEqual(write);
  });
});
