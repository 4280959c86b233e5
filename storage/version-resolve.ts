import type { DriveResult } from './quorum.js';
import { readQuorum } from './quorum.js';
import { type ObjectRecord, type ObjectVersion, sameVersion, versionIdentity } from './records.js';
import { StorageError } from './types.js';

/**
 * The versions of one key a quorum of drives agrees on, from every drive's record.
 *
 * A version is present when a read quorum of drives holds it (same identity), absent
 * when a read quorum of drives answered without it; anything else (too few drives
 * answered to tell) makes the key unreadable: StorageError('InsufficientReadQuorum').
 * Present versions are ordered newest first (modification time, then the order the
 * drives list them in).
 */
export interface ResolvedKey {
  results: DriveResult<ObjectRecord | null>[];
  /** Agreed versions, newest first; [] when a quorum agrees the key does not exist. */
  versions: ObjectVersion[];
  /** exact[slot]: the drive answered and its list equals the agreed one (nothing to heal there). */
  exact: boolean[];
}

function sameList(a: ObjectRecord | null, b: ObjectRecord | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.versions.length !== b.versions.length) return false;
  for (let i = 0; i < a.versions.length; i++) {
    const va = a.versions[i];
    const vb = b.versions[i];
    if (!va || !vb || !sameVersion(va, vb)) return false;
  }
  return true;
}

export function resolveKey(
  results: DriveResult<ObjectRecord | null>[],
  k: number,
  m: number,
  what: string,
): ResolvedKey {
  const nullQuorum = readQuorum(k, m);
  // Fast path, the common case: every drive that answered holds the same list.
  let first: ObjectRecord | null | undefined;
  let agree = true;
  let okCount = 0;
  for (const r of results) {
    if (!r.ok) continue;
    okCount++;
    if (first === undefined) first = r.value;
    else if (agree && !sameList(first, r.value)) agree = false;
  }
  if (agree && first !== undefined) {
    const head = first?.versions[0];
    const quorum = head ? readQuorum(head.k, head.m) : nullQuorum;
    if (okCount >= quorum) {
      return { results, versions: first ? first.versions : [], exact: results.map((r) => r.ok) };
    }
  }
  if (okCount < nullQuorum) throw insufficient(results, what, okCount);

  // Slow path: count holders per version identity.
  const candidates = new Map<string, { version: ObjectVersion; holders: number; order: number }>();
  for (const r of results) {
    if (!r.ok || !r.value) continue;
    r.value.versions.forEach((v, position) => {
      const id = versionIdentity(v);
      const c = candidates.get(id);
      if (c) {
        c.holders++;
        c.order = Math.min(c.order, position);
      } else candidates.set(id, { version: v, holders: 1, order: position });
    });
  }
  const byVersionId = new Map<string, { version: ObjectVersion; holders: number; order: number }>();
  for (const c of candidates.values()) {
    const quorum = readQuorum(c.version.k, c.version.m);
    if (c.holders >= quorum) {
      // Two present copies of one versionId (a metadata update that reached too few
      // drives and too many): the one more drives hold wins.
      const other = byVersionId.get(c.version.versionId);
      if (!other || other.holders < c.holders) byVersionId.set(c.version.versionId, c);
    } else if (okCount - c.holders < nullQuorum) {
      throw insufficient(results, what, okCount);
    }
  }
  const present = [...byVersionId.values()].sort(
    (a, b) => b.version.modTimeMs - a.version.modTimeMs || a.order - b.order,
  );
  const versions = present.map((c) => c.version);
  const agreed: ObjectRecord | null = versions.length > 0 ? { v: 2, versions } : null;
  return { results, versions, exact: results.map((r) => r.ok && sameList(r.value, agreed)) };
}

function insufficient(results: DriveResult<unknown>[], what: string, okCount: number): StorageError {
  const cause = results.find((r) => !r.ok);
  return new StorageError(
    'InsufficientReadQuorum',
    `${what}: no answer agreed by a quorum of ${results.length} drives (${okCount} answered)`,
    cause && !cause.ok ? { cause: cause.error } : undefined,
  );
}

/**
 * Per slot: that drive's own copy of each agreed version it holds (keeping its shard
 * index and inline bytes), in agreed order. Versions it lacks are left out.
 */
export function ownVersions(resolved: ResolvedKey, slot: number): ObjectVersion[] {
  const r = resolved.results[slot];
  if (!r?.ok || !r.value) return [];
  if (resolved.exact[slot]) return [...r.value.versions];
  const mine = new Map<string, ObjectVersion>();
  for (const v of r.value.versions) mine.set(v.versionId, v);
  const out: ObjectVersion[] = [];
  for (const v of resolved.versions) {
    const c = mine.get(v.versionId);
    if (c && sameVersion(c, v)) out.push(c);
  }
  return out;
}

/** Per slot: the drive's copy of `version` (agreeing with it), or null. */
export function copiesOf(resolved: ResolvedKey, version: ObjectVersion): (ObjectVersion | null)[] {
  const index = resolved.versions.indexOf(version);
  return resolved.results.map((r, slot) => {
    if (!r.ok || !r.value) return null;
    if (resolved.exact[slot] && index >= 0) return r.value.versions[index] ?? null;
    const c = r.value.versions.find((v) => v.versionId === version.versionId);
    return c && sameVersion(c, version) ? c : null;
  });
}
