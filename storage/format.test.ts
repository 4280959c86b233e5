import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { noopLogger } from '../common/index.js';
import { FormatError, resolveFormats } from './format.js';
import { openStorage } from './index.js';
import { LocalDrive } from './local-drive.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function dirs(n: number, name = 'd'): Promise<string[]> {
  const root = await mkdtemp(join(tmpdir(), 'strata-format-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const out = Array.from({ length: n }, (_, i) => join(root, `${name}${i}`));
  for (const d of out) await mkdir(d);
  return out;
}

async function resolve(paths: string[]) {
  const drives = paths.map((p) => new LocalDrive(p));
  try {
    return await resolveFormats(drives, { minAgreeing: 2, logger: noopLogger });
  } finally {
    await Promise.all(drives.map((d) => d.close()));
  }
}

const formatOf = async (path: string) =>
  JSON.parse(await readFile(join(path, '.strata.sys', 'format.json'), 'utf8'));

describe('resolveFormats', () => {
  it('creates a new deployment on empty drives, then accepts it unchanged', async () => {
    const paths = await dirs(4);
    const first = await resolve(paths);
    expect(first.created).toBe(true);
    const f2 = await formatOf(paths[2] ?? '');
    expect(f2).toMatchObject({
      formatVersion: 1,
      deploymentId: first.deploymentId,
      driveIndex: 2,
      driveId: first.set[2],
    });
    const again = await resolve(paths);
    expect(again).toMatchObject({ created: false, deploymentId: first.deploymentId, freshSlots: [] });
  });

  it('formats an empty drive into its slot and reports it fresh', async () => {
    const paths = await dirs(4);
    const first = await resolve(paths);
    await rm(join(paths[3] ?? '', '.strata.sys'), { recursive: true });
    const again = await resolve(paths);
    expect(again.freshSlots).toEqual([3]);
    expect((await formatOf(paths[3] ?? '')).driveId).toBe(first.set[3]);
  });

  it('refuses a drive of another deployment, naming its path', async () => {
    const paths = await dirs(4);
    const other = await dirs(4, 'other');
    await resolve(paths);
    await resolve(other);
    const mixed = [paths[0] ?? '', paths[1] ?? '', paths[2] ?? '', other[3] ?? ''];
    await expect(resolve(mixed)).rejects.toThrow(FormatError);
    await expect(resolve(mixed)).rejects.toThrow(new RegExp(`${other[3]}.*another deployment`));
  });

  it('refuses swapped drives, naming the slot they belong in', async () => {
    const paths = await dirs(4);
    await resolve(paths);
    const swapped = [paths[1] ?? '', paths[0] ?? '', paths[2] ?? '', paths[3] ?? ''];
    await expect(resolve(swapped)).rejects.toThrow(/is in slot 1 but it belongs in slot 2/);
  });

  it('refuses when too few drives carry the deployment', async () => {
    const paths = await dirs(4);
    await resolve(paths);
    for (const p of paths.slice(1)) await rm(join(p, '.strata.sys'), { recursive: true });
    await expect(resolve(paths)).rejects.toThrow(/only 1 of 4 drives/);
  });

  it('refuses a corrupt format.json', async () => {
    const paths = await dirs(2);
    await resolve(paths);
    await writeFile(join(paths[0] ?? '', '.strata.sys', 'format.json'), 'garbage');
    await expect(resolve(paths)).rejects.toThrow(/format.json is unreadable/);
  });
});

describe('openStorage', () => {
  it('throws a human-readable Error for a bad layout and for bad parity', async () => {
    const paths = await dirs(4);
    const { objectLayer } = await openStorage({ drives: paths, logger: noopLogger });
    await objectLayer.close();
    await expect(openStorage({ drives: [...paths].reverse(), logger: noopLogger })).rejects.toThrow(
      /cannot start storage: drive .* is in slot 1/,
    );
    await expect(openStorage({ drives: paths, parityShards: 3, logger: noopLogger })).rejects.toThrow(
      /parity 3/,
    );
    await expect(openStorage({ drives: [], logger: noopLogger })).rejects.toThrow(/1 to 16 drives/);
  });

  it('works with a single drive (no parity)', async () => {
    const paths = await dirs(1);
    const { objectLayer } = await openStorage({ drives: paths, logger: noopLogger });
    await objectLayer.makeBucket('bkt', { location: '' });
    expect(await objectLayer.isWritable()).toBe(true);
    await objectLayer.close();
  });
});
