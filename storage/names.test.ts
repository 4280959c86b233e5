import { describe, expect, it } from 'vitest';
import { compareUtf8, validateBucketName, validateObjectKey } from './names.js';

describe('compareUtf8', () => {
  it('orders like the UTF-8 bytes', () => {
    const keys = ['a', 'b', 'a/b', '\uffff', '😀', '\ud7ff', '', 'é', 'a\u0000', 'z'.repeat(3)];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareUtf8)).toEqual(byBytes);
  });
});

describe('name validation', () => {
  it('accepts S3 bucket names and rejects others', () => {
    expect(() => validateBucketName('my-bucket.1')).not.toThrow();
    for (const bad of ['ab', 'A-bucket', 'a/b', '-ab', 'x'.repeat(64)]) {
      expect(() => validateBucketName(bad)).toThrow(expect.objectContaining({ code: 'InvalidName' }));
    }
  });
  it('accepts 1024-byte keys and rejects longer or malformed ones', () => {
    expect(() => validateObjectKey('k'.repeat(1024))).not.toThrow();
    expect(() => validateObjectKey('😀'.repeat(256))).not.toThrow();
    for (const bad of ['', 'k'.repeat(1025), 'a\ud800b']) {
      expect(() => validateObjectKey(bad)).toThrow(expect.objectContaining({ code: 'InvalidName' }));
    }
  });
});
