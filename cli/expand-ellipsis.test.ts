import { describe, expect, it } from 'vitest';
import { expandEllipses, expandEllipsis } from './expand-ellipsis.js';

describe('expandEllipsis', () => {
  it('returns an argument without a range unchanged', () => {
    expect(expandEllipsis('/mnt/disk1')).toEqual(['/mnt/disk1']);
    expect(expandEllipsis('./data/drive{1..4}')).toEqual(['./data/drive{1..4}']);
    expect(expandEllipsis('')).toEqual(['']);
  });

  it('expands a numeric range inclusively', () => {
    expect(expandEllipsis('./data/drive{1...4}')).toEqual([
      './data/drive1',
      './data/drive2',
      './data/drive3',
      './data/drive4',
    ]);
  });

  it('expands a range in the middle of a path', () => {
    expect(expandEllipsis('/mnt/disk{1...2}/strata')).toEqual(['/mnt/disk1/strata', '/mnt/disk2/strata']);
  });

  it('keeps a single-value range', () => {
    expect(expandEllipsis('/d{3...3}')).toEqual(['/d3']);
  });

  it('pads to the width of a zero-padded start', () => {
    expect(expandEllipsis('/d{08...11}')).toEqual(['/d08', '/d09', '/d10', '/d11']);
    expect(expandEllipsis('/d{0...2}')).toEqual(['/d0', '/d1', '/d2']);
  });

  it('expands letter ranges', () => {
    expect(expandEllipsis('/dev/sd{a...d}')).toEqual(['/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd']);
    expect(expandEllipsis('/X{A...C}')).toEqual(['/XA', '/XB', '/XC']);
  });

  it('expands several ranges to their cartesian product, leftmost slowest', () => {
    expect(expandEllipsis('/mnt{1...2}/disk{a...c}')).toEqual([
      '/mnt1/diska',
      '/mnt1/diskb',
      '/mnt1/diskc',
      '/mnt2/diska',
      '/mnt2/diskb',
      '/mnt2/diskc',
    ]);
    expect(expandEllipsis('{1...2}{1...2}')).toEqual(['11', '12', '21', '22']);
  });

  it('rejects a descending range', () => {
    expect(() => expandEllipsis('/d{4...1}')).toThrow(/start is greater than the end/);
    expect(() => expandEllipsis('/d{d...a}')).toThrow(/start is greater than the end/);
  });

  it('rejects malformed ranges with a UsageError', () => {
    for (const bad of [
      '/d{1...}',
      '/d{...4}',
      '/d{1...d}',
      '/d{a...Z}',
      '/d{aa...bb}',
      '/d{-1...2}',
      '/d{1.5...3}',
    ]) {
      expect(() => expandEllipsis(bad), bad).toThrow(
        expect.objectContaining({ code: 'UsageError', exitCode: 2 }),
      );
    }
  });

  it('refuses expansions too large to be drive lists', () => {
    expect(() => expandEllipsis('/d{1...1000000}')).toThrow(/at most/);
    expect(() => expandEllipsis('/d{1...100}/e{1...100}')).toThrow(/expands to 10000 values/);
  });
});

describe('expandEllipses', () => {
  it('expands each argument in order', () => {
    expect(expandEllipses(['/a{1...2}', '/b', '/c{x...y}'])).toEqual(['/a1', '/a2', '/b', '/cx', '/cy']);
  });
});
