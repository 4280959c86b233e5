import { describe, expect, it } from 'vitest';
import { contentRange, resolveRange } from './range.js';

describe('resolveRange', () => {
  it.each([
    // header, size, expected
    [undefined, 10, { kind: 'whole' }],
    ['bytes=0-4', 10, { kind: 'partial', start: 0, end: 4 }],
    ['bytes=2-2', 10, { kind: 'partial', start: 2, end: 2 }],
    ['bytes=5-', 10, { kind: 'partial', start: 5, end: 9 }],
    ['bytes=0-', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=9-', 10, { kind: 'partial', start: 9, end: 9 }],
    ['bytes=5-100', 10, { kind: 'partial', start: 5, end: 9 }],
    ['bytes=-3', 10, { kind: 'partial', start: 7, end: 9 }],
    ['bytes=-10', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=-50', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=10-20', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['bytes=40-50', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-2', 10, { kind: 'whole' }],
    ['bytes=0-1,3-4', 10, { kind: 'whole' }],
    ['bytes=-', 10, { kind: 'whole' }],
    ['items=0-1', 10, { kind: 'whole' }],
    ['bytes=a-b', 10, { kind: 'whole' }],
    ['bytes = 1-2', 10, { kind: 'partial', start: 1, end: 2 }],
    ['bytes=99999999999999999999-', 10, { kind: 'whole' }],
  ] as const)('%s on %d bytes', (header, size, expected) => {
    expect(resolveRange(header, size)).toEqual(expected);
  });

  it('formats Content-Range', () => {
    expect(contentRange(0, 4, 10)).toBe('bytes 0-4/10');
  });
});
