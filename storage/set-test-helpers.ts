import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach } from 'vitest';
import { noopLogger } from '../common/index.js';
import { BufferPool } from './buffer-pool.js';
import { ErasureSet } from './erasure-set.js';
import { FaultyDrive } from './faulty-drive.js';
import { resolveFormats } from './format.js';
import { LocalDrive } from './local-drive.js';
import type { ObjectLayer } from './types.js';

/** Shared helpers of the ErasureSet test files (registers its own afterEach cleanup). */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export async function tempDirs(n: number): Promise<string[]> {
  const root = await mkdtemp(join(tmpdir(), 'strata-set-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return Array.from({ length: n }, (_, i) => join(root, `d${i}`));
}

/** A 4-drive (2+2) set over FaultyDrive-wrapped LocalDrives. */
export async function faultySet(n = 4, dirs?: string[], opts: { listScanMaxKeys?: number } = {}) {
  const paths = dirs ?? (await tempDirs(n));
  for (const p of paths) await mkdir(p, { recursive: true });
  const drives = paths.map((p) => new FaultyDrive(new LocalDrive(p)));
  const res = await resolveFormats(drives, { minAgreeing: 2, logger: noopLogger });
  const set = new ErasureSet({
    drives,
    parityShards: n / 2,
    pool: new BufferPool({ budgetBytes: 64 << 20 }),
    logger: noopLogger,
    ...opts,
  });
  if (res.freshSlots.length > 0) set.startBackgroundHeal('test');
  cleanups.push(() => set.close());
  return { set, drives, paths };
}

export function body(data: Uint8Array, chunk = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(Buffer.from(data.subarray(i, i + chunk)));
  return Readable.from(chunks);
}

export const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

export function put(
  layer: ObjectLayer,
  bucket: string,
  key: string,
  data: Uint8Array,
  extra: { precondition?: Parameters<ObjectLayer['putObject']>[3]['precondition'] } = {},
) {
  return layer.putObject(bucket, key, body(data), {
    sizeBytes: data.length,
    metadata: { 'content-type': 'application/octet-stream' },
    finalize: () => ({ etag: md5(data) }),
    ...extra,
  });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function get(
  layer: ObjectLayer,
  bucket: string,
  key: string,
  opts: { range?: { start: number; end: number }; versionId?: string } = {},
) {
  const res = await layer.getObject(bucket, key, opts);
  return readAll(res.stream);
}

/** Every file under each drive's data folder (shard files). */
export async function shardFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    try {
      for (const e of await readdir(join(p, 'data'), { recursive: true, withFileTypes: true }))
        if (e.isFile()) out.push(join(e.parentPath, e.name));
    } catch {
      // drive folder gone
    }
  }
  return out;
}

/** Every file and directory under each drive's data folder (nothing may leak). */
export async function dataEntries(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    try {
      for (const e of await readdir(join(p, 'data'), { recursive: true, withFileTypes: true }))
        out.push(join(e.parentPath, e.name));
    } catch {
      // drive folder gone
    }
  }
  return out;
}
