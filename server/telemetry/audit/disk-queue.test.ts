import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskQueue, type DiskQueueOptions, type QueueProblem } from './disk-queue.js';

let dir: string;
const opened: DiskQueue[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-queue-'));
});

afterEach(async () => {
  for (const q of opened.splice(0)) await q.close();
  await rm(dir, { recursive: true, force: true });
});

async function openQueue(opts: Partial<DiskQueueOptions> = {}): Promise<DiskQueue> {
  // A long interval: tests flush explicitly unless they test the timer.
  const q = await DiskQueue.open({ dir, maxBytes: 1024 * 1024, flushIntervalMs: 60_000, ...opts });
  opened.push(q);
  return q;
}

function entry(n: number): string {
  return JSON.stringify({ n, pad: 'x'.repeat(20) });
}

/** Reads and acknowledges everything currently readable. */
async function drain(q: DiskQueue, batchSize = 7): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const batch = await q.peek(batchSize);
    if (batch === undefined) return out;
    out.push(...batch.lines.map((l) => (JSON.parse(l) as { n: number }).n));
    await q.ack(batch);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('DiskQueue', () => {
  it('delivers appended entries in order once flushed, and counts what is queued', async () => {
    const q = await openQueue();
    for (const n of range(0, 20)) expect(q.append(entry(n))).toBe(true);
    expect(q.stats()).toMatchObject({ queuedRecords: 20, dropped: 0 });
    expect(await q.peek(10)).toBeUndefined(); // nothing synced yet
    await q.flush();
    const first = await q.peek(8);
    expect(first?.lines.map((l) => JSON.parse(l).n)).toEqual(range(0, 8));
    // Until acknowledged, the same entries come back.
    expect((await q.peek(8))?.lines).toEqual(first?.lines);
    await q.ack(first!);
    expect(q.stats().queuedRecords).toBe(12);
    expect(await drain(q)).toEqual(range(8, 20));
    expect(q.stats()).toEqual({ queuedRecords: 0, queuedBytes: 0, dropped: 0 });
  });

  it('writes on its own every flush interval and wakes the consumer', async () => {
    let readable = 0;
    const q = await openQueue({ flushIntervalMs: 20, onReadable: () => readable++ });
    q.append(entry(1));
    await expect.poll(() => readable, { timeout: 2000 }).toBeGreaterThan(0);
    expect((await q.peek(10))?.lines).toEqual([entry(1)]);
  });

  it('writes early once flushRecords entries wait', async () => {
    let readable = 0;
    const q = await openQueue({ flushRecords: 5, onReadable: () => readable++ });
    for (const n of range(0, 4)) q.append(entry(n));
    await new Promise((r) => setTimeout(r, 50));
    expect(readable).toBe(0);
    q.append(entry(4));
    await expect.poll(() => readable, { timeout: 2000 }).toBe(1);
    expect((await q.peek(10))?.lines).toHaveLength(5);
  });

  it('resumes from the persisted cursor after a restart: nothing lost, nothing acknowledged twice', async () => {
    const a = await openQueue();
    for (const n of range(0, 30)) a.append(entry(n));
    await a.flush();
    const batch = await a.peek(10);
    await a.ack(batch!);
    for (const n of range(30, 40)) a.append(entry(n)); // only in memory: close() writes them
    await a.close();

    const b = await openQueue();
    expect(b.stats().queuedRecords).toBe(30);
    expect(await drain(b)).toEqual(range(10, 40));
    await b.close();

    const c = await openQueue();
    expect(c.stats()).toEqual({ queuedRecords: 0, queuedBytes: 0, dropped: 0 });
    expect(await c.peek(10)).toBeUndefined();
  });

  it('after a crash, keeps what was flushed (a second process opens the same directory)', async () => {
    const crashed = await openQueue();
    for (const n of range(0, 5)) crashed.append(entry(n));
    await crashed.flush();
    crashed.append(entry(5)); // not flushed: lost in the crash
    const after = await DiskQueue.open({ dir, maxBytes: 1024 * 1024, flushIntervalMs: 60_000 });
    expect(await drain(after)).toEqual(range(0, 5));
    await after.close();
  });

  it('spreads entries over segments and deletes a segment once the cursor passed it', async () => {
    const q = await openQueue({ segmentBytes: 200 });
    for (const n of range(0, 40)) {
      q.append(entry(n));
      if (n % 4 === 3) await q.flush();
    }
    await q.flush();
    const segments = (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
    expect(segments.length).toBeGreaterThan(3);
    expect(await drain(q, 3)).toEqual(range(0, 40));
    const left = (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
    expect(left).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8'))).toMatchObject({ version: 1 });
  });

  it('drops and counts entries beyond maxBytes, and takes new ones once delivered', async () => {
    const size = Buffer.byteLength(entry(0)) + 1;
    const q = await openQueue({ maxBytes: size * 10 });
    for (const n of range(0, 15)) q.append(entry(n));
    expect(q.stats()).toMatchObject({ queuedRecords: 10, queuedBytes: size * 10, dropped: 5 });
    await q.flush();
    expect(await drain(q)).toEqual(range(0, 10));
    expect(q.append(entry(99))).toBe(true);
    expect(q.stats().dropped).toBe(5);
  });

  it('drops entries when too many wait in memory for the disk', async () => {
    const size = Buffer.byteLength(entry(0)) + 1;
    const q = await openQueue({ pendingMaxBytes: size * 3 });
    for (const n of range(0, 5)) q.append(entry(n));
    expect(q.stats()).toMatchObject({ queuedRecords: 3, dropped: 2 });
  });

  it('counts entries already on disk when it opens, across several segments', async () => {
    const a = await openQueue({ segmentBytes: 100 });
    for (const n of range(0, 12)) {
      a.append(entry(n));
      await a.flush();
    }
    await a.close();
    const b = await openQueue({ segmentBytes: 100 });
    const bytes = range(0, 12).reduce((sum, n) => sum + Buffer.byteLength(entry(n)) + 1, 0);
    expect(b.stats()).toMatchObject({ queuedRecords: 12, queuedBytes: bytes });
  });

  it('skips the torn last line a crash left in a segment', async () => {
    const problems: QueueProblem[] = [];
    await writeFile(join(dir, `${'1'.padStart(20, '0')}.ndjson`), `${entry(0)}\n${entry(1)}\n{"n":2,"pa`);
    const q = await openQueue({ onProblem: (p) => problems.push(p) });
    expect(q.stats().queuedRecords).toBe(2);
    q.append(entry(3));
    await q.flush();
    expect(await drain(q)).toEqual([0, 1, 3]);
    expect(problems).toEqual([{ kind: 'torn-tail', segment: 1, bytes: '{"n":2,"pa'.length }]);
    expect(q.stats()).toEqual({ queuedRecords: 0, queuedBytes: 0, dropped: 0 });
  });

  it('starts over from the oldest segment when the cursor is unreadable (at-least-once)', async () => {
    const a = await openQueue();
    for (const n of range(0, 4)) a.append(entry(n));
    await a.flush();
    await a.ack((await a.peek(2))!);
    await a.close();
    await writeFile(join(dir, 'cursor.json'), 'garbage');
    const problems: QueueProblem[] = [];
    const b = await openQueue({ onProblem: (p) => problems.push(p) });
    expect(problems.map((p) => p.kind)).toEqual(['cursor-unreadable']);
    expect(await drain(b)).toEqual([0, 1, 2, 3]);
  });

  it('clamps a cursor that points past the end of its segment', async () => {
    const a = await openQueue();
    for (const n of range(0, 3)) a.append(entry(n));
    await a.close();
    await writeFile(join(dir, 'cursor.json'), JSON.stringify({ version: 1, segment: 1, offset: 99_999 }));
    const b = await openQueue();
    b.append(entry(7));
    await b.flush();
    expect(await drain(b)).toEqual([7]);
  });

  it('reads an entry longer than one read', async () => {
    const q = await openQueue({ maxBytes: 4 * 1024 * 1024 });
    const long = JSON.stringify({ n: 1, pad: 'y'.repeat(300 * 1024) });
    q.append(entry(0));
    q.append(long);
    q.append(entry(2));
    await q.flush();
    expect(await drain(q, 1)).toEqual([0, 1, 2]);
  });

  it('refuses appends after close and never throws', async () => {
    const q = await openQueue();
    await q.close();
    expect(q.append(entry(1))).toBe(false);
    expect(q.stats().dropped).toBe(1);
  });
});
