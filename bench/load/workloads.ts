/**
 * The workloads: what one step of a worker does, which objects exist before the timed phase,
 * and which objects are left for cleanup.
 *
 *   put        PutObject of new keys
 *   get        GetObject of random prepared keys, every body verified
 *   mixed      warp's default mix over a pool of prepared keys: 45 % GetObject (verified),
 *              30 % HeadObject (size checked), 15 % PutObject of a new key, 10 % DeleteObject
 *   list       full-prefix ListObjectsV2 passes (1,000-key pages) over prepared keys; every page
 *              is checked against the keys and order the pass must see; reports keys/s
 *   small      PutObject of a new 4 KiB key, then GetObject of it (verified)
 *   multipart  CreateMultipartUpload, UploadPart × ceil(size / part size), CompleteMultipartUpload
 */
import { performance } from 'node:perf_hooks';
import { BodyVerifier, bodyChunks, offsetOf } from './pattern.js';
import type { Meter } from './runner.js';
import type { PatternBody, S3Api } from './s3-api.js';

export const WORKLOADS = ['put', 'get', 'mixed', 'list', 'small', 'multipart'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export function isWorkload(name: string): name is WorkloadName {
  return (WORKLOADS as readonly string[]).includes(name);
}

/** warp's default `mixed` distribution, in percent. */
export const MIXED_DISTRIBUTION = { GetObject: 45, HeadObject: 30, PutObject: 15, DeleteObject: 10 } as const;

export interface WorkloadContext {
  api: S3Api;
  bucket: string;
  pattern: Buffer;
  meter: Meter;
  /** Key prefix of everything this workload writes, ending in '/'. */
  prefix: string;
  sizeBytes: number;
  partSizeBytes: number;
  /** Keys that exist before the timed phase (get, mixed, list), in listing order for list. */
  prepared: readonly string[];
  random: () => number;
}

export interface Workload {
  step(worker: number): Promise<void>;
  /** Keys this workload wrote during the timed phase that still exist (for cleanup). */
  written(): Iterable<string>;
  /** Prepared keys it deleted (mixed), which cleanup must not count as missing. */
  deletedPrepared(): ReadonlySet<string>;
  /** A key written during the run whose content a final check may read back, if any. */
  sampleWritten(): string | undefined;
}

/** Request body of `key`: its deterministic bytes [start, start + length). */
export function patternBody(pattern: Buffer, key: string, length: number, start = 0): PatternBody {
  const offset = offsetOf(key);
  return { sizeBytes: length, chunks: () => bodyChunks(pattern, offset, length, start) };
}

/** GetObject of `key`, verifying every byte against the pattern. Throws on a mismatch. */
export async function getVerified(
  api: S3Api,
  bucket: string,
  pattern: Buffer,
  key: string,
  sizeBytes: number,
) {
  const verifier = new BodyVerifier(pattern, offsetOf(key), sizeBytes);
  await api.getObject(bucket, key, (chunk) => verifier.update(chunk));
  if (!verifier.ok()) throw new Error(`${key}: ${verifier.problem()}`);
  return verifier.bytes;
}

/** Keys for `count` prepared objects, zero-padded so that listing order is index order. */
export function preparedKeys(prefix: string, count: number): string[] {
  const width = String(Math.max(0, count - 1)).length;
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(width, '0')}`);
}

/** A seeded PRNG (mulberry32) in [0, 1): reproducible choices for a given seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createWorkload(name: WorkloadName, ctx: WorkloadContext): Workload {
  switch (name) {
    case 'put':
      return putWorkload(ctx, false);
    case 'small':
      return putWorkload(ctx, true);
    case 'get':
      return getWorkload(ctx);
    case 'mixed':
      return mixedWorkload(ctx);
    case 'list':
      return listWorkload(ctx);
    case 'multipart':
      return multipartWorkload(ctx);
  }
}

const NONE: ReadonlySet<string> = new Set();

/** put, and small (each step puts a new key and reads it back). */
function putWorkload(ctx: WorkloadContext, readBack: boolean): Workload {
  const { api, bucket, pattern, meter, sizeBytes } = ctx;
  const written = new Set<string>();
  const counters: number[] = [];
  return {
    async step(worker) {
      const n = counters[worker] ?? 0;
      counters[worker] = n + 1;
      const key = `${ctx.prefix}w${worker}/${n}`;
      // A failed PUT may still have created the object: cleanup tries every attempted key.
      written.add(key);
      const put = await meter.timed(
        'PutObject',
        () => api.putObject(bucket, key, patternBody(pattern, key, sizeBytes)),
        () => ({ bytes: sizeBytes }),
      );
      if (put.ok && readBack) {
        await meter.timed(
          'GetObject',
          () => getVerified(api, bucket, pattern, key, sizeBytes),
          (bytes) => ({ bytes }),
        );
      }
    },
    written: () => written,
    deletedPrepared: () => NONE,
    sampleWritten: () => written.values().next().value,
  };
}

function getWorkload(ctx: WorkloadContext): Workload {
  const { api, bucket, pattern, meter, sizeBytes, prepared, random } = ctx;
  if (prepared.length === 0) throw new Error('get needs prepared objects (--objects ≥ 1)');
  return {
    async step() {
      const key = prepared[Math.floor(random() * prepared.length)] as string;
      await meter.timed(
        'GetObject',
        () => getVerified(api, bucket, pattern, key, sizeBytes),
        (bytes) => ({ bytes }),
      );
    },
    written: () => [],
    deletedPrepared: () => NONE,
    sampleWritten: () => undefined,
  };
}

/**
 * The pool of existing keys of the mixed workload. A key being read is never chosen for
 * deletion (it would turn a correct 404 into a counted error), and a deleted key leaves the
 * pool before its DeleteObject is sent.
 */
export class KeyPool {
  private readonly keys: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly readers = new Map<string, number>();

  constructor(initial: Iterable<string>) {
    for (const key of initial) this.add(key);
  }

  get size(): number {
    return this.keys.length;
  }

  add(key: string): void {
    if (this.index.has(key)) return;
    this.index.set(key, this.keys.length);
    this.keys.push(key);
  }

  /** A random key, marked as being read until `release`. */
  acquire(random: () => number): string | undefined {
    if (this.keys.length === 0) return undefined;
    const key = this.keys[Math.floor(random() * this.keys.length)] as string;
    this.readers.set(key, (this.readers.get(key) ?? 0) + 1);
    return key;
  }

  release(key: string): void {
    const n = (this.readers.get(key) ?? 1) - 1;
    if (n <= 0) this.readers.delete(key);
    else this.readers.set(key, n);
  }

  /** Removes and returns a random key nobody is reading (a few tries), or undefined. */
  take(random: () => number): string | undefined {
    for (let attempt = 0; attempt < 8 && this.keys.length > 0; attempt++) {
      const i = Math.floor(random() * this.keys.length);
      const key = this.keys[i] as string;
      if (this.readers.has(key)) continue;
      const last = this.keys.pop() as string;
      if (last !== key) {
        this.keys[i] = last;
        this.index.set(last, i);
      }
      this.index.delete(key);
      return key;
    }
    return undefined;
  }

  values(): readonly string[] {
    return this.keys;
  }
}

/** Picks an operation of the mixed distribution for a uniform `r` in [0, 1). */
export function pickMixedOp(r: number): keyof typeof MIXED_DISTRIBUTION {
  let threshold = 0;
  const total = Object.values(MIXED_DISTRIBUTION).reduce((a, b) => a + b, 0);
  for (const [op, weight] of Object.entries(MIXED_DISTRIBUTION)) {
    threshold += weight / total;
    if (r < threshold) return op as keyof typeof MIXED_DISTRIBUTION;
  }
  return 'DeleteObject';
}

function mixedWorkload(ctx: WorkloadContext): Workload {
  const { api, bucket, pattern, meter, sizeBytes, random } = ctx;
  const pool = new KeyPool(ctx.prepared);
  const preparedSet = new Set(ctx.prepared);
  const deletedPrepared = new Set<string>();
  const written = new Set<string>();
  const counters: number[] = [];
  const put = async (worker: number): Promise<void> => {
    const n = counters[worker] ?? 0;
    counters[worker] = n + 1;
    const key = `${ctx.prefix}new-w${worker}/${n}`;
    written.add(key);
    const outcome = await meter.timed(
      'PutObject',
      () => api.putObject(bucket, key, patternBody(pattern, key, sizeBytes)),
      () => ({ bytes: sizeBytes }),
    );
    if (outcome.ok) pool.add(key);
  };
  return {
    async step(worker) {
      const op = pickMixedOp(random());
      if (op === 'PutObject' || pool.size === 0) return put(worker);
      if (op === 'DeleteObject') {
        const key = pool.take(random);
        if (key === undefined) return put(worker);
        const outcome = await meter.timed('DeleteObject', () => api.deleteObject(bucket, key));
        if (outcome.ok) {
          written.delete(key);
          if (preparedSet.has(key)) deletedPrepared.add(key);
        } else {
          pool.add(key);
        }
        return;
      }
      const key = pool.acquire(random) as string;
      try {
        if (op === 'GetObject') {
          await meter.timed(
            'GetObject',
            () => getVerified(api, bucket, pattern, key, sizeBytes),
            (bytes) => ({ bytes }),
          );
        } else {
          await meter.timed('HeadObject', async () => {
            const length = await api.headObject(bucket, key);
            if (length !== sizeBytes)
              throw new Error(`${key}: Content-Length ${length}, expected ${sizeBytes}`);
          });
        }
      } finally {
        pool.release(key);
      }
    },
    written: () => written,
    deletedPrepared: () => deletedPrepared,
    sampleWritten: () => written.values().next().value,
  };
}

function listWorkload(ctx: WorkloadContext): Workload {
  const { api, bucket, meter, prepared } = ctx;
  if (prepared.length === 0) throw new Error('list needs prepared objects (--objects ≥ 1)');
  // The prepared keys share one prefix: everything up to the zero-padded index.
  const listPrefix = ctx.prefix;
  const state: { token: string | undefined; position: number }[] = [];
  return {
    async step(worker) {
      let s = state[worker];
      if (!s) {
        s = { token: undefined, position: 0 };
        state[worker] = s;
      }
      const outcome = await meter.timed(
        'ListObjectsV2',
        async () => {
          const page = await api.listObjectsV2(bucket, listPrefix, s.token);
          for (const [i, key] of page.keys.entries()) {
            if (key !== prepared[s.position + i]) {
              throw new Error(
                `listing position ${s.position + i}: got "${key}", expected "${prepared[s.position + i] ?? '(end)'}"`,
              );
            }
          }
          if (page.next === undefined && s.position + page.keys.length !== prepared.length) {
            throw new Error(
              `a full listing returned ${s.position + page.keys.length} keys, expected ${prepared.length}`,
            );
          }
          if (page.next !== undefined && page.keys.length === 0)
            throw new Error('an empty page that is truncated');
          return page;
        },
        (page) => ({ items: page.keys.length }),
      );
      if (outcome.ok && outcome.value.next !== undefined) {
        s.position += outcome.value.keys.length;
        s.token = outcome.value.next;
      } else {
        // A pass ended (or failed): the next step starts a new one.
        s.position = 0;
        s.token = undefined;
      }
    },
    written: () => [],
    deletedPrepared: () => NONE,
    sampleWritten: () => undefined,
  };
}

function multipartWorkload(ctx: WorkloadContext): Workload {
  const { api, bucket, pattern, meter, sizeBytes, partSizeBytes } = ctx;
  const written = new Set<string>();
  const completed: string[] = [];
  const counters: number[] = [];
  const partCount = Math.max(1, Math.ceil(sizeBytes / partSizeBytes));
  return {
    async step(worker) {
      const n = counters[worker] ?? 0;
      counters[worker] = n + 1;
      const key = `${ctx.prefix}w${worker}/${n}`;
      const started = performance.now();
      const created = await meter.timed('CreateMultipartUpload', () =>
        api.createMultipartUpload(bucket, key),
      );
      if (!created.ok) return;
      const uploadId = created.value;
      const parts: { partNumber: number; etag: string }[] = [];
      for (let partNumber = 1; partNumber <= partCount; partNumber++) {
        const start = (partNumber - 1) * partSizeBytes;
        const length = Math.min(partSizeBytes, sizeBytes - start);
        const part = await meter.timed(
          'UploadPart',
          () => api.uploadPart(bucket, key, uploadId, partNumber, patternBody(pattern, key, length, start)),
          () => ({ bytes: length }),
        );
        if (!part.ok) break;
        parts.push({ partNumber, etag: part.value });
      }
      written.add(key);
      const done =
        parts.length === partCount &&
        (
          await meter.timed('CompleteMultipartUpload', () =>
            api.completeMultipartUpload(bucket, key, uploadId, parts),
          )
        ).ok;
      if (done) {
        completed.push(key);
        meter.recordSynthetic('MultipartUpload', performance.now() - started, sizeBytes);
      } else {
        await api.abortMultipartUpload(bucket, key, uploadId).catch(() => {});
      }
    },
    written: () => written,
    deletedPrepared: () => NONE,
    sampleWritten: () => completed[0],
  };
}
