import { describe, expect, it } from 'vitest';
import { DriveError } from './drive.js';
import {
  type DriveResult,
  pickByQuorum,
  readQuorum,
  reduceWriteResults,
  settleAll,
  writeQuorum,
} from './quorum.js';
import { isStorageError } from './types.js';

interface V {
  id: string;
  t: number;
}
const ok = (value: V | null): DriveResult<V | null> => ({ ok: true, value });
const fail = <T = V | null>(): DriveResult<T> => ({ ok: false, error: new DriveError('DriveNotFound') });
const pick = (results: DriveResult<V | null>[], quorum = 2) =>
  pickByQuorum(results, {
    identity: (v) => v.id,
    quorumOf: () => quorum,
    nullQuorum: quorum,
    rank: (v) => v.t,
    what: 'test',
  });

describe('quorum sizes', () => {
  it.each([
    [1, 0, 1, 1],
    [2, 1, 2, 2],
    [2, 2, 2, 3],
    [3, 1, 3, 3],
    [4, 4, 4, 5],
    [12, 4, 12, 12],
  ])('k=%i m=%i → read %i, write %i', (k, m, r, w) => {
    expect(readQuorum(k, m)).toBe(r);
    expect(writeQuorum(k, m)).toBe(w);
  });
});

describe('reduceWriteResults', () => {
  it('passes at quorum', () => {
    expect(() =>
      reduceWriteResults([{ ok: true, value: 1 }, { ok: true, value: 1 }, fail<number>()], 2, 'w'),
    ).not.toThrow();
  });
  it('throws InsufficientWriteQuorum below quorum with the drive error as cause', () => {
    try {
      reduceWriteResults([{ ok: true, value: 1 }, fail<number>(), fail<number>()], 2, 'w');
      expect.unreachable();
    } catch (err) {
      expect(isStorageError(err, 'InsufficientWriteQuorum')).toBe(true);
      expect((err as Error).cause).toBeInstanceOf(DriveError);
    }
  });
  it('rethrows a non-drive error (a bug) instead of hiding it as quorum loss', () => {
    const bug = new TypeError('bug');
    expect(() => reduceWriteResults([{ ok: false, error: bug }, fail<number>()], 2, 'w')).toThrow(bug);
  });
});

describe('pickByQuorum', () => {
  it('picks the value agreed by quorum and marks the agreeing drives', () => {
    const a = { id: 'a', t: 1 };
    const res = pick([ok(a), ok({ ...a }), ok({ id: 'b', t: 5 }), fail()]);
    expect(res.value?.id).toBe('a');
    expect(res.agreeing).toEqual([true, true, false, false]);
    expect(res.count).toBe(2);
  });
  it('returns null when a quorum agrees on absence', () => {
    expect(pick([ok(null), ok(null), fail(), ok({ id: 'a', t: 1 })]).value).toBeNull();
  });
  it('prefers the newest of two groups that both reach quorum, and any value over null', () => {
    expect(
      pick([
        ok({ id: 'old', t: 1 }),
        ok({ id: 'old', t: 1 }),
        ok({ id: 'new', t: 2 }),
        ok({ id: 'new', t: 2 }),
      ]).value?.id,
    ).toBe('new');
    expect(pick([ok(null), ok(null), ok({ id: 'a', t: 1 }), ok({ id: 'a', t: 1 })]).value?.id).toBe('a');
  });
  it('throws InsufficientReadQuorum when no group reaches quorum', () => {
    expect(() => pick([ok({ id: 'a', t: 1 }), ok(null), fail(), fail()])).toThrow(
      expect.objectContaining({ code: 'InsufficientReadQuorum' }),
    );
  });
});

describe('settleAll', () => {
  it('keeps order and captures errors', async () => {
    const res = await settleAll([1, 2, 3], async (n) => {
      if (n === 2) throw new Error('x');
      return n * 10;
    });
    expect(res.map((r) => (r.ok ? r.value : 'err'))).toEqual([10, 'err', 30]);
  });
});

describe('pickByQuorum fast path', () => {
  const opts = {
    identity: (v: V) => v.id,
    quorumOf: () => 2,
    nullQuorum: 2,
    rank: (v: V) => v.t,
    what: 'test',
    same: (a: V, b: V) => a.id === b.id,
  };
  it('agrees with the slow path when all answers match', () => {
    const res = pickByQuorum(
      [ok({ id: 'a', t: 1 }), fail(), ok({ id: 'a', t: 1 }), ok({ id: 'a', t: 1 })],
      opts,
    );
    expect(res).toMatchObject({ count: 3, agreeing: [true, false, true, true] });
    expect(res.value?.id).toBe('a');
  });
  it('falls back to grouping when answers differ', () => {
    const res = pickByQuorum(
      [ok({ id: 'a', t: 1 }), ok({ id: 'b', t: 2 }), ok({ id: 'b', t: 2 }), ok(null)],
      opts,
    );
    expect(res.value?.id).toBe('b');
    expect(res.agreeing).toEqual([false, true, true, false]);
  });
});
