import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Drive, DriveFormat } from './drive.js';
import { isDriveError } from './drive.js';
import { decodeStoredObjectRecord } from './record-codec.js';
import type { BucketRecord, ObjectRecord, PartRecord, UploadRecord } from './records.js';

/**
 * The Drive contract: the same tests run over every implementation (LocalDrive now,
 * RemoteDrive later). `make` returns a fresh, unformatted drive and a cleanup.
 */
export function driveContractSuite(
  name: string,
  make: () => Promise<{ drive: Drive; cleanup: () => Promise<void> }>,
): void {
  describe(`Drive contract: ${name}`, () => {
    let drive: Drive;
    let cleanup: () => Promise<void>;
    const format: DriveFormat = {
      formatVersion: 1,
      deploymentId: randomUUID(),
      set: [randomUUID(), randomUUID()],
      driveId: '',
      driveIndex: 1,
    };
    format.driveId = format.set[1] ?? '';

    beforeEach(async () => {
      ({ drive, cleanup } = await make());
    });
    afterEach(async () => {
      await drive.close();
      await cleanup();
    });

    const record = (etag: string, inline?: Uint8Array): ObjectRecord => ({
      v: 2,
      versions: [
        {
          versionId: 'null',
          isDeleteMarker: false,
          parts: [{ number: 1, sizeBytes: 3, etag, metadata: {} }],
          modTimeMs: 1000,
          sizeBytes: 3,
          etag,
          metadata: { 'content-type': 'text/plain' },
          dataDir: randomUUID(),
          k: 1,
          m: 1,
          driveIndex: 1,
          blockSizeBytes: 1 << 20,
          ...(inline ? { inline } : {}),
        },
      ],
    });

    it('reads null format when unformatted, and the written format back', async () => {
      expect(await drive.readFormat()).toBeNull();
      await drive.writeFormat(format);
      expect(await drive.readFormat()).toEqual(format);
    });

    it('refuses record operations before it is formatted', async () => {
      await expect(drive.getBucketRecord('b')).rejects.toSatisfy((e) => isDriveError(e, 'UnformattedDrive'));
    });

    const bucketRecord = (name: string, createdAtMs: number, location: string): BucketRecord => ({
      v: 2,
      name,
      createdAtMs,
      updatedMs: createdAtMs,
      location,
      versioning: 'Enabled',
      objectLockEnabled: false,
      configs: { cors: '<CORSConfiguration/>' },
    });

    it('stores, lists and deletes bucket records', async () => {
      await drive.writeFormat(format);
      expect(await drive.getBucketRecord('b1')).toBeNull();
      await drive.putBucketRecord(bucketRecord('b2', 2, ''));
      await drive.putBucketRecord(bucketRecord('b1', 1, 'eu'));
      expect(await drive.getBucketRecord('b1')).toEqual(bucketRecord('b1', 1, 'eu'));
      expect((await drive.listBucketRecords()).map((b) => b.name)).toEqual(['b1', 'b2']);
      await drive.deleteBucketRecord('b1');
      await drive.deleteBucketRecord('b1');
      expect(await drive.getBucketRecord('b1')).toBeNull();
    });

    it('stores object records with inline bytes and hostile keys', async () => {
      await drive.writeFormat(format);
      const keys = ['a', 'dir/é', '%2F', 'ctl\u0001\u007f', '😀', 'k'.repeat(1024)];
      for (const key of keys)
        await drive.putObjectRecord('b', key, record(key.slice(0, 8), new Uint8Array([1, 2, 3])));
      for (const key of keys) {
        const got = await drive.getObjectRecord('b', key);
        expect(got?.versions[0]?.etag).toBe(key.slice(0, 8));
        expect([...(got?.versions[0]?.inline ?? [])]).toEqual([1, 2, 3]);
      }
      expect(await drive.getObjectRecord('b2', 'a')).toBeNull();
      await drive.deleteObjectRecord('b', 'a');
      await drive.deleteObjectRecord('b', 'a');
      expect(await drive.getObjectRecord('b', 'a')).toBeNull();
    });

    it('scans one bucket in UTF-8 binary order with prefix, startAfter and skip-under', async () => {
      await drive.writeFormat(format);
      // '\uffff' sorts before '😀' in UTF-8 but after it in UTF-16.
      const keys = ['a/1', 'a/2', 'a0', 'b', '\uffff', '😀', 'a'];
      for (const key of keys) await drive.putObjectRecord('bk', key, record(key, new Uint8Array(4)));
      await drive.putObjectRecord('bk0', 'zzz', record('other bucket'));
      await drive.putObjectRecord('bj', 'zzz', record('other bucket'));
      const scan = async (prefix: string, startAfter: string, skipUnderStartAfter = false, limit = 100) =>
        (await drive.scanObjectRecords('bk', { prefix, startAfter, skipUnderStartAfter, limit })).keys;
      expect(await scan('', '')).toEqual(['a', 'a/1', 'a/2', 'a0', 'b', '\uffff', '😀']);
      expect(await scan('a', '')).toEqual(['a', 'a/1', 'a/2', 'a0']);
      expect(await scan('', 'a/1')).toEqual(['a/2', 'a0', 'b', '\uffff', '😀']);
      expect(await scan('', 'a/', true)).toEqual(['a0', 'b', '\uffff', '😀']);
      expect(await scan('a/', 'a', false)).toEqual(['a/1', 'a/2']);
      expect(await scan('', '', false, 2)).toEqual(['a', 'a/1']);
      expect(await scan('c', '')).toEqual([]);
      const page = await drive.scanObjectRecords('bk', {
        prefix: '',
        startAfter: '',
        skipUnderStartAfter: false,
        limit: 2,
      });
      expect(page.keys).toEqual(['a', 'a/1']);
      expect(page.ends).toHaveLength(2);
      const first = decodeStoredObjectRecord(page.bytes.subarray(0, page.ends[0]));
      expect(first.versions[0]?.etag).toBe('a');
      expect(first.versions[0]?.inline).toBeUndefined();
      const second = decodeStoredObjectRecord(page.bytes.subarray(page.ends[0], page.ends[1]));
      expect(second.versions[0]?.etag).toBe('a/1');
      expect(page.ends[1]).toBe(page.bytes.length);
      const none = await drive.scanObjectRecords('bk', {
        prefix: 'c',
        startAfter: '',
        skipUnderStartAfter: false,
        limit: 5,
      });
      expect([none.keys, none.ends, none.bytes.length]).toEqual([[], [], 0]);
    });

    it('writes shards through temp files and reads them back at any offset', async () => {
      await drive.writeFormat(format);
      const dataDir = randomUUID();
      const bytes = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) & 0xff);
      const tempId = await drive.createTempShard();
      await drive.appendTempShard(tempId, [bytes.subarray(0, 8), bytes.subarray(8, 1000)]);
      await drive.appendTempShard(tempId, [bytes.subarray(1000)]);
      await drive.syncTempShard(tempId);
      await expect(drive.openShard(dataDir)).rejects.toSatisfy((e) => isDriveError(e, 'FileNotFound'));
      await drive.commitShard(tempId, dataDir);
      const handle = await drive.openShard(dataDir);
      expect(handle.sizeBytes).toBe(bytes.length);
      for (const [off, len] of [
        [0, 10],
        [5, 1 << 20],
        [(1 << 20) + 3, 2 << 20],
        [bytes.length - 17, 17],
      ] as const) {
        expect(Buffer.from(await handle.read(off, len)).equals(bytes.subarray(off, off + len))).toBe(true);
      }
      await expect(handle.read(bytes.length - 1, 2)).rejects.toSatisfy((e) => isDriveError(e, 'FileCorrupt'));
      if (handle.readInto) {
        const target = Buffer.alloc((1 << 20) + 9);
        await handle.readInto(12345, target);
        expect(target.equals(bytes.subarray(12345, 12345 + target.length))).toBe(true);
        await expect(handle.readInto(bytes.length - 1, Buffer.alloc(2))).rejects.toSatisfy((e) =>
          isDriveError(e, 'FileCorrupt'),
        );
      }
      // An open handle keeps reading after the data dir is deleted.
      await drive.deleteDataDir(dataDir);
      await drive.deleteDataDir(dataDir);
      expect(
        Buffer.from(await handle.read(2 << 20, 100)).equals(bytes.subarray(2 << 20, (2 << 20) + 100)),
      ).toBe(true);
      await handle.close();
      await handle.close();
      await expect(drive.openShard(dataDir)).rejects.toSatisfy((e) => isDriveError(e, 'FileNotFound'));
    });

    const upload = (key: string, uploadId: string): UploadRecord => ({
      v: 1,
      bucket: 'bk',
      key,
      uploadId,
      initiatedMs: 5,
      metadata: { 'content-type': 'a/b' },
      dataDir: randomUUID(),
      k: 1,
      m: 1,
    });
    const part = (number: number, etag: string): PartRecord => ({
      v: 1,
      number,
      sizeBytes: 10,
      etag,
      metadata: {},
      modTimeMs: 7,
      k: 1,
      m: 1,
      driveIndex: 1,
      blockSizeBytes: 1 << 20,
    });

    it('stores uploads ordered by key then upload id, and their parts by number', async () => {
      await drive.writeFormat(format);
      const ids = ['0000000000010000aaaaaaaaaaaaaaaa', '0000000000020000aaaaaaaaaaaaaaaa'];
      for (const [key, id] of [
        ['a/b', ids[1]],
        ['a', ids[1]],
        ['a', ids[0]],
        ['b', ids[0]],
      ] as const)
        await drive.putUploadRecord(upload(key, id ?? ''));
      const scan = async (startAfter: string, prefix = '') =>
        (
          await drive.scanUploadRecords('bk', { prefix, startAfter, skipUnderStartAfter: false, limit: 10 })
        ).map((u) => `${u.key}@${u.uploadId.slice(10, 12)}`);
      expect(await scan('')).toEqual(['a@01', 'a@02', 'a/b@02', 'b@01']);
      expect(await scan(`a\u0000${ids[0]}`)).toEqual(['a@02', 'a/b@02', 'b@01']);
      expect(await scan('a\u0000~')).toEqual(['a/b@02', 'b@01']);
      expect(await scan('', 'a/')).toEqual(['a/b@02']);
      const id = ids[0] ?? '';
      const { dataDir: _dataDir, ...rest } = upload('a', id);
      expect(await drive.getUploadRecord('bk', 'a', id)).toMatchObject(rest);
      await drive.putPartRecord(id, part(10, 'x'));
      await drive.putPartRecord(id, part(2, 'y'));
      await drive.putPartRecord(id, part(2, 'z'));
      await drive.putPartRecord(ids[1] ?? '', part(1, 'other upload'));
      expect((await drive.listPartRecords(id)).map((p) => `${p.number}${p.etag}`)).toEqual(['2z', '10x']);
      await drive.deletePartRecord(id, 10);
      expect((await drive.listPartRecords(id)).map((p) => p.number)).toEqual([2]);
      await drive.deleteUploadRecord('bk', 'a', id);
      await drive.deleteUploadRecord('bk', 'a', id);
      expect(await drive.getUploadRecord('bk', 'a', id)).toBeNull();
      expect(await drive.listPartRecords(id)).toEqual([]);
      expect(await drive.listPartRecords(ids[1] ?? '')).toHaveLength(1);
    });

    it('keeps one shard file per part number; a commit replaces the part, deleteShard removes it', async () => {
      await drive.writeFormat(format);
      const dataDir = randomUUID();
      const write = async (partNumber: number, bytes: number[]) => {
        const tempId = await drive.createTempShard();
        await drive.appendTempShard(tempId, [new Uint8Array(bytes)]);
        await drive.syncTempShard(tempId);
        await drive.commitShard(tempId, dataDir, partNumber);
      };
      await write(1, [1]);
      await write(3, [3, 3]);
      await write(3, [4, 4, 4]);
      const h3 = await drive.openShard(dataDir, 3);
      expect([...(await h3.read(0, 3))]).toEqual([4, 4, 4]);
      await h3.close();
      const h1 = await drive.openShard(dataDir);
      expect(h1.sizeBytes).toBe(1);
      await h1.close();
      await drive.deleteShard(dataDir, 3);
      await drive.deleteShard(dataDir, 3);
      await expect(drive.openShard(dataDir, 3)).rejects.toSatisfy((e) => isDriveError(e, 'FileNotFound'));
      await expect(drive.openShard(dataDir, 0)).rejects.toSatisfy((e) => isDriveError(e, 'FileNotFound'));
      await drive.deleteDataDir(dataDir);
    });

    it('aborts temp shards idempotently and rejects unknown temp ids', async () => {
      await drive.writeFormat(format);
      const tempId = await drive.createTempShard();
      await drive.appendTempShard(tempId, [new Uint8Array(10)]);
      await drive.abortTempShard(tempId);
      await drive.abortTempShard(tempId);
      await expect(drive.appendTempShard(tempId, [new Uint8Array(1)])).rejects.toSatisfy((e) =>
        isDriveError(e, 'FileNotFound'),
      );
      await expect(drive.commitShard(tempId, randomUUID())).rejects.toSatisfy((e) =>
        isDriveError(e, 'FileNotFound'),
      );
    });

    it('reports disk info and refuses calls after close', async () => {
      await drive.writeFormat(format);
      const info = await drive.diskInfo();
      expect(info.totalBytes).toBeGreaterThan(0);
      await drive.close();
      await expect(drive.getBucketRecord('b')).rejects.toSatisfy((e) => isDriveError(e, 'DriveClosed'));
    });
  });
}
