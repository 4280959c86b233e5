import { describe, expect, it } from 'vitest';
import { makePattern } from './pattern.js';
import { Meter } from './runner.js';
import type { ListPage, PatternBody, S3Api } from './s3-api.js';
import {
  createWorkload,
  KeyPool,
  MIXED_DISTRIBUTION,
  pickMixedOp,
  preparedKeys,
  seededRandom,
  type WorkloadName,
} from './workloads.js';

/** An in-memory S3 that stores bodies; `corrupt` flips a byte of every GetObject answer. */
class MemoryS3 implements S3Api {
  readonly objects = new Map<string, Buffer>();
  private readonly uploads = new Map<string, Map<number, Buffer>>();
  corrupt = false;
  pageSize = 1000;

  bucketExists = async (): Promise<boolean> => true;
  createBucket = async (): Promise<void> => {};
  deleteBucket = async (): Promise<void> => {};
  async putObject(_b: string, key: string, body: PatternBody): Promise<void> {
    this.objects.set(key, Buffer.concat([...body.chunks()]));
  }
  async getObject(_b: string, key: string, onChunk: (c: Buffer) => void): Promise<number> {
    const body = this.objects.get(key);
    if (!body) throw new Error(`NoSuchKey ${key}`);
    const copy = Buffer.from(body);
    if (this.corrupt && copy.length > 0) copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0xff;
    for (let i = 0; i < copy.length; i += 1000) onChunk(copy.subarray(i, i + 1000));
    return copy.length;
  }
  async headObject(_b: string, key: string): Promise<number> {
    const body = this.objects.get(key);
    if (!body) throw new Error(`NoSuchKey ${key}`);
    return body.length;
  }
  async deleteObject(_b: string, key: string): Promise<void> {
    this.objects.delete(key);
  }
  async listObjectsV2(_b: string, prefix: string, token?: string): Promise<ListPage> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (!token || k > token)).sort();
    const page = keys.slice(0, this.pageSize);
    return { keys: page, next: keys.length > this.pageSize ? page[page.length - 1] : undefined };
  }
  async createMultipartUpload(): Promise<string> {
    const id = `u${this.uploads.size}`;
    this.uploads.set(id, new Map());
    return id;
  }
  async uploadPart(_b: string, _k: string, id: string, n: number, body: PatternBody): Promise<string> {
    this.uploads.get(id)?.set(n, Buffer.concat([...body.chunks()]));
    return `"etag${n}"`;
  }
  async completeMultipartUpload(_b: string, key: string, id: string, parts: { partNumber: number }[]) {
    const stored = this.uploads.get(id);
    this.objects.set(key, Buffer.concat(parts.map((p) => stored?.get(p.partNumber) ?? Buffer.alloc(0))));
  }
  abortMultipartUpload = async (): Promise<void> => {};
  close(): void {}
}

const pattern = makePattern(7);

async function runSteps(
  name: WorkloadName,
  s3: MemoryS3,
  steps: number,
  sizeBytes: number,
  prepared: string[] = [],
) {
  const meter = new Meter();
  const workload = createWorkload(name, {
    api: s3,
    bucket: 'b',
    pattern,
    meter,
    prefix: 'run/',
    sizeBytes,
    partSizeBytes: 5000,
    prepared,
    random: seededRandom(3),
  });
  for (let i = 0; i < steps; i++) await workload.step(i % 3);
  return { meter, workload };
}

async function prepare(s3: MemoryS3, count: number, sizeBytes: number): Promise<string[]> {
  const keys = preparedKeys('run/', count);
  const { patternBody } = await import('./workloads.js');
  for (const key of keys) await s3.putObject('b', key, patternBody(pattern, key, sizeBytes));
  return keys;
}

describe('workloads against an in-memory S3', () => {
  it('put writes new keys with the pattern and reports them for cleanup', async () => {
    const s3 = new MemoryS3();
    const { meter, workload } = await runSteps('put', s3, 9, 3000);
    expect(meter.stats('PutObject').ok).toBe(9);
    expect(meter.stats('PutObject').bytes).toBe(27_000);
    expect([...workload.written()].sort()).toEqual([...s3.objects.keys()].sort());
  });

  it('get verifies every body and counts a corrupted one as an error', async () => {
    const s3 = new MemoryS3();
    const keys = await prepare(s3, 5, 4321);
    const good = await runSteps('get', s3, 20, 4321, keys);
    expect(good.meter.stats('GetObject').ok).toBe(20);
    expect(good.meter.stats('GetObject').errors).toBe(0);
    s3.corrupt = true;
    const bad = await runSteps('get', s3, 4, 4321, keys);
    expect(bad.meter.stats('GetObject').errors).toBe(4);
    expect(bad.meter.errorSamples()[0]?.message).toMatch(/differs from the expected pattern/);
  });

  it('small puts then reads back each key', async () => {
    const s3 = new MemoryS3();
    const { meter } = await runSteps('small', s3, 6, 4096);
    expect(meter.stats('PutObject').ok).toBe(6);
    expect(meter.stats('GetObject').ok).toBe(6);
    expect(meter.total().errors).toBe(0);
  });

  it('mixed follows the distribution without reading deleted keys', async () => {
    const s3 = new MemoryS3();
    const keys = await prepare(s3, 50, 100);
    const { meter, workload } = await runSteps('mixed', s3, 2000, 100, keys);
    expect(meter.total().errors).toBe(0);
    const share = (op: string): number => meter.stats(op).ok / 2000;
    expect(share('GetObject')).toBeGreaterThan(0.35);
    expect(share('HeadObject')).toBeGreaterThan(0.22);
    expect(share('PutObject')).toBeGreaterThan(0.1);
    expect(share('DeleteObject')).toBeGreaterThan(0.06);
    // What is left to clean up is exactly what exists beyond the untouched prepared keys.
    const remaining = new Set([
      ...workload.written(),
      ...keys.filter((k) => !workload.deletedPrepared().has(k)),
    ]);
    expect(remaining).toEqual(new Set(s3.objects.keys()));
  });

  it('list walks whole passes page by page and checks every key', async () => {
    const s3 = new MemoryS3();
    s3.pageSize = 7;
    const keys = await prepare(s3, 30, 10);
    const { meter } = await runSteps('list', s3, 15, 10, keys);
    // 30 keys in pages of 7: 5 pages per pass, 3 workers take turns.
    expect(meter.stats('ListObjectsV2').errors).toBe(0);
    expect(meter.stats('ListObjectsV2').items).toBe(15 * 6);
    s3.objects.delete(keys[12] as string);
    const broken = await runSteps('list', s3, 6, 10, keys);
    expect(broken.meter.stats('ListObjectsV2').errors).toBeGreaterThan(0);
  });

  it('multipart uploads parts that assemble into the pattern of the whole object', async () => {
    const s3 = new MemoryS3();
    const { meter, workload } = await runSteps('multipart', s3, 2, 12_345);
    expect(meter.stats('UploadPart').ok).toBe(6);
    expect(meter.stats('CompleteMultipartUpload').ok).toBe(2);
    expect(meter.syntheticStats().map(([op, s]) => [op, s.ok])).toEqual([['MultipartUpload', 2]]);
    expect(meter.total().ok).toBe(2 + 6 + 2);
    const { getVerified } = await import('./workloads.js');
    await expect(getVerified(s3, 'b', pattern, workload.sampleWritten() as string, 12_345)).resolves.toBe(
      12_345,
    );
  });
});

describe('helpers', () => {
  it('pickMixedOp maps [0, 1) onto 45/30/15/10', () => {
    expect(pickMixedOp(0)).toBe('GetObject');
    expect(pickMixedOp(0.449)).toBe('GetObject');
    expect(pickMixedOp(0.45)).toBe('HeadObject');
    expect(pickMixedOp(0.749)).toBe('HeadObject');
    expect(pickMixedOp(0.75)).toBe('PutObject');
    expect(pickMixedOp(0.9)).toBe('DeleteObject');
    expect(pickMixedOp(0.9999)).toBe('DeleteObject');
    expect(Object.values(MIXED_DISTRIBUTION).reduce((a: number, b) => a + b, 0)).toBe(100);
  });

  it('preparedKeys are zero-padded so that listing order is index order', () => {
    const keys = preparedKeys('p/', 1001);
    expect(keys[0]).toBe('p/0000');
    expect(keys[1000]).toBe('p/1000');
    expect([...keys].sort()).toEqual(keys);
    expect(preparedKeys('p/', 1)).toEqual(['p/0']);
  });

  it('seededRandom is reproducible and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('KeyPool never hands a key being read to a delete', () => {
    const pool = new KeyPool(['a']);
    const random = seededRandom(1);
    expect(pool.acquire(random)).toBe('a');
    expect(pool.take(random)).toBeUndefined();
    pool.release('a');
    expect(pool.take(random)).toBe('a');
    expect(pool.size).toBe(0);
    pool.add('b');
    pool.add('b');
    expect(pool.values()).toEqual(['b']);
  });
});
