import { describe, expect, it } from 'vitest';
import { etagListMatches, evaluatePreconditions, type Preconditions } from './conditional.js';

const object = { etag: 'abc123', lastModified: new Date('2024-05-01T12:00:00.750Z') };
const BEFORE = 'Wed, 01 May 2024 11:00:00 GMT';
const SAME = 'Wed, 01 May 2024 12:00:00 GMT';
const AFTER = 'Wed, 01 May 2024 13:00:00 GMT';

describe('evaluatePreconditions', () => {
  it.each<[string, Preconditions, string]>([
    ['no conditions', {}, 'proceed'],
    ['If-Match matching', { ifMatch: '"abc123"' }, 'proceed'],
    ['If-Match unquoted', { ifMatch: 'abc123' }, 'proceed'],
    ['If-Match star', { ifMatch: '*' }, 'proceed'],
    ['If-Match in a list', { ifMatch: '"x", "abc123"' }, 'proceed'],
    ['If-Match other', { ifMatch: '"zzz"' }, 'precondition-failed'],
    ['If-Unmodified-Since after', { ifUnmodifiedSince: AFTER }, 'proceed'],
    ['If-Unmodified-Since same second', { ifUnmodifiedSince: SAME }, 'proceed'],
    ['If-Unmodified-Since before', { ifUnmodifiedSince: BEFORE }, 'precondition-failed'],
    ['If-Unmodified-Since garbage', { ifUnmodifiedSince: 'nope' }, 'proceed'],
    ['If-None-Match matching', { ifNoneMatch: '"abc123"' }, 'not-modified'],
    ['If-None-Match star', { ifNoneMatch: '*' }, 'not-modified'],
    ['If-None-Match other', { ifNoneMatch: '"zzz"' }, 'proceed'],
    ['If-Modified-Since before', { ifModifiedSince: BEFORE }, 'proceed'],
    ['If-Modified-Since same second', { ifModifiedSince: SAME }, 'not-modified'],
    ['If-Modified-Since after', { ifModifiedSince: AFTER }, 'not-modified'],
    ['If-Modified-Since garbage', { ifModifiedSince: 'x' }, 'proceed'],
    // AWS's documented combinations:
    [
      'If-Match true + If-Unmodified-Since false → 200',
      { ifMatch: '"abc123"', ifUnmodifiedSince: BEFORE },
      'proceed',
    ],
    [
      'If-None-Match false + If-Modified-Since true → 304',
      { ifNoneMatch: '"abc123"', ifModifiedSince: BEFORE },
      'not-modified',
    ],
    [
      'If-None-Match true + If-Modified-Since false → 200',
      { ifNoneMatch: '"zzz"', ifModifiedSince: AFTER },
      'proceed',
    ],
    [
      'If-Match false wins over If-None-Match',
      { ifMatch: '"zzz"', ifNoneMatch: '"abc123"' },
      'precondition-failed',
    ],
    [
      'If-Unmodified-Since false wins over If-Modified-Since',
      { ifUnmodifiedSince: BEFORE, ifModifiedSince: AFTER },
      'precondition-failed',
    ],
  ])('%s', (_name, conditions, expected) => {
    expect(evaluatePreconditions(conditions, object)).toBe(expected);
  });

  it('treats weak ETags as their strong value', () => {
    expect(etagListMatches('W/"abc123"', 'abc123')).toBe(true);
    expect(etagListMatches('', 'abc123')).toBe(false);
  });
});
