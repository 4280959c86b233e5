import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { noopLogger } from '../common/index.js';
import { BufferPool } from './buffer-pool.js';
import type { Drive, RecordScan, StoredRecords } from './drive.js';
import { ErasureSet, INLINE_SHARD_MAX_BYTES, shardLayout } from './erasure-set.js';
import { FaultyDrive } from './faulty-drive.js';
import { resolveFormats } from './format.js';
import { openStorage } from './index.js';
import { LocalDrive } from './local-drive.js';
import { isStorageError, type ObjectLayer, type StorageAdmin } from './types.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function tempDirs(n: number): Promise<string[]> {
  const root = await mkdtemp(join(tmpdir(), 'strata-set-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return Array.from({ length: n }, (_, i) => join(root, `d${i}`));
}

/** A set over FaultyDrive-wrapped LocalDrives, so tests can fail or corrupt any drive. */
async function faultySet(n = 4, dirs?: string[]) {
  const paths = dirs ?? (await tempDirs(n));
  const { mkdir } = await import('node:fs/promises');
  for (const p of paths) await mkdir(p, { recursive: true });
  const drives = paths.map((p) => new FaultyDrive(new LocalDrive(p)));
  const res = await resolveFormats(drives, { minAgreeing: 2, logger: noopLogger });
  const set = new ErasureSet({
    drives,
    parityShards: n / 2,
    pool: new BufferPool({ budgetBytes: 64 << 20 }),
    logger: noopLogger,
  });
  if (res.freshSlots.length > 0) set.startBackgroundHeal('test');
  cleanups.push(() => set.close());
  return { set, drives, paths };
}

async function openSet(paths: string[]): Promise<{ layer: ObjectLayer; admin: StorageAdmin }> {
  const { objectLayer, admin } = await openStorage({ drives: paths, logger: noopLogger });
  cleanups.push(() => objectLayer.close());
  return { layer: objectLayer, admin };
}

function body(data: Uint8Array, chunk = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(Buffer.from(data.subarray(i, i + chunk)));
  return Readable.from(chunks);
}

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

async function put(
  layer: ObjectLayer,
  bucket: string,
  key: string,
  data: Uint8Array,
  sizeBytes: number = data.length,
) {
  return layer.putObject(bucket, key, body(data), {
    sizeBytes,
    metadata: { 'content-type': 'application/octet-stream' },
    finalize: () => ({ etag: md5(data), metadata: { 'x-amz-checksum-x': 'y' } }),
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function get(layer: ObjectLayer, bucket: string, key: string, range?: { start: number; end: number }) {
  const res = await layer.getObject(bucket, key, range ? { range } : {});
  return readAll(res.stream);
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

async function shardFiles(paths: string[]): Promise<string[]> {
  return (await Promise.all(paths.map((p) => filesUnder(join(p, 'data'))))).flat();
}

describe('ErasureSet round trips', () => {
  it('puts and gets objects of every size class byte-identical, with ranges', async () => {
    const paths = await tempDirs(4);
    const { layer } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    const sizes = [
      0,
      1,
      1000,
      2 * INLINE_SHARD_MAX_BYTES - 4096,
      2 * INLINE_SHARD_MAX_BYTES + 4096,
      1 << 20,
      3 * (1 << 20) + 12345,
    ];
    for (const size of sizes) {
      const data = randomBytes(size);
      const key = `obj-${size}`;
      const info = await put(layer, 'bkt', key, data);
      expect(info.sizeBytes).toBe(size);
      expect(info.etag).toBe(md5(data));
      expect((await get(layer, 'bkt', key)).equals(data)).toBe(true);
      const head = await layer.getObjectInfo('bkt', key);
      expect(head.metadata).toEqual({ 'content-type': 'application/octet-stream', 'x-amz-checksum-x': 'y' });
      if (size > 0) {
        for (const [start, end] of [
          [0, 0],
          [size - 1, size - 1],
          [Math.floor(size / 3), Math.floor((2 * size) / 3)],
        ] as const) {
          expect((await get(layer, 'bkt', key, { start, end })).equals(data.subarray(start, end + 1))).toBe(
            true,
          );
        }
      }
    }
    // Only the three objects above the inline threshold have shard files, one per drive.
    const files = await shardFiles(paths);
    expect(files.length).toBe(3 * 4);
    expect(files.every((f) => f.endsWith('part.1'))).toBe(true);
  });

  it('stores bodies of unknown size inline or in files by their actual size', async () => {
    const paths = await tempDirs(4);
    const { layer } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    const small = randomBytes(5000);
    const big = randomBytes(2 << 20);
    await put(layer, 'bkt', 'small', small, -1);
    expect(await shardFiles(paths)).toHaveLength(0);
    await put(layer, 'bkt', 'big', big, -1);
    expect(await shardFiles(paths)).toHaveLength(4);
    expect((await get(layer, 'bkt', 'small')).equals(small)).toBe(true);
    expect((await get(layer, 'bkt', 'big')).equals(big)).toBe(true);
  });

  it('overwrites replace the data and remove the old data dir; deletes remove everything', async () => {
    const paths = await tempDirs(4);
    const { layer } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    await put(layer, 'bkt', 'k', randomBytes(1 << 20));
    const v2 = randomBytes(600_000);
    await put(layer, 'bkt', 'k', v2);
    expect((await get(layer, 'bkt', 'k')).equals(v2)).toBe(true);
    expect(await shardFiles(paths)).toHaveLength(4);
    await layer.deleteObject('bkt', 'k');
    await layer.deleteObject('bkt', 'k');
    expect(await shardFiles(paths)).toHaveLength(0);
    await expect(layer.getObject('bkt', 'k', {})).rejects.toSatisfy((e) => isStorageError(e, 'NoSuchKey'));
  });

  it('stores hostile keys (1024 bytes, emoji, control characters, %2F)', async () => {
    const { layer } = await openSet(await tempDirs(4));
    await layer.makeBucket('bkt', { location: '' });
    const keys = ['k'.repeat(1024), '😀'.repeat(256), 'ctl\u0001\u001f\u007f', '%2F..%2F', 'a/../b', ' '];
    for (const key of keys) await put(layer, 'bkt', key, Buffer.from(key));
    for (const key of keys) expect((await get(layer, 'bkt', key)).toString()).toBe(key);
    const listed = await layer.listObjects('bkt', {
      prefix: '',
      delimiter: '',
      startAfter: '',
      maxKeys: 1000,
    });
    expect(listed.objects.map((o) => o.key)).toEqual(
      [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
    );
  });

  it('a started read keeps streaming the old version after an overwrite deleted its data', async () => {
    const paths = await tempDirs(4);
    const { layer } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    const v1 = randomBytes(3 << 20);
    await put(layer, 'bkt', 'k', v1);
    const oldFiles = await shardFiles(paths);
    const res = await layer.getObject('bkt', 'k', {});
    await put(layer, 'bkt', 'k', randomBytes(2 << 20));
    for (const f of oldFiles) await expect(stat(f)).rejects.toThrow();
    expect((await readAll(res.stream)).equals(v1)).toBe(true);
  });

  it('an aborted put commits nothing', async () => {
    const paths = await tempDirs(4);
    const { layer } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    const controller = new AbortController();
    const slow = new Readable({
      read() {
        this.push(randomBytes(256 * 1024));
        controller.abort(new Error('client went away'));
      },
    });
    await expect(
      layer.putObject('bkt', 'k', slow, {
        sizeBytes: 4 << 20,
        metadata: {},
        finalize: () => ({ etag: 'x' }),
        signal: controller.signal,
      }),
    ).rejects.toThrow();
    await expect(layer.getObjectInfo('bkt', 'k')).rejects.toSatisfy((e) => isStorageError(e, 'NoSuchKey'));
    expect(await shardFiles(paths)).toHaveLength(0);
  });

  it('handles bucket lifecycle errors', async () => {
    const { layer } = await openSet(await tempDirs(4));
    await layer.makeBucket('b-one', { location: 'eu-west-1' });
    await layer.makeBucket('a-two', { location: '' });
    await expect(layer.makeBucket('b-one', { location: '' })).rejects.toSatisfy((e) =>
      isStorageError(e, 'BucketExists'),
    );
    expect((await layer.listBuckets()).map((b) => b.name)).toEqual(['a-two', 'b-one']);
    expect((await layer.getBucketInfo('b-one')).location).toBe('eu-west-1');
    await expect(layer.getBucketInfo('nope')).rejects.toSatisfy((e) => isStorageError(e, 'NoSuchBucket'));
    await expect(layer.getObject('nope', 'k', {})).rejects.toSatisfy((e) =>
      isStorageError(e, 'NoSuchBucket'),
    );
    await expect(put(layer, 'nope', 'k', randomBytes(3))).rejects.toSatisfy((e) =>
      isStorageError(e, 'NoSuchBucket'),
    );
    await expect(layer.deleteObject('nope', 'k')).rejects.toSatisfy((e) => isStorageError(e, 'NoSuchBucket'));
    await expect(layer.getObject('b-one', 'k', {})).rejects.toSatisfy((e) => isStorageError(e, 'NoSuchKey'));
    await expect(put(layer, 'b-one', 'k'.repeat(1025), randomBytes(3))).rejects.toSatisfy((e) =>
      isStorageError(e, 'InvalidName'),
    );
    await put(layer, 'b-one', 'k', randomBytes(3));
    await expect(layer.deleteBucket('b-one')).rejects.toSatisfy((e) => isStorageError(e, 'BucketNotEmpty'));
    await layer.deleteObject('b-one', 'k');
    await layer.deleteBucket('b-one');
    await expect(layer.deleteBucket('b-one')).rejects.toSatisfy((e) => isStorageError(e, 'NoSuchBucket'));
    expect((await layer.listBuckets()).map((b) => b.name)).toEqual(['a-two']);
  });

  it('replaces metadata without touching the data', async () => {
    const { layer } = await openSet(await tempDirs(4));
    await layer.makeBucket('bkt', { location: '' });
    const data = randomBytes(400_000);
    const before = await put(layer, 'bkt', 'k', data);
    const after = await layer.updateObjectMetadata('bkt', 'k', () => ({ 'content-type': 'text/plain' }));
    expect(after.metadata).toEqual({ 'content-type': 'text/plain' });
    expect(after.etag).toBe(before.etag);
    expect((await layer.getObjectInfo('bkt', 'k')).metadata).toEqual({ 'content-type': 'text/plain' });
    expect((await get(layer, 'bkt', 'k')).equals(data)).toBe(true);
  });
});

describe('ErasureSet failed writes', () => {
  it('putObject commits nothing when finalize throws', async () => {
    const paths = await tempDirs(4);
    const { layer } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    for (const size of [10, 1 << 20]) {
      const boom = new Error('checksum mismatch');
      await expect(
        layer.putObject('bkt', 'k', body(randomBytes(size)), {
          sizeBytes: size,
          metadata: {},
          finalize: () => {
            throw boom;
          },
        }),
      ).rejects.toBe(boom);
    }
    await expect(layer.getObjectInfo('bkt', 'k')).rejects.toSatisfy((e) => isStorageError(e, 'NoSuchKey'));
    expect(await shardFiles(paths)).toHaveLength(0);
    const temps = (await Promise.all(paths.map((p) => filesUnder(join(p, '.strata.sys', 'tmp'))))).flat();
    expect(temps).toHaveLength(0);
  });

  it('putObject rejects a short body with IncompleteBody and keeps the previous version', async () => {
    const paths = await tempDirs(4);
    const { layer } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    const v1 = randomBytes(300_000);
    await put(layer, 'bkt', 'k', v1);
    await expect(put(layer, 'bkt', 'k', randomBytes(1000), 2000)).rejects.toSatisfy((e) =>
      isStorageError(e, 'IncompleteBody'),
    );
    expect((await get(layer, 'bkt', 'k')).equals(v1)).toBe(true);
    expect(await shardFiles(paths)).toHaveLength(4);
  });

  it('rethrows body stream errors unchanged', async () => {
    const { layer } = await openSet(await tempDirs(4));
    await layer.makeBucket('bkt', { location: '' });
    const bad = new Error('bad digest');
    const failing = new Readable({
      read() {
        this.destroy(bad);
      },
    });
    await expect(
      layer.putObject('bkt', 'k', failing, { sizeBytes: -1, metadata: {}, finalize: () => ({ etag: 'x' }) }),
    ).rejects.toBe(bad);
  });

  it('putObject throws InsufficientWriteQuorum with 3 of 4 drives gone and leaves nothing visible', async () => {
    const { set, drives, paths } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    for (const d of drives.slice(1)) d.mode = 'fail';
    for (const size of [100, 2 << 20]) {
      await expect(put(set, 'bkt', `k${size}`, randomBytes(size))).rejects.toSatisfy((e) =>
        isStorageError(e, 'InsufficientWriteQuorum'),
      );
    }
    for (const d of drives) d.mode = 'none';
    for (const size of [100, 2 << 20]) {
      await expect(set.getObjectInfo('bkt', `k${size}`)).rejects.toSatisfy((e) =>
        isStorageError(e, 'NoSuchKey'),
      );
    }
    expect(
      (await set.listObjects('bkt', { prefix: '', delimiter: '', startAfter: '', maxKeys: 100 })).objects,
    ).toHaveLength(0);
    expect(await shardFiles(paths)).toHaveLength(0);
  });

  it('putObject rolls back records when too few record writes succeed', async () => {
    const { set, drives } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    const v1 = randomBytes(50);
    await put(set, 'bkt', 'k', v1);
    // Shards land everywhere but record writes fail on two drives: below write quorum (3).
    const orig0 = drives[0]?.putObjectRecord.bind(drives[0]);
    const orig1 = drives[1]?.putObjectRecord.bind(drives[1]);
    if (!drives[0] || !drives[1] || !orig0 || !orig1) throw new Error('setup');
    drives[0].putObjectRecord = async () => {
      throw new (await import('./drive.js')).DriveError('DriveFaulty');
    };
    drives[1].putObjectRecord = drives[0].putObjectRecord;
    await expect(put(set, 'bkt', 'k', randomBytes(60))).rejects.toSatisfy((e) =>
      isStorageError(e, 'InsufficientWriteQuorum'),
    );
    drives[0].putObjectRecord = orig0;
    drives[1].putObjectRecord = orig1;
    expect((await get(set, 'bkt', 'k')).equals(v1)).toBe(true);
  });
});

describe('ErasureSet listing', () => {
  it('lists with prefix, delimiter, startAfter and maxKeys like a sorted model', async () => {
    const { layer } = await openSet(await tempDirs(4));
    await layer.makeBucket('bkt', { location: '' });
    const keys = [
      'a',
      'a/1',
      'a/2',
      'a/b/c',
      'a0',
      'b/x',
      'b/y/z',
      'c',
      '😀/1',
      '\uffff',
      'sp ace',
      '%2F',
      'ctl\u0001',
    ];
    for (let i = 0; i < 60; i++) keys.push(`many/${String(i).padStart(3, '0')}`);
    await Promise.all(keys.map((k) => put(layer, 'bkt', k, Buffer.from(k))));
    const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

    const model = (prefix: string, delimiter: string, startAfter: string) => {
      const out: string[] = [];
      for (const k of sorted) {
        if (!k.startsWith(prefix)) continue;
        const at = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
        const entry = at >= 0 ? k.slice(0, at + delimiter.length) : k;
        if (Buffer.compare(Buffer.from(entry), Buffer.from(startAfter)) <= 0) continue;
        if (out[out.length - 1] !== entry) out.push(entry);
      }
      return out;
    };

    for (const [prefix, delimiter] of [
      ['', ''],
      ['', '/'],
      ['a', '/'],
      ['a/', '/'],
      ['many/', ''],
      ['b/', '/'],
      ['zzz', '/'],
    ] as const) {
      for (const maxKeys of [1, 7, 1000]) {
        const seen: string[] = [];
        let startAfter = '';
        for (let page = 0; page < 200; page++) {
          const res = await layer.listObjects('bkt', { prefix, delimiter, startAfter, maxKeys });
          const entries = [...res.objects.map((o) => o.key), ...res.commonPrefixes].sort((x, y) =>
            Buffer.compare(Buffer.from(x), Buffer.from(y)),
          );
          expect(entries.length).toBeLessThanOrEqual(maxKeys);
          seen.push(...entries);
          if (!res.isTruncated) break;
          expect(res.nextMarker).toBe(entries[entries.length - 1]);
          startAfter = res.nextMarker ?? '';
        }
        expect(seen).toEqual(model(prefix, delimiter, ''));
      }
    }
    // A marker inside a common prefix skips the rest of it.
    const res = await layer.listObjects('bkt', { prefix: '', delimiter: '/', startAfter: 'a/1', maxKeys: 3 });
    expect([...res.objects.map((o) => o.key), ...res.commonPrefixes].sort()).toEqual(['a0', 'b/', 'c']);
    expect(
      (await layer.listObjects('bkt', { prefix: '', delimiter: '', startAfter: '', maxKeys: 0 })).isTruncated,
    ).toBe(false);
  });
});

describe('ErasureSet listing over drives that disagree', () => {
  /** Returns scans whose bytes for the keys in `corrupt` are garbage (a record that does not decode). */
  class CorruptingScanDrive extends FaultyDrive {
    readonly corrupt = new Set<string>();
    override async scanObjectRecords(bucket: string, scan: RecordScan): Promise<StoredRecords> {
      const out = await super.scanObjectRecords(bucket, scan);
      const bytes = Buffer.from(out.bytes);
      out.keys.forEach((key, i) => {
        if (this.corrupt.has(key)) bytes.fill(0xc1, i === 0 ? 0 : out.ends[i - 1], out.ends[i]);
      });
      return { ...out, bytes };
    }
  }

  it('lists exactly what single-key reads agree on when copies are stale, missing, corrupt or tricky', async () => {
    const paths = await tempDirs(4);
    const { mkdir } = await import('node:fs/promises');
    for (const p of paths) await mkdir(p, { recursive: true });
    const corrupting = new CorruptingScanDrive(new LocalDrive(paths[3] ?? ''));
    const drives = [...paths.slice(0, 3).map((p) => new FaultyDrive(new LocalDrive(p))), corrupting];
    await resolveFormats(drives, { minAgreeing: 2, logger: noopLogger });
    const set = new ErasureSet({
      drives,
      parityShards: 2,
      pool: new BufferPool({ budgetBytes: 64 << 20 }),
      logger: noopLogger,
    });
    cleanups.push(() => set.close());
    const [d0, d1, d2, d3] = drives;
    if (!d0 || !d1 || !d2 || !d3) throw new Error('setup');
    await set.makeBucket('bkt', { location: '' });
    const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const etags = new Map<string, string>();
    for (const key of keys) {
      const data = Buffer.from(`body of ${key}`);
      etags.set(key, md5(data));
      await put(set, 'bkt', key, data);
    }
    // Metadata holding the bytes of the driveIndex key: copies cannot be compared as bytes.
    const tricky = Buffer.from('tricky');
    etags.set('k-tricky', md5(tricky));
    await set.putObject('bkt', 'k-tricky', body(tricky), {
      sizeBytes: tricky.length,
      metadata: { 'x-amz-meta-note': 'ªdriveIndexA' },
      finalize: () => ({ etag: md5(tricky) }),
    });

    const record = async (d: Drive, key: string) => {
      const r = await d.getObjectRecord('bkt', key);
      if (!r) throw new Error(`setup: no ${key}`);
      return r;
    };
    // A stale copy on d0 (another etag), and one that missed a metadata update.
    const stale = await record(d0, 'k05');
    await d0.putObjectRecord('bkt', 'k05', {
      ...stale,
      versions: stale.versions.map((v) => ({ ...v, etag: 'ffffffffffffffffffffffffffffffff' })),
    });
    const missed = await record(d0, 'k30');
    await d0.putObjectRecord('bkt', 'k30', {
      ...missed,
      versions: missed.versions.map((v) => ({ ...v, metadata: { ...v.metadata, 'x-amz-meta-old': '1' } })),
    });
    // k10 lost on one drive; k11 kept by exactly a read quorum (2); k12 by one drive only.
    await d1.deleteObjectRecord('bkt', 'k10');
    for (const d of [d1, d2]) await d.deleteObjectRecord('bkt', 'k11');
    for (const d of [d1, d2, d3]) await d.deleteObjectRecord('bkt', 'k12');
    // A record that reached one drive only (a failed write).
    await d2.putObjectRecord('bkt', 'ghost', await record(d2, 'k01'));
    // k20's copy on d3 does not decode.
    corrupting.corrupt.add('k20');

    const listed = async (maxKeys: number) => {
      const out = new Map<string, string>();
      let startAfter = '';
      for (;;) {
        const page = await set.listObjects('bkt', { prefix: '', delimiter: '', startAfter, maxKeys });
        for (const o of page.objects) out.set(o.key, o.etag);
        if (!page.isTruncated) return out;
        startAfter = page.nextMarker ?? '';
      }
    };
    const expected = new Map([...etags].filter(([key]) => key !== 'k12'));
    const sortedKeys = (m: Map<string, string>) => [...m.keys()];
    for (const maxKeys of [1000, 7]) {
      const got = await listed(maxKeys);
      expect(sortedKeys(got)).toEqual([...expected.keys()].sort());
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
    }
    const versions = await set.listObjectVersions('bkt', {
      prefix: '',
      delimiter: '',
      keyMarker: '',
      versionIdMarker: '',
      maxKeys: 1000,
    });
    expect(versions.versions.map((v) => v.key)).toEqual([...expected.keys()].sort());

    // With d2 down too, k11 is on d0 and d3 only (still a read quorum) and k05's two good copies win.
    d2.mode = 'fail';
    expect(Object.fromEntries(await listed(1000))).toEqual(Object.fromEntries(expected));
    d2.mode = 'none';

    // Listing and single-key reads agree (reads may queue heals, so they come last).
    const info = await set.getObjectInfo('bkt', 'k30', {});
    expect(info.metadata['x-amz-meta-old']).toBeUndefined();
    for (const [key, etag] of expected) expect((await set.getObjectInfo('bkt', key, {})).etag).toBe(etag);
    for (const key of ['k12', 'ghost']) {
      await expect(set.getObjectInfo('bkt', key, {})).rejects.toMatchObject({ code: 'NoSuchKey' });
    }
  });
});

describe('ErasureSet concurrency', () => {
  it('two writers on one key leave exactly one whole version; readers never see a mix', async () => {
    const { layer } = await openSet(await tempDirs(4));
    await layer.makeBucket('bkt', { location: '' });
    const a = Buffer.alloc(1536 * 1024, 0xaa);
    const b = Buffer.alloc(1536 * 1024, 0xbb);
    await put(layer, 'bkt', 'k', a);
    const readers: Promise<Buffer>[] = [];
    const writes = Promise.all([
      put(layer, 'bkt', 'k', b),
      put(layer, 'bkt', 'k', a),
      put(layer, 'bkt', 'k', b),
    ]);
    for (let i = 0; i < 6; i++) {
      readers.push(get(layer, 'bkt', 'k'));
      await new Promise((r) => setTimeout(r, 3));
    }
    await writes;
    for (const got of await Promise.all(readers)) expect(got.equals(a) || got.equals(b)).toBe(true);
    // Bodies stream in parallel and the last commit wins (not the last to start): the
    // survivor is one whole body, and the only version of the key.
    const final = await get(layer, 'bkt', 'k');
    expect(final.equals(a) || final.equals(b)).toBe(true);
    expect(
      (
        await layer.listObjectVersions('bkt', {
          prefix: '',
          delimiter: '',
          keyMarker: '',
          versionIdMarker: '',
          maxKeys: 1000,
        })
      ).versions,
    ).toHaveLength(1);
  });
});

describe('ErasureSet faults and healing', () => {
  async function populate(layer: ObjectLayer) {
    await layer.makeBucket('bkt', { location: '' });
    const objects = new Map<string, Buffer>();
    for (const [i, size] of [0, 1, 5000, 200_000, 1 << 20, (2 << 20) + 77].entries()) {
      const data = randomBytes(size);
      objects.set(`o/${i}`, data);
      await put(layer, 'bkt', `o/${i}`, data);
    }
    return objects;
  }
  async function expectAll(layer: ObjectLayer, objects: Map<string, Buffer>) {
    for (const [key, data] of objects) expect((await get(layer, 'bkt', key)).equals(data)).toBe(true);
  }

  it.each([
    [0, 1],
    [1, 3],
    [2, 3],
  ])('reads everything byte-identical after drives %i and %i are wiped or deleted', async (x, y) => {
    const paths = await tempDirs(4);
    const { layer } = await openSet(paths);
    const objects = await populate(layer);
    const px = paths[x] ?? '';
    const py = paths[y] ?? '';
    await rm(px, { recursive: true, force: true }); // directory gone
    for (const entry of await readdir(py)) await rm(join(py, entry), { recursive: true, force: true }); // wiped
    await expectAll(layer, objects);
    const list = await layer.listObjects('bkt', { prefix: '', delimiter: '', startAfter: '', maxKeys: 100 });
    expect(list.objects.map((o) => o.key).sort()).toEqual([...objects.keys()].sort());
  });

  it('reads correctly through a drive that corrupts reads or fails', async () => {
    const { set, drives } = await faultySet(4);
    const objects = await populate(set);
    const d0 = drives[0];
    const d3 = drives[3];
    if (!d0 || !d3) throw new Error('setup');
    d0.mode = 'corrupt-reads';
    d3.mode = 'fail';
    await expectAll(set, objects);
    d0.mode = 'none';
    d3.mode = 'none';
    await set.drainHealQueue();
  });

  it('keeps serving with one slow drive', async () => {
    const { set, drives } = await faultySet(4);
    const objects = await populate(set);
    const d1 = drives[1];
    if (!d1) throw new Error('setup');
    d1.mode = 'slow';
    d1.slowDelayMs = 20;
    await expectAll(set, objects);
    await put(set, 'bkt', 'late', randomBytes(300_000));
    d1.mode = 'none';
  });

  async function corrupt(file: string): Promise<Buffer> {
    const original = await readFile(file);
    const bytes = Buffer.from(original);
    for (let off = 100; off < bytes.length; off += 256 * 1024) bytes[off] = (bytes[off] ?? 0) ^ 0x5a;
    await writeFile(file, bytes);
    return original;
  }

  it('reads correctly through corrupt data shards, then the queued heal repairs the files', async () => {
    const paths = await tempDirs(4);
    const { layer, admin } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    const data = randomBytes(3 << 20);
    await put(layer, 'bkt', 'k', data);
    // The drives holding data shards 0 and 1: the read needs both, finds them corrupt,
    // reconstructs from parity and queues a heal.
    const layout = shardLayout('k', 4);
    const victims = await Promise.all(
      [0, 1].map(async (shard) => (await shardFiles([paths[layout.indexOf(shard)] ?? ''])).at(0) ?? ''),
    );
    const originals = await Promise.all(victims.map(corrupt));
    expect((await get(layer, 'bkt', 'k')).equals(data)).toBe(true);
    await admin.drainHealQueue();
    for (const [i, f] of victims.entries())
      expect((await readFile(f)).equals(originals[i] ?? Buffer.alloc(0))).toBe(true);
    expect((await get(layer, 'bkt', 'k')).equals(data)).toBe(true);
  });

  it('heal() finds and repairs a corrupt parity shard no read touched', async () => {
    const paths = await tempDirs(4);
    const { layer, admin } = await openSet(paths);
    await layer.makeBucket('bkt', { location: '' });
    await put(layer, 'bkt', 'k', randomBytes(1 << 20));
    const parityFile = (await shardFiles([paths[shardLayout('k', 4).indexOf(3)] ?? ''])).at(0) ?? '';
    const original = await corrupt(parityFile);
    const report = await admin.heal();
    expect(report).toMatchObject({
      objectsScanned: 1,
      objectsHealed: 1,
      shardsRepaired: 1,
      objectsFailed: 0,
    });
    expect((await readFile(parityFile)).equals(original)).toBe(true);
    expect(await admin.heal()).toMatchObject({ objectsScanned: 1, objectsHealed: 0, shardsRepaired: 0 });
  });

  it('heal() repairs drives that missed writes and reports counts', async () => {
    const { set, drives } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    const d2 = drives[2];
    if (!d2) throw new Error('setup');
    d2.mode = 'fail';
    const objects = new Map<string, Buffer>();
    for (const size of [10, 700_000]) {
      const data = randomBytes(size);
      objects.set(`k${size}`, data);
      await put(set, 'bkt', `k${size}`, data);
    }
    d2.mode = 'none';
    await set.drainHealQueue(); // the queued heals ran while d2 was still failing, or now
    const report = await set.heal();
    expect(report.objectsScanned).toBe(2);
    expect(report.objectsFailed).toBe(0);
    // Now only d2 and one other drive are readable: the data must come from d2's healed shards.
    const others = drives.filter((d) => d !== d2);
    for (const d of others.slice(0, 2)) d.mode = 'fail';
    for (const [key, data] of objects) expect((await get(set, 'bkt', key)).equals(data)).toBe(true);
  });

  it('rebuilds a wiped drive after reopen (background heal at start)', async () => {
    const paths = await tempDirs(4);
    let objects: Map<string, Buffer>;
    {
      const { objectLayer } = await openStorage({ drives: paths, logger: noopLogger });
      objects = await populate(objectLayer);
      await objectLayer.close();
    }
    const wiped = paths[1] ?? '';
    await rm(wiped, { recursive: true, force: true });
    const { layer, admin } = await openSet(paths);
    // heal() includes what the background rebuild (started at open) repaired.
    expect(await admin.heal()).toMatchObject({
      objectsHealed: objects.size,
      objectsFailed: 0,
      bucketsHealed: 1,
    });
    expect(await admin.heal()).toMatchObject({ objectsHealed: 0, shardsRepaired: 0, bucketsHealed: 0 });
    await admin.drainHealQueue();
    expect((await stat(join(wiped, '.strata.sys', 'format.json'))).isFile()).toBe(true);
    await layer.close();
    // Reopen with two other drives gone: reads need the rebuilt drive.
    await rm(paths[2] ?? '', { recursive: true, force: true });
    await rm(paths[3] ?? '', { recursive: true, force: true });
    const drives = paths.map((p) => new FaultyDrive(new LocalDrive(p)));
    const d2 = drives[2];
    const d3 = drives[3];
    if (!d2 || !d3) throw new Error('setup');
    d2.mode = 'fail';
    d3.mode = 'fail';
    await resolveFormats(drives, { minAgreeing: 2, logger: noopLogger });
    const set = new ErasureSet({
      drives,
      parityShards: 2,
      pool: new BufferPool({ budgetBytes: 64 << 20 }),
      logger: noopLogger,
    });
    cleanups.push(() => set.close());
    await expectAll(set, objects);
    expect((await set.listBuckets()).map((b) => b.name)).toEqual(['bkt']);
  });
});
