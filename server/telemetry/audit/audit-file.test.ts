import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditFile, type AuditFileOptions } from './audit-file.js';

let dir: string;
const opened: AuditFile[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-audit-file-'));
});

afterEach(async () => {
  for (const f of opened.splice(0)) await f.close();
  await rm(dir, { recursive: true, force: true });
});

async function openFile(opts: Partial<AuditFileOptions> = {}): Promise<AuditFile> {
  const f = await AuditFile.open({
    path: join(dir, 'logs', 'audit.log'),
    maxBytes: 1024 * 1024,
    keep: 3,
    flushIntervalMs: 60_000,
    ...opts,
  });
  opened.push(f);
  return f;
}

/** 50 bytes per line with its newline. */
const entry = (n: number) => JSON.stringify({ n: String(n).padStart(4, '0'), pad: 'x'.repeat(28) });

async function entriesIn(path: string): Promise<number[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number((JSON.parse(l) as { n: string }).n));
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('AuditFile', () => {
  it('appends entries as NDJSON (creating the directory) and writes them on close', async () => {
    const f = await openFile();
    for (const n of range(0, 5)) expect(f.append(entry(n))).toBe(true);
    expect(f.stats()).toMatchObject({ written: 0, pendingRecords: 5 });
    await f.close();
    expect(await entriesIn(join(dir, 'logs', 'audit.log'))).toEqual(range(0, 5));
    expect(f.stats()).toMatchObject({ written: 5, pendingRecords: 0, dropped: 0 });
  });

  it('writes every flush interval', async () => {
    const f = await openFile({ flushIntervalMs: 20 });
    f.append(entry(1));
    await expect.poll(() => f.stats().written, { timeout: 2000 }).toBe(1);
    expect(await entriesIn(join(dir, 'logs', 'audit.log'))).toEqual([1]);
  });

  it('rotates at the size limit, keeps the newest N rotated files and never splits an entry', async () => {
    expect(Buffer.byteLength(entry(0)) + 1).toBe(50);
    const f = await openFile({ maxBytes: 175, keep: 2 });
    for (const n of range(0, 20)) {
      f.append(entry(n));
      if (n % 2 === 1) await f.flush();
    }
    await f.flush();
    const path = join(dir, 'logs', 'audit.log');
    expect((await readdir(join(dir, 'logs'))).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    // 3 entries (150 bytes) fit in 175; the newest in audit.log, older ones numbered up.
    expect(await entriesIn(path)).toEqual([18, 19]);
    expect(await entriesIn(`${path}.1`)).toEqual([15, 16, 17]);
    expect(await entriesIn(`${path}.2`)).toEqual([12, 13, 14]);
    for (const p of [path, `${path}.1`, `${path}.2`]) expect((await stat(p)).size).toBeLessThanOrEqual(175);
  });

  it('splits one large batch over rotations', async () => {
    const f = await openFile({ maxBytes: 100, keep: 5 });
    for (const n of range(0, 6)) f.append(entry(n));
    await f.flush();
    const path = join(dir, 'logs', 'audit.log');
    expect(await entriesIn(`${path}.2`)).toEqual([0, 1]);
    expect(await entriesIn(`${path}.1`)).toEqual([2, 3]);
    expect(await entriesIn(path)).toEqual([4, 5]);
  });

  it('with keep 0 starts the file afresh at the limit', async () => {
    const f = await openFile({ maxBytes: 100, keep: 0 });
    for (const n of range(0, 5)) f.append(entry(n));
    await f.flush();
    expect(await readdir(join(dir, 'logs'))).toEqual(['audit.log']);
    expect(await entriesIn(join(dir, 'logs', 'audit.log'))).toEqual([4]);
  });

  it('appends to an existing file after a restart and rotates it by its real size', async () => {
    const a = await openFile({ maxBytes: 175 });
    for (const n of range(0, 3)) a.append(entry(n));
    await a.close();
    const b = await openFile({ maxBytes: 175 });
    b.append(entry(3));
    await b.flush();
    const path = join(dir, 'logs', 'audit.log');
    expect(await entriesIn(`${path}.1`)).toEqual([0, 1, 2]);
    expect(await entriesIn(path)).toEqual([3]);
  });

  it('drops and counts entries when too many wait for the disk', async () => {
    const f = await openFile({ pendingMaxBytes: 120 });
    for (const n of range(0, 4)) f.append(entry(n));
    expect(f.stats()).toMatchObject({ pendingRecords: 2, dropped: 2 });
  });
});
