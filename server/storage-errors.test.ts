import { describe, expect, it } from 'vitest';
import { StorageError, type StorageErrorCode } from '../storage/index.js';
import { isS3Error } from './s3-errors.js';
import { toS3Error } from './storage-errors.js';

describe('toS3Error', () => {
  it.each<[StorageErrorCode, string, number]>([
    ['NoSuchBucket', 'NoSuchBucket', 404],
    ['NoSuchKey', 'NoSuchKey', 404],
    ['BucketNotEmpty', 'BucketNotEmpty', 409],
    ['BucketExists', 'BucketAlreadyOwnedByYou', 409],
    ['InsufficientReadQuorum', 'ServiceUnavailable', 503],
    ['InsufficientWriteQuorum', 'ServiceUnavailable', 503],
    ['IncompleteBody', 'IncompleteBody', 400],
    ['InvalidName', 'InvalidBucketName', 400],
    ['TooManyVersions', 'MaxVersionsExceeded', 400],
  ])('%s → %s', (code, s3Code, status) => {
    const mapped = toS3Error(new StorageError(code, 'internal detail'));
    expect(isS3Error(mapped)).toBe(true);
    expect(mapped).toMatchObject({ code: s3Code, status });
    expect((mapped as Error).message).not.toContain('internal detail');
  });

  it('maps InvalidName on a key to KeyTooLongError and names the key on NoSuchKey', () => {
    expect(toS3Error(new StorageError('InvalidName'), { bucket: 'b', key: 'k' })).toMatchObject({
      code: 'KeyTooLongError',
    });
    expect(toS3Error(new StorageError('NoSuchKey'), { bucket: 'b', key: 'k' })).toMatchObject({
      extra: { Key: 'k' },
    });
  });

  it('leaves other errors alone', () => {
    const err = new TypeError('x');
    expect(toS3Error(err)).toBe(err);
  });
});
