import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { faultySet, get, put, shardFiles } from './set-test-helpers.js';
import { isStorageError, type ObjectInfo } from './types.js';

const code = (c: string) => (e: unknown) => isStorageError(e, c as never);

describe('ErasureSet versioning', () => {
  it('walks unversioned → enabled → suspended with S3 null-version semantics', async () => {
    const { set, paths } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    expect((await set.getBucketInfo('bkt')).versioning).toBe('Unversioned');

    // Unversioned: puts replace the null version and its data.
    const n1 = await put(set, 'bkt', 'k', randomBytes(300_000));
    expect(n1.versionId).toBe('null');
    const a = randomBytes(300_000);
    await put(set, 'bkt', 'k', a);
    expect(await shardFiles(paths)).toHaveLength(4);

    await set.setBucketVersioning('bkt', 'Enabled');
    expect((await set.getBucketInfo('bkt')).versioning).toBe('Enabled');
    const b = randomBytes(400_000);
    const c = randomBytes(50);
    const vb = await put(set, 'bkt', 'k', b);
    const vc = await put(set, 'bkt', 'k', c);
    expect(vb.versionId).not.toBe('null');
    expect(vc.versionId).not.toBe(vb.versionId);
    expect((await get(set, 'bkt', 'k')).equals(c)).toBe(true);
    expect((await get(set, 'bkt', 'k', { versionId: vb.versionId })).equals(b)).toBe(true);
    expect((await get(set, 'bkt', 'k', { versionId: 'null' })).equals(a)).toBe(true);
    const head = await set.getObjectInfo('bkt', 'k', { versionId: vb.versionId });
    expect(head.isLatest).toBe(false);
    expect((await set.getObjectInfo('bkt', 'k')).isLatest).toBe(true);

    // Suspended: a put replaces the null version only; id'd versions stay.
    await set.setBucketVersioning('bkt', 'Suspended');
    const d = randomBytes(400_000);
    const vd = await put(set, 'bkt', 'k', d);
    expect(vd.versionId).toBe('null');
    const list = await set.listObjectVersions('bkt', {
      prefix: '',
      delimiter: '',
      keyMarker: '',
      versionIdMarker: '',
      maxKeys: 100,
    });
    expect(list.versions.map((v) => v.versionId)).toEqual(['null', vc.versionId, vb.versionId]);
    expect(list.versions.map((v) => v.isLatest)).toEqual([true, false, false]);
    expect((await get(set, 'bkt', 'k', { versionId: 'null' })).equals(d)).toBe(true);
    // a (the old null version) had its data deleted: b and d hold files, c is inline.
    expect(await shardFiles(paths)).toHaveLength(8);
  });

  it('delete markers: latest marker hides the key, GET by id of a marker is refused, delete by id restores', async () => {
    const { set } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    await set.setBucketVersioning('bkt', 'Enabled');
    const data = randomBytes(1000);
    const v1 = await put(set, 'bkt', 'k', data);
    const del = await set.deleteObject('bkt', 'k');
    expect(del.isDeleteMarker).toBe(true);
    const markerId = del.versionId ?? '';
    expect(markerId).not.toBe('');
    const err = await set.getObjectInfo('bkt', 'k').catch((e: unknown) => e);
    expect(isStorageError(err, 'NoSuchKey')).toBe(true);
    expect((err as { deleteMarkerVersionId?: string }).deleteMarkerVersionId).toBe(markerId);
    await expect(set.getObject('bkt', 'k', { versionId: markerId })).rejects.toSatisfy(
      code('VersionIsDeleteMarker'),
    );
    const marker = await set.getObjectInfo('bkt', 'k', { versionId: markerId, allowDeleteMarker: true });
    expect(marker).toMatchObject({ isDeleteMarker: true, isLatest: true, versionId: markerId });
    await expect(set.getObject('bkt', 'k', { versionId: 'nope' })).rejects.toSatisfy(code('NoSuchVersion'));
    const listed = await set.listObjects('bkt', { prefix: '', delimiter: '', startAfter: '', maxKeys: 10 });
    expect(listed.objects).toHaveLength(0);
    // A marker even for a key that never existed (S3 does that too).
    expect((await set.deleteObject('bkt', 'never')).isDeleteMarker).toBe(true);

    // Removing the marker by id makes the older version current again.
    expect(await set.deleteObject('bkt', 'k', { versionId: markerId })).toEqual({
      versionId: markerId,
      isDeleteMarker: true,
    });
    expect((await get(set, 'bkt', 'k')).equals(data)).toBe(true);
    // Missing version ids delete nothing and succeed.
    expect(await set.deleteObject('bkt', 'k', { versionId: 'missing' })).toEqual({
      versionId: 'missing',
      isDeleteMarker: false,
    });
    // check() can refuse (object lock), and sees the target.
    let seen: ObjectInfo | undefined;
    const refused = new Error('locked');
    await expect(
      set.deleteObject('bkt', 'k', {
        versionId: v1.versionId,
        check: (t) => {
          seen = t;
          throw refused;
        },
      }),
    ).rejects.toBe(refused);
    expect(seen?.versionId).toBe(v1.versionId);
    // Deleting the last version removes the key entirely.
    await set.deleteObject('bkt', 'k', { versionId: v1.versionId });
    await set.deleteObject('bkt', 'never', { versionId: 'whatever' });
    const versions = await set.listObjectVersions('bkt', {
      prefix: 'k',
      delimiter: '',
      keyMarker: '',
      versionIdMarker: '',
      maxKeys: 10,
    });
    expect(versions.versions).toHaveLength(0);
  });

  it('suspended deletes put a null marker in place of the null version', async () => {
    const { set, paths } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    await put(set, 'bkt', 'k', randomBytes(400_000)); // null version
    await set.setBucketVersioning('bkt', 'Enabled');
    const v = await put(set, 'bkt', 'k', randomBytes(10));
    await set.setBucketVersioning('bkt', 'Suspended');
    expect(await set.deleteObject('bkt', 'k')).toEqual({ versionId: 'null', isDeleteMarker: true });
    const list = await set.listObjectVersions('bkt', {
      prefix: '',
      delimiter: '',
      keyMarker: '',
      versionIdMarker: '',
      maxKeys: 10,
    });
    expect(list.versions.map((x) => [x.versionId, x.isDeleteMarker])).toEqual([
      ['null', true],
      [v.versionId, false],
    ]);
    expect(await shardFiles(paths)).toHaveLength(0);
    await expect(set.deleteBucket('bkt')).rejects.toSatisfy(code('BucketNotEmpty'));
    await set.deleteObject('bkt', 'k', { versionId: 'null' });
    await set.deleteObject('bkt', 'k', { versionId: v.versionId });
    await set.deleteBucket('bkt');
  });

  it('updates metadata of one version, keeping lastModified unless touched', async () => {
    const { set } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    await set.setBucketVersioning('bkt', 'Enabled');
    const v1 = await put(set, 'bkt', 'k', randomBytes(10));
    await put(set, 'bkt', 'k', randomBytes(10));
    const tagged = await set.updateObjectMetadata(
      'bkt',
      'k',
      (cur) => ({ ...cur.metadata, 'x-amz-tagging': 'a=b' }),
      { versionId: v1.versionId, touch: false },
    );
    expect(tagged.lastModified.getTime()).toBe(v1.lastModified.getTime());
    expect(tagged.isLatest).toBe(false);
    const info = await set.getObjectInfo('bkt', 'k', { versionId: v1.versionId });
    expect(info.metadata['x-amz-tagging']).toBe('a=b');
    expect((await set.getObjectInfo('bkt', 'k')).metadata['x-amz-tagging']).toBeUndefined();
    const refused = new Error('no');
    await expect(
      set.updateObjectMetadata('bkt', 'k', () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
  });

  it('lists versions with prefix, delimiter and key/version-id markers page by page', async () => {
    const { set } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    await set.setBucketVersioning('bkt', 'Enabled');
    const expected: string[] = [];
    for (const key of ['a', 'b/1', 'b/2', 'c']) {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.unshift((await put(set, 'bkt', key, Buffer.from(`${key}${i}`))).versionId);
      if (key === 'c') ids.unshift((await set.deleteObject('bkt', 'c')).versionId ?? '');
      expected.push(...ids.map((id) => `${key}@${id}`));
    }
    for (const maxKeys of [1, 2, 5, 1000]) {
      const seen: string[] = [];
      let keyMarker = '';
      let versionIdMarker = '';
      for (let page = 0; page < 100; page++) {
        const res = await set.listObjectVersions('bkt', {
          prefix: '',
          delimiter: '',
          keyMarker,
          versionIdMarker,
          maxKeys,
        });
        expect(res.versions.length).toBeLessThanOrEqual(maxKeys);
        seen.push(...res.versions.map((v) => `${v.key}@${v.versionId}`));
        if (!res.isTruncated) break;
        keyMarker = res.nextKeyMarker ?? '';
        versionIdMarker = res.nextVersionIdMarker ?? '';
      }
      expect(seen).toEqual(expected);
    }
    const delimited = await set.listObjectVersions('bkt', {
      prefix: '',
      delimiter: '/',
      keyMarker: '',
      versionIdMarker: '',
      maxKeys: 4,
    });
    expect(delimited.versions.map((v) => v.key)).toEqual(['a', 'a', 'a']);
    expect(delimited.commonPrefixes).toEqual(['b/']);
    expect(delimited).toMatchObject({ isTruncated: true, nextKeyMarker: 'b/' });
    const rest = await set.listObjectVersions('bkt', {
      prefix: '',
      delimiter: '/',
      keyMarker: 'b/',
      versionIdMarker: '',
      maxKeys: 100,
    });
    expect(rest.versions.map((v) => `${v.key}${v.isDeleteMarker ? '-marker' : ''}`)).toEqual([
      'c-marker',
      'c',
      'c',
      'c',
    ]);
    // listObjects skips c (latest is a marker).
    const objects = await set.listObjects('bkt', { prefix: '', delimiter: '', startAfter: '', maxKeys: 10 });
    expect(objects.objects.map((o) => o.key)).toEqual(['a', 'b/1', 'b/2']);
  });

  it('bounds the work of one listObjects page over a long run of deleted keys', async () => {
    const { set } = await faultySet(4, undefined, { listScanMaxKeys: 10 });
    await set.makeBucket('bkt', { location: '' });
    await set.setBucketVersioning('bkt', 'Enabled');
    await put(set, 'bkt', 'a', Buffer.from('a'));
    for (let i = 0; i < 25; i++) await set.deleteObject('bkt', `d${String(i).padStart(2, '0')}`);
    await put(set, 'bkt', 'z', Buffer.from('z'));
    const keys: string[] = [];
    let startAfter = '';
    let pages = 0;
    for (; pages < 20; pages++) {
      const res = await set.listObjects('bkt', { prefix: '', delimiter: '', startAfter, maxKeys: 1000 });
      keys.push(...res.objects.map((o) => o.key));
      if (!res.isTruncated) break;
      // Cut short by the bound: fewer entries than asked, and a marker to go on from.
      expect(res.nextMarker && res.nextMarker > startAfter).toBe(true);
      startAfter = res.nextMarker ?? '';
    }
    expect(keys).toEqual(['a', 'z']);
    expect(pages).toBeGreaterThanOrEqual(2);
  });

  it('stores bucket config documents and refuses deleting a bucket with versions', async () => {
    const { set } = await faultySet(4);
    await set.makeBucket('bkt', { location: '', objectLockEnabled: true });
    expect(await set.getBucketInfo('bkt')).toMatchObject({ versioning: 'Enabled', objectLockEnabled: true });
    expect(await set.getBucketConfig('bkt', 'cors')).toBeUndefined();
    await set.putBucketConfig('bkt', 'cors', '<CORSConfiguration/>');
    await set.putBucketConfig('bkt', 'policy', '{}');
    expect(await set.getBucketConfig('bkt', 'cors')).toBe('<CORSConfiguration/>');
    await set.putBucketConfig('bkt', 'cors', undefined);
    expect(await set.getBucketConfig('bkt', 'cors')).toBeUndefined();
    expect(await set.getBucketConfig('bkt', 'policy')).toBe('{}');
    await expect(set.getBucketConfig('nope', 'cors')).rejects.toSatisfy(code('NoSuchBucket'));
    await expect(set.setBucketVersioning('nope', 'Enabled')).rejects.toSatisfy(code('NoSuchBucket'));
    await set.deleteObject('bkt', 'gone');
    await expect(set.deleteBucket('bkt')).rejects.toSatisfy(code('BucketNotEmpty'));
  });
});

describe('ErasureSet record migration', () => {
  it('reads objects whose records are still v1 on disk and versions on top of them', async () => {
    const { set, drives } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    const small = randomBytes(100);
    const large = randomBytes(400_000);
    await put(set, 'bkt', 'small', small);
    await put(set, 'bkt', 'large', large);
    // Rewrite every drive's records in the v1 shape (one version, no parts, no marker flag).
    for (const d of drives) {
      for (const key of ['small', 'large']) {
        const record = await d.getObjectRecord('bkt', key);
        const v = record?.versions[0];
        if (!v) throw new Error('setup');
        const v1 = {
          v: 1,
          versions: [
            {
              versionId: v.versionId,
              modTimeMs: v.modTimeMs,
              sizeBytes: v.sizeBytes,
              etag: v.etag,
              metadata: v.metadata,
              dataDir: v.dataDir,
              k: v.k,
              m: v.m,
              driveIndex: v.driveIndex,
              blockSizeBytes: v.blockSizeBytes,
              ...(v.inline ? { inline: v.inline } : {}),
            },
          ],
        };
        await d.putObjectRecord('bkt', key, v1 as never);
        expect((await d.getObjectRecord('bkt', key))?.versions[0]?.parts).toHaveLength(1);
      }
    }
    expect((await get(set, 'bkt', 'small')).equals(small)).toBe(true);
    expect((await get(set, 'bkt', 'large')).equals(large)).toBe(true);
    expect((await set.getObjectInfo('bkt', 'large')).parts).toBeUndefined();
    await set.setBucketVersioning('bkt', 'Enabled');
    await put(set, 'bkt', 'large', Buffer.from('new'));
    expect((await get(set, 'bkt', 'large', { versionId: 'null' })).equals(large)).toBe(true);
    expect((await set.heal()).objectsFailed).toBe(0);
  });
});

describe('ErasureSet conditional writes', () => {
  it('exactly one of many concurrent If-None-Match creators wins', async () => {
    const { set } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    const refused = () => new Error('PreconditionFailed');
    const attempts = Array.from({ length: 8 }, (_, i) =>
      put(set, 'bkt', 'k', randomBytes(i % 2 === 0 ? 100 : 300_000), {
        precondition: (cur) => {
          if (cur) throw refused();
        },
      }),
    );
    const results = await Promise.allSettled(attempts);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as Error).message).toBe('PreconditionFailed');
    }
    const winner = won[0]?.status === 'fulfilled' ? won[0].value : undefined;
    expect((await set.getObjectInfo('bkt', 'k')).etag).toBe(winner?.etag);
  });

  it('a refused write leaves nothing behind; the precondition sees no deleted object', async () => {
    const { set, paths } = await faultySet(4);
    await set.makeBucket('bkt', { location: '' });
    await set.setBucketVersioning('bkt', 'Enabled');
    const first = await put(set, 'bkt', 'k', randomBytes(300_000));
    const err = new Error('nope');
    await expect(
      put(set, 'bkt', 'k', randomBytes(300_000), {
        precondition: (cur) => {
          expect(cur?.etag).toBe(first.etag);
          throw err;
        },
      }),
    ).rejects.toBe(err);
    expect(await shardFiles(paths)).toHaveLength(4);
    await set.deleteObject('bkt', 'k');
    let seen: unknown = 'unset';
    await put(set, 'bkt', 'k', Buffer.from('x'), {
      precondition: (cur) => {
        seen = cur;
      },
    });
    expect(seen).toBeUndefined();
  });
});
