import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDriveError } from './drive.js';
import { driveContractSuite } from './drive-contract.js';
import { LocalDrive } from './local-drive.js';

driveContractSuite('LocalDrive', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-drive-'));
  return { drive: new LocalDrive(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('LocalDrive faults', () => {
  const format = () => {
    const set = [randomUUID()];
    return {
      formatVersion: 1 as const,
      deploymentId: randomUUID(),
      set,
      driveId: set[0] ?? '',
      driveIndex: 0,
    };
  };

  it('surfaces DriveNotFound when its directory vanished', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-drive-'));
    const drive = new LocalDrive(dir, { livenessCheckIntervalMs: 0 });
    await drive.writeFormat(format());
    await drive.putBucketRecord({
      v: 2,
      name: 'b',
      createdAtMs: 1,
      updatedMs: 1,
      location: '',
      versioning: 'Unversioned',
      objectLockEnabled: false,
      configs: {},
    });
    await rm(dir, { recursive: true, force: true });
    await expect(drive.getBucketRecord('b')).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await expect(drive.putObjectRecord('b', 'k', { v: 2, versions: [] })).rejects.toSatisfy((e) =>
      isDriveError(e, 'DriveNotFound'),
    );
    await expect(drive.createTempShard()).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await expect(drive.diskInfo()).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await expect(drive.readFormat()).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await drive.close();
  });

  it('surfaces DriveNotFound when its contents were wiped, and reads unformatted after reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-drive-'));
    const drive = new LocalDrive(dir, { livenessCheckIntervalMs: 0 });
    await drive.writeFormat(format());
    await rm(join(dir, '.strata.sys'), { recursive: true, force: true });
    await rm(join(dir, 'data'), { recursive: true, force: true });
    await expect(drive.getObjectRecord('b', 'k')).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await drive.close();
    const again = new LocalDrive(dir);
    expect(await again.readFormat()).toBeNull();
    await again.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a corrupt format.json as FileCorrupt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-drive-'));
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(dir, '.strata.sys'));
    await writeFile(join(dir, '.strata.sys', 'format.json'), '{nope');
    const drive = new LocalDrive(dir);
    await expect(drive.readFormat()).rejects.toSatisfy((e) => isDriveError(e, 'FileCorrupt'));
    await drive.close();
    await rm(dir, { recursive: true, force: true });
  });
});

describe('LocalDrive on-disk layout (v2)', () => {
  it('stores the record as the golden fixture bytes and inline bytes raw under key + 0x00 + versionId', async () => {
    const { open } = await import('lmdb');
    const { readFile } = await import('node:fs/promises');
    const { RECORD_ENCODING } = await import('./local-drive.js');
    const { objectRecordV2 } = await import('./fixtures/golden-records.js');
    const dir = await mkdtemp(join(tmpdir(), 'strata-drive-'));
    const drive = new LocalDrive(dir);
    const set = [randomUUID()];
    await drive.writeFormat({
      formatVersion: 1,
      deploymentId: randomUUID(),
      set,
      driveId: set[0] ?? '',
      driveIndex: 0,
    });
    const inlineBytes = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 104, 101, 108, 0, 0, 0, 0, 0]);
    const [marker, multipart, nullVersion] = objectRecordV2.versions;
    if (!marker || !multipart || !nullVersion) throw new Error('fixture');
    const withInline = {
      v: 2 as const,
      versions: [marker, multipart, { ...nullVersion, inline: inlineBytes }],
    };
    await drive.putObjectRecord('photos', 'cat.jpg', withInline);
    await drive.close();

    const env = open({ path: join(dir, '.strata.sys', 'meta'), maxDbs: 8, ...RECORD_ENCODING });
    const objects = env.openDB({ name: 'objects', keyEncoding: 'binary', ...RECORD_ENCODING });
    const inline = env.openDB({ name: 'inline', keyEncoding: 'binary', encoding: 'binary' });
    const fixture = await readFile(join(import.meta.dirname, 'fixtures', 'object-record-v2.msgpack'));
    expect(objects.getBinary(Buffer.from('photos/cat.jpg'))?.equals(fixture)).toBe(true);
    const raw = inline.getBinary(Buffer.from('photos/cat.jpg\u0000null'));
    expect(raw && Buffer.from(raw).equals(inlineBytes)).toBe(true);
    await env.close();

    // Overwriting with file-backed versions and deleting leave no inline blobs behind.
    const again = new LocalDrive(dir);
    expect(await again.readFormat()).not.toBeNull();
    expect([...((await again.getObjectRecord('photos', 'cat.jpg'))?.versions[2]?.inline ?? [])]).toEqual([
      ...inlineBytes,
    ]);
    await again.putObjectRecord('photos', 'cat.jpg', objectRecordV2);
    expect((await again.getObjectRecord('photos', 'cat.jpg'))?.versions[2]?.inline).toBeUndefined();
    await again.putObjectRecord('photos', 'cat.jpg', withInline);
    await again.deleteObjectRecord('photos', 'cat.jpg');
    await again.close();
    const env2 = open({ path: join(dir, '.strata.sys', 'meta'), maxDbs: 8, ...RECORD_ENCODING });
    const inline2 = env2.openDB({ name: 'inline', keyEncoding: 'binary', encoding: 'binary' });
    expect([...inline2.getKeys({})]).toHaveLength(0);
    await env2.close();
    await rm(dir, { recursive: true, force: true });
  });
});
