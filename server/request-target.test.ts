import { describe, expect, it } from 'vitest';
import { bucketFromHost, parseRequestTarget } from './request-target.js';

describe('parseRequestTarget', () => {
  const path = (url: string) => {
    const t = parseRequestTarget(url, 'localhost:9000', ['s3.example.com']);
    return { bucket: t.bucket, key: t.key, rawQuery: t.rawQuery, virtualHost: t.virtualHost };
  };

  it.each([
    ['/', undefined, undefined],
    ['/bkt', 'bkt', undefined],
    ['/bkt/', 'bkt', undefined],
    ['/bkt/a/b.txt', 'bkt', 'a/b.txt'],
    ['/bkt//lead', 'bkt', '/lead'],
    ['/bkt/a//b/', 'bkt', 'a//b/'],
    ['/bkt/a+b', 'bkt', 'a+b'],
    ['/bkt/a%2Bb%20c', 'bkt', 'a+b c'],
    ['/bkt/100%25', 'bkt', '100%'],
    ['/bkt/%2541', 'bkt', '%41'],
    ['/bkt/a%2Fb', 'bkt', 'a/b'],
    ['/bkt/%01%F0%9F%98%80', 'bkt', '\u0001😀'],
    ['/bkt/./x/../y', 'bkt', './x/../y'],
  ])('path-style %s', (url, bucket, key) => {
    expect(path(url)).toEqual({ bucket, key, rawQuery: '', virtualHost: false });
  });

  it('splits the query at the first ? and form-decodes it', () => {
    const t = parseRequestTarget('/b/k?prefix=a+b%2B&list-type=2&x=?y', undefined, []);
    expect(t.key).toBe('k');
    expect(t.rawQuery).toBe('prefix=a+b%2B&list-type=2&x=?y');
    expect(t.query.get('prefix')).toBe('a b+');
    expect(t.query.get('x')).toBe('?y');
  });

  it('keeps an encoded ? in the key', () => {
    expect(parseRequestTarget('/b/what%3F', undefined, []).key).toBe('what?');
  });

  it('takes the bucket from a virtual host and the whole path as key', () => {
    const t = parseRequestTarget('//a/b?acl', 'Photos.s3.example.com:9000', ['s3.example.com']);
    expect(t).toMatchObject({
      bucket: 'photos',
      key: '/a/b',
      rawPath: '//a/b',
      rawQuery: 'acl',
      virtualHost: true,
    });
    expect(parseRequestTarget('/', 'photos.s3.example.com', ['s3.example.com']).key).toBeUndefined();
  });

  it('falls back to path-style for the bare domain and foreign hosts', () => {
    expect(parseRequestTarget('/b/k', 's3.example.com', ['s3.example.com'])).toMatchObject({
      bucket: 'b',
      key: 'k',
    });
    expect(parseRequestTarget('/b/k', '127.0.0.1:9000', ['s3.example.com'])).toMatchObject({
      bucket: 'b',
      key: 'k',
    });
  });

  it('accepts absolute-form targets', () => {
    expect(parseRequestTarget('http://h:1/b/k?x', undefined, [])).toMatchObject({
      bucket: 'b',
      key: 'k',
      rawPath: '/b/k',
    });
  });

  it('rejects malformed percent-encoding as InvalidURI', () => {
    expect(() => parseRequestTarget('/b/%E0%A4%A', undefined, [])).toThrow(
      expect.objectContaining({ code: 'InvalidURI' }),
    );
    expect(() => parseRequestTarget('/b/%FF', undefined, [])).toThrow(
      expect.objectContaining({ code: 'InvalidURI' }),
    );
  });

  it('bucketFromHost ignores IPv6 literals and trailing dots', () => {
    expect(bucketFromHost('[::1]:9000', ['s3.example.com'])).toBeUndefined();
    expect(bucketFromHost('b.s3.example.com.', ['s3.example.com'])).toBe('b');
  });
});
