import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { noopLogger } from '../common/index.js';
import { BufferPool } from './buffer-pool.js';
import { ErasureSet } from './erasure-set.js';
import { resolveFormats } from './format.js';
import { LocalDrive } from './local-drive.js';
import { faultySet, get, md5, put, shardFiles, tempDirs } from './set-test-helpers.js';
import { isStorageError, type ObjectInfo, type WritePrecondition } from './types.js';

/** Bodies large enough for shard files (not inline) in a 2+2 set. */
const LARGE_BYTES = 1536 * 1024;

/** A put whose body the test feeds by hand: `write` some bytes now, `end` later. */
function openPut(set: ErasureSet, key: string, data: Buffer, precondition?: WritePrecondition) {
  const stream = new PassThrough();
  let settled = false;
  const done = set
    .putObject('bkt', key, stream, {
      sizeBytes: data.length,
      metadata: { 'content-type': 'application/octet-stream' },
      finalize: () => ({ etag: md5(data) }),
      ...(precondition ? { precondition } : {}),
    })
    .finally(() => {
      settled = true;
    });
  // Callers await `done` (or assert its rejection); this keeps an early rejection from
  // being reported as unhandled before they get there.
  done.catch(() => {});
  return {
    done,
    settled: () => settled,
    writeHead: () => stream.write(data.subarray(0, data.length >> 1)),
    end: () => stream.end(data.subarray(data.length >> 1)),
    stream,
  };
}

/** Temp shard files left on the drives (every write must clean up its own). */
async function tempFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    for (const e of await readdir(join(p, '.strata.sys', 'tmp'), { recursive: true }).catch(() => []))
      out.push(e);
  }
  return out;
}

async function pollUntil(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** If-None-Match: * as server/ expresses it: refuse when the key has a latest version. */
function ifNoneMatchStar(seen: Array<ObjectInfo | undefined>): WritePrecondition {
  return (current) => {
    seen.push(current);
    if (current !== undefined) throw new Error('PreconditionFailed');
  };
}

describe('ErasureSet concurrent writes of one key', () => {
  it('a put whose body is still open does not block a second put; the last to commit wins', async () => {
    const { set, paths } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    const first = Buffer.alloc(LARGE_BYTES, 0xaa);
    const second = Buffer.alloc(LARGE_BYTES, 0xbb);

    const a = openPut(set, 'k', first);
    a.writeHead();
    // Completes while the first body is still open (with the lock held around the
    // body stream this waited forever).
    const b = await put(set, 'bkt', 'k', second);
    expect(a.settled()).toBe(false);
    expect((await get(set, 'bkt', 'k')).equals(second)).toBe(true);

    a.end();
    const ia = await a.done;
    expect(ia).toMatchObject({ etag: md5(first), sizeBytes: LARGE_BYTES, versionId: 'null', isLatest: true });
    expect(b).toMatchObject({ etag: md5(second), sizeBytes: LARGE_BYTES, versionId: 'null', isLatest: true });
    expect((await get(set, 'bkt', 'k')).equals(first)).toBe(true);
    expect((await set.getObjectInfo('bkt', 'k')).etag).toBe(md5(first));
    // The replaced version's data went with it; no temp files stay behind.
    expect(await shardFiles(paths)).toHaveLength(4);
    expect(await tempFiles(paths)).toEqual([]);
  });

  it('with versioning enabled both overlapping puts become versions, the later commit latest', async () => {
    const { set } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    await set.setBucketVersioning('bkt', 'Enabled');
    const first = Buffer.alloc(LARGE_BYTES, 0x11);
    const second = Buffer.alloc(LARGE_BYTES, 0x22);

    const a = openPut(set, 'k', first);
    a.writeHead();
    const b = await put(set, 'bkt', 'k', second);
    expect(a.settled()).toBe(false);
    a.end();
    const ia = await a.done;

    expect(ia.versionId).not.toBe('null');
    expect(b.versionId).not.toBe('null');
    expect(ia.versionId).not.toBe(b.versionId);
    const list = await set.listObjectVersions('bkt', {
      prefix: '',
      delimiter: '',
      keyMarker: '',
      versionIdMarker: '',
      maxKeys: 100,
    });
    expect(list.versions.map((v) => [v.versionId, v.isLatest, v.etag])).toEqual([
      [ia.versionId, true, md5(first)],
      [b.versionId, false, md5(second)],
    ]);
    expect((await get(set, 'bkt', 'k', { versionId: ia.versionId })).equals(first)).toBe(true);
    expect((await get(set, 'bkt', 'k', { versionId: b.versionId })).equals(second)).toBe(true);
  });

  it('of overlapping puts with an If-None-Match: * precondition exactly one commits', async () => {
    const { set, paths } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(i % 2 === 0 ? LARGE_BYTES : 10_000 + i));
    const seen: Array<ObjectInfo | undefined> = [];
    const puts = bodies.map((data) => openPut(set, 'k', data, ifNoneMatchStar(seen)));
    for (const p of puts) p.writeHead();
    // Every early check (before the body is read) passed: the key did not exist yet.
    await pollUntil('the early checks', () => seen.length === bodies.length);
    for (const p of puts) p.end();
    const results = await Promise.allSettled(puts.map((p) => p.done));

    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as Error).message).toBe('PreconditionFailed');
    }
    // Each put was checked twice (early, then under the lock); the losers' second
    // check saw the winner.
    expect(seen).toHaveLength(2 * bodies.length);
    expect(seen.filter((s) => s !== undefined)).toHaveLength(bodies.length - 1);
    const winner = bodies[won[0] as number] as Buffer;
    expect((await get(set, 'bkt', 'k')).equals(winner)).toBe(true);
    // The losers' committed data dirs were removed.
    expect(await shardFiles(paths)).toHaveLength(winner.length === LARGE_BYTES ? 4 : 0);
    expect(await tempFiles(paths)).toEqual([]);
  });

  it('a precondition that fails before the body is read refuses the put without reading it', async () => {
    const { set, paths } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    await put(set, 'bkt', 'k', Buffer.from('existing'));
    const seen: Array<ObjectInfo | undefined> = [];
    const p = openPut(set, 'k', Buffer.alloc(LARGE_BYTES, 1), ifNoneMatchStar(seen));
    // Not a byte of the body was sent, and none is needed for the answer.
    await expect(p.done).rejects.toThrow('PreconditionFailed');
    expect(seen).toHaveLength(1);
    expect(p.stream.readableLength).toBe(0);
    expect((await get(set, 'bkt', 'k')).toString()).toBe('existing');
    expect(await shardFiles(paths)).toHaveLength(0);
    expect(await tempFiles(paths)).toEqual([]);
  });

  it('a bucket deleted while the body streamed refuses the commit and leaves nothing', async () => {
    const { set, paths } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    const a = openPut(set, 'k', Buffer.alloc(LARGE_BYTES, 7));
    a.writeHead();
    await set.deleteBucket('bkt');
    a.end();
    await expect(a.done).rejects.toSatisfy((e) => isStorageError(e, 'NoSuchBucket'));
    expect(await shardFiles(paths)).toHaveLength(0);
    expect(await tempFiles(paths)).toEqual([]);
  });

  it('a version id follows the versioning state at commit, not at the start of the body', async () => {
    const { set } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    const a = openPut(set, 'k', Buffer.alloc(LARGE_BYTES, 3));
    a.writeHead();
    await set.setBucketVersioning('bkt', 'Enabled');
    a.end();
    expect((await a.done).versionId).not.toBe('null');
  });
});

describe('ErasureSet version limit', () => {
  async function limitedSet(maxVersionsPerKey: number) {
    const paths = await tempDirs(4);
    for (const p of paths) await mkdir(p, { recursive: true });
    const drives = paths.map((p) => new LocalDrive(p));
    await resolveFormats(drives, { minAgreeing: 2, logger: noopLogger });
    const set = new ErasureSet({
      drives,
      parityShards: 2,
      pool: new BufferPool({ budgetBytes: 64 << 20 }),
      logger: noopLogger,
      maxVersionsPerKey,
    });
    return { set, paths, close: () => set.close() };
  }

  it('refuses a version or delete marker beyond the limit with TooManyVersions, keeping nothing of it', async () => {
    const { set, paths, close } = await limitedSet(3);
    try {
      await set.makeBucket('bkt', { location: '' });
      await set.setBucketVersioning('bkt', 'Enabled');
      const v1 = await put(set, 'bkt', 'k', Buffer.from('one'));
      await put(set, 'bkt', 'k', Buffer.from('two'));
      await set.deleteObject('bkt', 'k');
      const tooMany = (e: unknown) => isStorageError(e, 'TooManyVersions');
      await expect(put(set, 'bkt', 'k', Buffer.alloc(LARGE_BYTES, 9))).rejects.toSatisfy(tooMany);
      await expect(set.deleteObject('bkt', 'k')).rejects.toSatisfy(tooMany);
      expect(await shardFiles(paths)).toHaveLength(0);
      expect(await tempFiles(paths)).toEqual([]);

      // Deleting an old version makes room again.
      await set.deleteObject('bkt', 'k', { versionId: v1.versionId });
      await put(set, 'bkt', 'k', Buffer.from('three'));
      expect((await get(set, 'bkt', 'k')).toString()).toBe('three');
    } finally {
      await close();
    }
  });
});
