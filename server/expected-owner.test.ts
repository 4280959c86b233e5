import { describe, expect, it } from 'vitest';
import { checkExpectedBucketOwner } from './expected-owner.js';
import { OWNER } from './s3-context.js';

describe('checkExpectedBucketOwner', () => {
  it('passes without the headers or with the owner id', () => {
    expect(() => checkExpectedBucketOwner({}, true)).not.toThrow();
    expect(() => checkExpectedBucketOwner({ 'x-amz-expected-bucket-owner': OWNER.ID }, true)).not.toThrow();
    expect(() =>
      checkExpectedBucketOwner({ 'x-amz-source-expected-bucket-owner': ` ${OWNER.ID} ` }, true),
    ).not.toThrow();
  });

  it('refuses any other owner with AccessDenied', () => {
    for (const headers of [
      { 'x-amz-expected-bucket-owner': `${OWNER.ID}foo` },
      { 'x-amz-expected-bucket-owner': '111122223333' },
      { 'x-amz-source-expected-bucket-owner': '111122223333' },
    ]) {
      expect(() => checkExpectedBucketOwner(headers, true)).toThrow(
        expect.objectContaining({ code: 'AccessDenied' }),
      );
    }
  });
});
