import { describe, expect, it } from 'vitest';
import { parseCopySource } from './copy-object.js';

describe('parseCopySource', () => {
  it.each([
    ['bkt/key', { bucket: 'bkt', key: 'key' }],
    ['/bkt/dir/key', { bucket: 'bkt', key: 'dir/key' }],
    ['bkt/a%20b%2Bc', { bucket: 'bkt', key: 'a b+c' }],
    ['bkt/a+b', { bucket: 'bkt', key: 'a+b' }],
    ['bkt/what%3F?versionId=null', { bucket: 'bkt', key: 'what?', versionId: 'null' }],
    ['bkt/k?versionId=3HL4kqtJlcpXroDTDmJ', { bucket: 'bkt', key: 'k', versionId: '3HL4kqtJlcpXroDTDmJ' }],
    ['bkt/k?other=1', { bucket: 'bkt', key: 'k' }],
    ['bkt//lead', { bucket: 'bkt', key: '/lead' }],
    ['bkt/%F0%9F%98%80', { bucket: 'bkt', key: '😀' }],
  ])('%s', (header, expected) => {
    expect(parseCopySource(header)).toEqual(expected);
  });

  it.each([
    ['', 'InvalidArgument'],
    ['bkt', 'InvalidArgument'],
    ['bkt/', 'InvalidArgument'],
    ['bkt/k?versionId=', 'InvalidArgument'],
    ['bkt/k?versionId=a%20b', 'InvalidArgument'],
    ['bkt/%E0%A4%A', 'InvalidArgument'],
    [`bkt/${'k'.repeat(1025)}`, 'KeyTooLongError'],
  ])('rejects %s', (header, code) => {
    expect(() => parseCopySource(header)).toThrow(expect.objectContaining({ code }));
  });
});
