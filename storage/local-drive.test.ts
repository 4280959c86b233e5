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
    const drive = new LocalDrive(dir);
    await drive.writeFormat(format());
    await drive.putBucketRecord({ v: 1, name: 'b', createdAtMs: 1, location: '' });
    await rm(dir, { recursive: true, force: true });
    await expect(drive.getBucketRecord('b')).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await expect(drive.putObjectRecord('b', 'k', { v: 1, versions: [] })).rejects.toSatisfy((e) =>
      isDriveError(e, 'DriveNotFound'),
    );
    await expect(drive.createTempShard()).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await expect(drive.diskInfo()).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await expect(drive.readFormat()).rejects.toSatisfy((e) => isDriveError(e, 'DriveNotFound'));
    await drive.close();
  });

  it('surfaces DriveNotFound when its contents were wiped, and reads unformatted after reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-drive-'));
    const drive = new LocalDrive(dir);
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
