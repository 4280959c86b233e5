import { describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../storage/index.js';
import { metadataFromHeaders, objectResponseHeaders } from './object-metadata.js';

describe('metadataFromHeaders', () => {
  it('keeps system headers, lower-cased user metadata, drops aws-chunked and defaults content-type', () => {
    expect(
      metadataFromHeaders({
        'content-encoding': 'aws-chunked,gzip',
        'cache-control': 'no-cache',
        'x-amz-meta-color': 'blue',
        'x-amz-checksum-crc32': 'AAAAAA==',
        authorization: 'secret',
      }),
    ).toEqual({
      'content-type': 'binary/octet-stream',
      'content-encoding': 'gzip',
      'cache-control': 'no-cache',
      'x-amz-meta-color': 'blue',
    });
  });

  it.each([
    ['gzip, aws-chunked', 'gzip'],
    ['aws-chunked, gzip', 'gzip'],
    ['AWS-Chunked,deflate ,gzip', 'deflate, gzip'],
    ['deflate,gzip', 'deflate,gzip'],
    ['gzip', 'gzip'],
  ])('stores content-encoding %j as %j', (given, stored) => {
    expect(metadataFromHeaders({ 'content-encoding': given })['content-encoding']).toBe(stored);
  });

  it('drops a content-encoding that was only aws-chunked', () => {
    expect(metadataFromHeaders({ 'content-encoding': 'aws-chunked', 'content-type': 'text/plain' })).toEqual({
      'content-type': 'text/plain',
    });
  });

  it('stores header values as text: UTF-8 bytes (received latin1-decoded) are decoded', () => {
    const received = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    expect(
      metadataFromHeaders({
        'x-amz-meta-meta1': received('Hello World\u00e9'),
        'x-amz-meta-emoji': received('ключ 😀'),
        'content-disposition': received('attachment; filename="é.txt"'),
        // Not UTF-8: kept as its latin-1 reading.
        'x-amz-meta-latin1': Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('latin1'),
      }),
    ).toEqual({
      'content-type': 'binary/octet-stream',
      'content-disposition': 'attachment; filename="é.txt"',
      'x-amz-meta-meta1': 'Hello World\u00e9',
      'x-amz-meta-emoji': 'ключ 😀',
      'x-amz-meta-latin1': 'caf\u00e9',
    });
  });

  it('counts user metadata size in UTF-8 bytes of the decoded text', () => {
    const received = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    // 1023 two-byte characters + 'a' = 2047 bytes.
    expect(() => metadataFromHeaders({ 'x-amz-meta-a': received('é'.repeat(1023)) })).not.toThrow();
    expect(() => metadataFromHeaders({ 'x-amz-meta-a': received('é'.repeat(1024)) })).toThrow(
      expect.objectContaining({ code: 'MetadataTooLarge' }),
    );
  });

  it('rejects more than 2 KiB of user metadata', () => {
    expect(() => metadataFromHeaders({ 'x-amz-meta-a': 'x'.repeat(2047) })).not.toThrow();
    expect(() => metadataFromHeaders({ 'x-amz-meta-a': 'x'.repeat(2048) })).toThrow(
      expect.objectContaining({ code: 'MetadataTooLarge' }),
    );
  });
});

describe('objectResponseHeaders', () => {
  const info: ObjectInfo = {
    bucket: 'b',
    key: 'k',
    sizeBytes: 3,
    etag: 'abc',
    lastModified: new Date('2024-01-02T03:04:05.678Z'),
    versionId: 'null',
    isDeleteMarker: false,
    isLatest: true,
    metadata: { 'content-type': 'text/plain', 'x-amz-meta-a': '1', 'x-amz-checksum-crc32': 'AAAAAA==' },
    storageClass: 'STANDARD',
  };

  it('describes the object and applies response-* overrides', () => {
    expect(
      objectResponseHeaders(info, new URLSearchParams('response-content-type=x/y&response-expires=never')),
    ).toEqual({
      etag: '"abc"',
      'last-modified': 'Tue, 02 Jan 2024 03:04:05 GMT',
      'accept-ranges': 'bytes',
      'content-type': 'x/y',
      'x-amz-meta-a': '1',
      expires: 'never',
    });
  });

  it('writes stored text back as latin-1 when it fits, else as its UTF-8 bytes', () => {
    const headers = objectResponseHeaders({
      ...info,
      metadata: {
        'content-disposition': 'inline; filename="é"',
        'x-amz-meta-latin1': 'Hello World\u00e9',
        'x-amz-meta-other': 'Hello World\u00e9 😀',
      },
    });
    // Node writes these strings one byte per character.
    expect(headers['content-disposition']).toBe('inline; filename="é"');
    expect(headers['x-amz-meta-latin1']).toBe('Hello World\u00e9');
    expect(Buffer.from(headers['x-amz-meta-other'] ?? '', 'latin1')).toEqual(
      Buffer.from('Hello World\u00e9 😀'),
    );
  });

  it('carries non-ASCII overrides as UTF-8 bytes and refuses control characters', () => {
    const headers = objectResponseHeaders(
      info,
      new URLSearchParams('response-content-disposition=attachment%3B%20filename%3D%C3%A9'),
    );
    expect(Buffer.from(headers['content-disposition'] ?? '', 'latin1').toString('utf8')).toBe(
      'attachment; filename=é',
    );
    expect(() => objectResponseHeaders(info, new URLSearchParams('response-content-type=a%0D%0Ab'))).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });
});
