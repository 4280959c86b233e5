import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ErasureSet } from './erasure-set.js';
import { body, dataEntries, faultySet, get, md5, put, shardFiles } from './set-test-helpers.js';
import { isStorageError, type PartInfo } from './types.js';

const code = (c: string) => (e: unknown) => isStorageError(e, c as never);
const MiB = 1 << 20;

function uploadPart(set: ErasureSet, key: string, uploadId: string, partNumber: number, data: Uint8Array) {
  return set.putObjectPart('bkt', key, uploadId, partNumber, body(data), {
    sizeBytes: data.length,
    finalize: () => ({ etag: md5(data), metadata: { 'x-amz-checksum-part': String(partNumber) } }),
  });
}

function complete(
  set: ErasureSet,
  key: string,
  uploadId: string,
  parts: { partNumber: number; etag: string }[],
) {
  return set.completeMultipartUpload('bkt', key, uploadId, {
    parts,
    finalize: (infos: PartInfo[]) => ({
      etag: `${md5(Buffer.concat(infos.map((p) => Buffer.from(p.etag, 'hex'))))}-${infos.length}`,
      metadata: { 'x-amz-final': 'yes' },
    }),
  });
}

async function setup() {
  const env = await faultySet(4);
  await env.set.makeBucket('bkt', { location: '' });
  return env;
}

describe('ErasureSet multipart uploads', () => {
  it('uploads 3 parts (one ≥ 5 MiB), completes without copying, reads whole and across part boundaries', async () => {
    const { set, paths } = await setup();
    const uploadId = await set.createMultipartUpload('bkt', 'big', {
      metadata: { 'content-type': 'video/mp4' },
    });
    expect(await set.getMultipartUpload('bkt', 'big', uploadId)).toMatchObject({
      bucket: 'bkt',
      key: 'big',
      uploadId,
      metadata: { 'content-type': 'video/mp4' },
    });
    const parts = [randomBytes(5 * MiB + 3), randomBytes(MiB + 17), randomBytes(1000)];
    const infos = await Promise.all(parts.map((p, i) => uploadPart(set, 'big', uploadId, i + 1, p)));
    expect(infos.map((p) => p.sizeBytes)).toEqual(parts.map((p) => p.length));
    const listed = await set.listParts('bkt', 'big', uploadId, { partNumberMarker: 0, maxParts: 2 });
    expect(listed.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect(listed).toMatchObject({ isTruncated: true, nextPartNumberMarker: 2 });
    const filesBefore = (await shardFiles(paths)).sort();
    expect(filesBefore).toHaveLength(12);

    const info = await complete(
      set,
      'big',
      uploadId,
      infos.map((p) => ({ partNumber: p.partNumber, etag: `"${p.etag}"` })),
    );
    expect(info.etag).toMatch(/-3$/);
    expect(info.metadata).toEqual({ 'content-type': 'video/mp4', 'x-amz-final': 'yes' });
    expect(info.parts?.map((p) => [p.partNumber, p.sizeBytes, p.metadata['x-amz-checksum-part']])).toEqual([
      [1, parts[0]?.length, '1'],
      [2, parts[1]?.length, '2'],
      [3, 1000, '3'],
    ]);
    // No copy: the very same shard files now belong to the object.
    expect((await shardFiles(paths)).sort()).toEqual(filesBefore);
    await expect(set.getMultipartUpload('bkt', 'big', uploadId)).rejects.toSatisfy(code('NoSuchUpload'));

    const whole = Buffer.concat(parts);
    expect((await get(set, 'bkt', 'big')).equals(whole)).toBe(true);
    const head = await set.getObjectInfo('bkt', 'big');
    expect(head.sizeBytes).toBe(whole.length);
    expect(head.parts).toHaveLength(3);
    const p1 = parts[0]?.length ?? 0;
    const p2 = parts[1]?.length ?? 0;
    for (const [start, end] of [
      [p1 - 10, p1 + 10],
      [p1 - 1, p1 + p2],
      [0, whole.length - 1],
      [p1, p1],
      [p1 + p2 - 5, whole.length - 1],
      [5, MiB * 2],
    ] as const) {
      expect(
        (await get(set, 'bkt', 'big', { range: { start, end } })).equals(whole.subarray(start, end + 1)),
      ).toBe(true);
    }
  });

  it('re-uploading a part replaces it; unused parts are deleted at completion', async () => {
    const { set, paths } = await setup();
    const uploadId = await set.createMultipartUpload('bkt', 'k', { metadata: {} });
    await uploadPart(set, 'k', uploadId, 1, randomBytes(400_000));
    const second = randomBytes(300_000);
    const p1 = await uploadPart(set, 'k', uploadId, 1, second);
    const unused = await uploadPart(set, 'k', uploadId, 2, randomBytes(300_000));
    const p3 = await uploadPart(set, 'k', uploadId, 3, Buffer.from('tail'));
    const listed = await set.listParts('bkt', 'k', uploadId, { partNumberMarker: 0, maxParts: 100 });
    expect(listed.parts.map((p) => [p.partNumber, p.etag])).toEqual([
      [1, p1.etag],
      [2, unused.etag],
      [3, p3.etag],
    ]);
    await complete(set, 'k', uploadId, [
      { partNumber: 1, etag: p1.etag },
      { partNumber: 3, etag: p3.etag },
    ]);
    expect((await get(set, 'bkt', 'k')).equals(Buffer.concat([second, Buffer.from('tail')]))).toBe(true);
    const names = (await shardFiles(paths)).map((f) => f.split('/').at(-1));
    expect(names.sort()).toEqual([
      'part.1',
      'part.1',
      'part.1',
      'part.1',
      'part.3',
      'part.3',
      'part.3',
      'part.3',
    ]);
  });

  it('refuses missing parts, wrong ETags and bad order; the upload stays open', async () => {
    const { set } = await setup();
    const uploadId = await set.createMultipartUpload('bkt', 'k', { metadata: {} });
    const p1 = await uploadPart(set, 'k', uploadId, 1, randomBytes(100));
    const p2 = await uploadPart(set, 'k', uploadId, 2, randomBytes(100));
    await expect(complete(set, 'k', uploadId, [{ partNumber: 1, etag: 'f'.repeat(32) }])).rejects.toSatisfy(
      code('InvalidPart'),
    );
    await expect(complete(set, 'k', uploadId, [{ partNumber: 9, etag: p1.etag }])).rejects.toSatisfy(
      code('InvalidPart'),
    );
    await expect(
      complete(set, 'k', uploadId, [
        { partNumber: 2, etag: p2.etag },
        { partNumber: 1, etag: p1.etag },
      ]),
    ).rejects.toSatisfy(code('InvalidPartOrder'));
    await expect(
      complete(set, 'k', uploadId, [
        { partNumber: 1, etag: p1.etag },
        { partNumber: 1, etag: p1.etag },
      ]),
    ).rejects.toSatisfy(code('InvalidPartOrder'));
    const tooSmall = new Error('EntityTooSmall');
    await expect(
      set.completeMultipartUpload('bkt', 'k', uploadId, {
        parts: [{ partNumber: 1, etag: p1.etag }],
        finalize: () => {
          throw tooSmall;
        },
      }),
    ).rejects.toBe(tooSmall);
    const precondition = new Error('PreconditionFailed');
    await put(set, 'bkt', 'k', Buffer.from('existing'));
    await expect(
      set.completeMultipartUpload('bkt', 'k', uploadId, {
        parts: [{ partNumber: 1, etag: p1.etag }],
        finalize: () => ({ etag: 'x-1' }),
        precondition: (cur) => {
          if (cur) throw precondition;
        },
      }),
    ).rejects.toBe(precondition);
    expect(await set.getMultipartUpload('bkt', 'k', uploadId)).toMatchObject({ uploadId });
    await expect(set.getMultipartUpload('bkt', 'k', 'not-an-id')).rejects.toSatisfy(code('NoSuchUpload'));
    await expect(uploadPart(set, 'k', 'f'.repeat(32), 1, Buffer.from('x'))).rejects.toSatisfy(
      code('NoSuchUpload'),
    );
  });

  it('abort removes the upload and every file it wrote', async () => {
    const { set, paths } = await setup();
    const before = await dataEntries(paths);
    const uploadId = await set.createMultipartUpload('bkt', 'k', { metadata: {} });
    await uploadPart(set, 'k', uploadId, 1, randomBytes(600_000));
    await uploadPart(set, 'k', uploadId, 2, randomBytes(10));
    expect((await shardFiles(paths)).length).toBe(8);
    await set.abortMultipartUpload('bkt', 'k', uploadId);
    await expect(set.abortMultipartUpload('bkt', 'k', uploadId)).rejects.toSatisfy(code('NoSuchUpload'));
    await expect(
      set.listParts('bkt', 'k', uploadId, { partNumberMarker: 0, maxParts: 10 }),
    ).rejects.toSatisfy(code('NoSuchUpload'));
    // Only the (empty) 2-hex prefix folders may remain; no data dir, no file.
    const after = await dataEntries(paths);
    expect(after.filter((e) => !before.includes(e)).every((e) => /\/data\/[0-9a-f]{2}$/.test(e))).toBe(true);
    expect(await shardFiles(paths)).toHaveLength(0);
    for (const p of paths) expect(await readdir(join(p, '.strata.sys', 'tmp'))).toEqual([]);
  });

  it('a retried or concurrent completion returns the same object', async () => {
    const { set } = await setup();
    await set.setBucketVersioning('bkt', 'Enabled');
    const uploadId = await set.createMultipartUpload('bkt', 'k', { metadata: {} });
    const data = randomBytes(700_000);
    const p1 = await uploadPart(set, 'k', uploadId, 1, data);
    const parts = [{ partNumber: 1, etag: p1.etag }];
    const [a, b] = await Promise.all([
      complete(set, 'k', uploadId, parts),
      complete(set, 'k', uploadId, parts),
    ]);
    expect(b).toEqual(a);
    const again = await complete(set, 'k', uploadId, parts);
    expect(again).toEqual(a);
    await expect(complete(set, 'k', uploadId, [{ partNumber: 1, etag: 'e'.repeat(32) }])).rejects.toSatisfy(
      code('NoSuchUpload'),
    );
    const versions = await set.listObjectVersions('bkt', {
      prefix: '',
      delimiter: '',
      keyMarker: '',
      versionIdMarker: '',
      maxKeys: 10,
    });
    expect(versions.versions).toHaveLength(1);
    expect((await get(set, 'bkt', 'k')).equals(data)).toBe(true);
    // Aborting a completed upload does not touch the object's data.
    await expect(set.abortMultipartUpload('bkt', 'k', uploadId)).rejects.toSatisfy(code('NoSuchUpload'));
    expect((await get(set, 'bkt', 'k')).equals(data)).toBe(true);
  });

  it('lists uploads by key then initiation, with prefix, delimiter and markers', async () => {
    const { set } = await setup();
    const made: Array<[string, string]> = [];
    for (const key of ['b', 'a', 'dir/x', 'dir/y', 'a'])
      made.push([key, await set.createMultipartUpload('bkt', key, { metadata: {} })]);
    const expected = [...made].sort(
      (x, y) => Buffer.compare(Buffer.from(x[0]), Buffer.from(y[0])) || (x[1] < y[1] ? -1 : 1),
    );
    const all = await set.listMultipartUploads('bkt', {
      prefix: '',
      delimiter: '',
      keyMarker: '',
      uploadIdMarker: '',
      maxUploads: 100,
    });
    expect(all.uploads.map((u) => [u.key, u.uploadId])).toEqual(expected);
    const seen: Array<[string, string]> = [];
    let keyMarker = '';
    let uploadIdMarker = '';
    for (let i = 0; i < 10; i++) {
      const page = await set.listMultipartUploads('bkt', {
        prefix: '',
        delimiter: '',
        keyMarker,
        uploadIdMarker,
        maxUploads: 2,
      });
      seen.push(...page.uploads.map((u): [string, string] => [u.key, u.uploadId]));
      if (!page.isTruncated) break;
      keyMarker = page.nextKeyMarker ?? '';
      uploadIdMarker = page.nextUploadIdMarker ?? '';
    }
    expect(seen).toEqual(expected);
    const afterKey = await set.listMultipartUploads('bkt', {
      prefix: '',
      delimiter: '',
      keyMarker: 'a',
      uploadIdMarker: '',
      maxUploads: 100,
    });
    expect(afterKey.uploads.map((u) => u.key)).toEqual(['b', 'dir/x', 'dir/y']);
    const delimited = await set.listMultipartUploads('bkt', {
      prefix: '',
      delimiter: '/',
      keyMarker: '',
      uploadIdMarker: '',
      maxUploads: 100,
    });
    expect(delimited.uploads.map((u) => u.key)).toEqual(['a', 'a', 'b']);
    expect(delimited.commonPrefixes).toEqual(['dir/']);
    const prefixed = await set.listMultipartUploads('bkt', {
      prefix: 'dir/',
      delimiter: '/',
      keyMarker: '',
      uploadIdMarker: '',
      maxUploads: 100,
    });
    expect(prefixed.uploads.map((u) => u.key)).toEqual(['dir/x', 'dir/y']);
  });

  it('deleting a bucket aborts its uploads and removes their data', async () => {
    const { set, paths } = await setup();
    const uploadId = await set.createMultipartUpload('bkt', 'k', { metadata: {} });
    await uploadPart(set, 'k', uploadId, 1, randomBytes(500_000));
    await set.deleteBucket('bkt');
    expect(await shardFiles(paths)).toHaveLength(0);
    await set.makeBucket('bkt', { location: '' });
    const list = await set.listMultipartUploads('bkt', {
      prefix: '',
      delimiter: '',
      keyMarker: '',
      uploadIdMarker: '',
      maxUploads: 10,
    });
    expect(list.uploads).toHaveLength(0);
  });

  it('heals every part of a multipart object onto a wiped drive', async () => {
    const { set, paths, drives } = await setup();
    await set.setBucketVersioning('bkt', 'Enabled');
    const old = randomBytes(300_000);
    await put(set, 'bkt', 'k', old);
    const uploadId = await set.createMultipartUpload('bkt', 'k', { metadata: {} });
    const parts = [randomBytes(5 * MiB), randomBytes(700_000)];
    const infos = [];
    for (const [i, p] of parts.entries()) infos.push(await uploadPart(set, 'k', uploadId, i + 1, p));
    const v2 = await complete(
      set,
      'k',
      uploadId,
      infos.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
    );
    // Wipe drive 1's data folder (its records stay): every shard file is gone there.
    const wiped = paths[1] ?? '';
    await rm(join(wiped, 'data'), { recursive: true, force: true });
    const report = await set.heal();
    expect(report.objectsFailed).toBe(0);
    expect(report.shardsRepaired).toBe(2); // two versions on one drive
    expect((await shardFiles([wiped])).map((f) => f.split('/').at(-1)).sort()).toEqual([
      'part.1',
      'part.1',
      'part.2',
    ]);
    // Only drive 1 and one other left: the data must come from the healed shards.
    const d0 = drives[0];
    const d2 = drives[2];
    if (!d0 || !d2) throw new Error('setup');
    d0.mode = 'fail';
    d2.mode = 'fail';
    expect((await get(set, 'bkt', 'k')).equals(Buffer.concat(parts))).toBe(true);
    const older = (
      await set.listObjectVersions('bkt', {
        prefix: '',
        delimiter: '',
        keyMarker: '',
        versionIdMarker: '',
        maxKeys: 5,
      })
    ).versions[1];
    expect(older?.versionId).not.toBe(v2.versionId);
    expect((await get(set, 'bkt', 'k', { versionId: older?.versionId ?? '' })).equals(old)).toBe(true);
  });
});
