import { isDriveError } from './drive.js';
import { StorageError } from './types.js';

/**
 * Reducing per-drive answers to one answer (MinIO's reduceErrs, in one place).
 *
 * Read quorum is k: any k agreeing drives hold enough shards to rebuild the object.
 * Write quorum is k, or k+1 when k == m: with k == m two disjoint halves of the set
 * could otherwise each "win" a write, and a read could pick either.
 */

export function readQuorum(k: number, _m: number): number {
  return k;
}

export function writeQuorum(k: number, m: number): number {
  return k === m ? k + 1 : k;
}

/** One drive's answer: a value or the error it failed with. */
export type DriveResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn` on every item concurrently and collects settled results in order. */
export async function settleAll<D, T>(
  items: readonly D[],
  fn: (item: D, index: number) => Promise<T>,
): Promise<DriveResult<T>[]> {
  return Promise.all(
    items.map(async (item, index): Promise<DriveResult<T>> => {
      try {
        return { ok: true, value: await fn(item, index) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
}

export function countOk<T>(results: readonly DriveResult<T>[]): number {
  let n = 0;
  for (const r of results) if (r.ok) n++;
  return n;
}

/** First error, for `cause` (the most telling is usually a non-DriveError bug). */
function firstError<T>(results: readonly DriveResult<T>[]): unknown {
  let driveErr: unknown;
  for (const r of results) {
    if (r.ok) continue;
    if (!isDriveError(r.error)) return r.error;
    driveErr ??= r.error;
  }
  return driveErr;
}

/**
 * A write succeeded when at least `quorum` drives succeeded; otherwise throws
 * StorageError('InsufficientWriteQuorum') with the first drive error as cause.
 * Non-drive errors (bugs) are rethrown as they are when they prevented the quorum.
 */
export function reduceWriteResults<T>(
  results: readonly DriveResult<T>[],
  quorum: number,
  what: string,
): void {
  const ok = countOk(results);
  if (ok >= quorum) return;
  const cause = firstError(results);
  if (cause !== undefined && !isDriveError(cause)) throw cause;
  throw new StorageError(
    'InsufficientWriteQuorum',
    `${what}: ${ok} of ${results.length} drives succeeded, need ${quorum}`,
    {
      cause,
    },
  );
}

/** The answer agreed by a quorum, and which drives agreed with it. */
export interface QuorumPick<T> {
  /** null: a quorum agrees the thing does not exist. */
  value: T | null;
  /** agreeing[i]: drive i answered this exact value (by identity). */
  agreeing: boolean[];
  /** Number of agreeing drives. */
  count: number;
}

/**
 * Picks the value a quorum of drives agree on. `results[i]` is drive i's answer:
 * a value, null (not found), or an error. Values are grouped by `identity`; nulls
 * form one group. Among the groups that reach their quorum (`quorumOf(value)`, the
 * null group uses `nullQuorum`), the one ranked highest by `rank` wins (a newer
 * version beats an older one; any value beats null, so a key whose record is still
 * missing on freshly replaced drives stays readable). When no group reaches its
 * quorum, throws StorageError('InsufficientReadQuorum').
 */
export function pickByQuorum<T>(
  results: readonly DriveResult<T | null>[],
  opts: {
    identity: (value: T) => string;
    quorumOf: (value: T) => number;
    nullQuorum: number;
    rank: (value: T) => number;
    what: string;
    /** Optional cheap equality (same identity): enables the common-case fast path. */
    same?: (a: T, b: T) => boolean;
  },
): QuorumPick<T> {
  // Fast path, the common case: every drive that answered holds the same value.
  const same = opts.same;
  if (same) {
    let first: T | null = null;
    let agree = true;
    let count = 0;
    for (const r of results) {
      if (!r.ok) continue;
      if (r.value === null || (first !== null && !same(first, r.value))) {
        agree = false;
        break;
      }
      first ??= r.value;
      count++;
    }
    if (agree && first !== null && count >= opts.quorumOf(first)) {
      return { value: first, agreeing: results.map((r) => r.ok), count };
    }
  }
  const groups = new Map<string, { value: T | null; members: number[] }>();
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (!r?.ok) continue;
    const id = r.value === null ? '\u0000null' : `v:${opts.identity(r.value)}`;
    let group = groups.get(id);
    if (!group) {
      group = { value: r.value, members: [] };
      groups.set(id, group);
    }
    group.members.push(i);
  }
  let best: { value: T | null; members: number[] } | undefined;
  for (const group of groups.values()) {
    const quorum = group.value === null ? opts.nullQuorum : opts.quorumOf(group.value);
    if (group.members.length < quorum) continue;
    if (!best || outranks(group.value, best.value, opts.rank)) best = group;
  }
  if (!best) {
    const cause = firstError(results);
    if (cause !== undefined && !isDriveError(cause)) throw cause;
    throw new StorageError(
      'InsufficientReadQuorum',
      `${opts.what}: no answer agreed by a quorum of ${results.length} drives (${countOk(results)} answered)`,
      { cause },
    );
  }
  const agreeing = results.map(() => false);
  for (const i of best.members) agreeing[i] = true;
  return { value: best.value, agreeing, count: best.members.length };
}

function outranks<T>(a: T | null, b: T | null, rank: (value: T) => number): boolean {
  if (a === null) return false;
  if (b === null) return true;
  return rank(a) > rank(b);
}
