/** On-disk helpers for fault tests: find shard files, snapshot and restore drives, corrupt bytes. */
import type { Dirent } from 'node:fs';
import { cp, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';

/** Per-drive layout (storage/local-drive.ts): data/<2 hex>/<dataDir>/part.1 */
const SHARD_FILE = 'part.1';

/** Absolute paths of every committed shard file on a drive, sorted. */
export async function shardFiles(drive: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && basename(p) === SHARD_FILE) out.push(p);
    }
  }
  await walk(join(drive, 'data'));
  return out.sort();
}

/** Shard files of a drive as relative path → contents. */
export async function shardContents(drive: string): Promise<Map<string, Buffer>> {
  const m = new Map<string, Buffer>();
  for (const f of await shardFiles(drive)) m.set(relative(drive, f), await readFile(f));
  return m;
}

/** True when the drive has every (relative path → bytes) shard of `expected`, byte-identical. */
export async function holdsShards(drive: string, expected: Map<string, Buffer>): Promise<boolean> {
  for (const [rel, bytes] of expected) {
    let got: Buffer;
    try {
      got = await readFile(join(drive, rel));
    } catch {
      return false;
    }
    if (!got.equals(bytes)) return false;
  }
  return true;
}

/** XORs the byte at `offset` with 0xff (in place). */
export async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] = (b[0] ?? 0) ^ 0xff;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Copies drives into `dest/<index>` (the server must be stopped). */
export async function snapshotDrives(drives: readonly string[], dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  for (const [i, d] of drives.entries()) await cp(d, join(dest, String(i)), { recursive: true });
}

/** Replaces the given drives (all by default) with their snapshot copies (the server must be stopped). */
export async function restoreDrives(
  drives: readonly string[],
  snapshot: string,
  which?: readonly number[],
): Promise<void> {
  for (const [i, d] of drives.entries()) {
    if (which && !which.includes(i)) continue;
    await rm(d, { recursive: true, force: true });
    await cp(join(snapshot, String(i)), d, { recursive: true });
  }
}

/** Deletes everything in a drive directory but keeps the (empty) directory: a fresh replacement disk. */
export async function wipeDrive(drive: string): Promise<void> {
  await rm(drive, { recursive: true, force: true });
  await mkdir(drive);
}

/** Removes a drive directory entirely (a pulled disk). */
export async function removeDrive(drive: string): Promise<void> {
  await rm(drive, { recursive: true, force: true });
}
