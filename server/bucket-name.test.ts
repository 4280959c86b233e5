import { describe, expect, it } from 'vitest';
import { isValidBucketName } from './bucket-name.js';

describe('isValidBucketName', () => {
  it.each(['abc', 'my-bucket', 'my.bucket.1', '1bucket', 'a'.repeat(63), 'strata-data', 'minio2'])(
    'accepts %s',
    (name) => {
      expect(isValidBucketName(name)).toBe(true);
    },
  );
  it.each([
    'ab',
    'a'.repeat(64),
    'MyBucket',
    '-abc',
    'abc-',
    'a..b',
    'a.-b',
    'a_b',
    '192.168.1.1',
    'xn--abc',
    'sthree-x',
    'x-s3alias',
    'x--ol-s3',
    '_strata',
    // Reserved: Strata's path-style health and metrics endpoints live under these.
    'strata',
    'minio',
    'WriteGetObjectResponse',
  ])('rejects %s', (name) => {
    expect(isValidBucketName(name)).toBe(false);
  });
});
