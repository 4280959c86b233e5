/**
 * One load-generator run end to end: bucket, prepare, timed phase, final check, cleanup.
 * `runLoad` is what `npm run bench -- <workload>` calls, and what the comparison calls per cell.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HttpS3Api } from './http-s3-api.js';
import { makePattern } from './pattern.js';
import type { CleanupReport, LoadResult, PrepareReport } from './report.js';
import { buildResult } from './report.js';
import { Meter, runWorkers, startProgress } from './runner.js';
import type { S3Api, S3Target, SseMode } from './s3-api.js';
import { SdkS3Api } from './sdk-s3-api.js';
import { formatNumber } from './units.js';
import {
  createWorkload,
  getVerified,
  patternBody,
  preparedKeys,
  seededRandom,
  type WorkloadName,
} from './workloads.js';

export type ClientKind = 'http' | 'sdk';

export interface LoadOptions {
  workload: WorkloadName;
  target: S3Target;
  client: ClientKind;
  /** Server-side encryption of PUTs, prepared objects and uploads (SSE-C: of reads too); default none. */
  sse?: SseMode;
  bucket: string;
  sizeBytes: number;
  partSizeBytes: number;
  concurrency: number;
  durationMs: number;
  /** Steps to start at most (0: no limit). */
  maxOps: number;
  /** Objects to prepare for get, mixed and list. */
  objects: number;
  prepareConcurrency: number;
  /** Keep the objects (and a bucket this run created) instead of deleting them at the end. */
  keep: boolean;
  seed: number;
  /** Progress lines on stderr. */
  progress: boolean;
  /** Objects that already exist (written by `prepareObjects` with this seed): no prepare, no cleanup of them. */
  existing?: { prefix: string; keys: readonly string[] };
  signal?: AbortSignal;
  /** Prefix of progress lines (default: the workload name). */
  label?: string;
  /** Called right before and right after the timed phase (the comparison reads server CPU there). */
  onTimedPhase?: (edge: 'start' | 'end') => void;
}

/** Workloads that read objects written before the timed phase. */
export function needsPreparedObjects(workload: WorkloadName): boolean {
  return workload === 'get' || workload === 'mixed' || workload === 'list';
}

export function createApi(
  client: ClientKind,
  target: S3Target,
  maxSockets: number,
  sse: SseMode = 'none',
): S3Api {
  return client === 'sdk' ? new SdkS3Api(target, maxSockets, sse) : new HttpS3Api(target, maxSockets, sse);
}

/** A fresh key prefix for one run, so runs never see each other's objects. */
export function runPrefix(workload: string): string {
  return `strata-bench/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/${workload}/`;
}

/** Calls `fn` for every item with at most `concurrency` calls in flight; stops early on abort. */
export async function forEachConcurrent<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Attempts per object while preparing: a transient failure should not spoil a long prepare. */
const PREPARE_ATTEMPTS = 3;

/**
 * Writes `keys` (deterministic bodies of `sizeBytes`) with `concurrency` PUTs in flight and
 * reports the rate. Throws when an object cannot be written: the timed phase needs them all.
 */
export async function prepareObjects(
  api: S3Api,
  bucket: string,
  pattern: Buffer,
  keys: readonly string[],
  sizeBytes: number,
  concurrency: number,
  opts: { progress: boolean; label: string; signal?: AbortSignal },
): Promise<PrepareReport> {
  const start = performance.now();
  let done = 0;
  const stop = startProgress(
    (s) =>
      `${opts.label} prepare ${s}s: ${formatNumber(done)}/${formatNumber(keys.length)} objects, ` +
      `${formatNumber(done / Math.max(0.001, (performance.now() - start) / 1000))} objects/s`,
    opts.progress,
  );
  try {
    await forEachConcurrent(
      keys,
      concurrency,
      async (key) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await api.putObject(bucket, key, patternBody(pattern, key, sizeBytes));
            done++;
            return;
          } catch (err) {
            if (attempt >= PREPARE_ATTEMPTS) {
              throw new Error(`prepare: cannot write ${key}: ${(err as Error).message}`, { cause: err });
            }
          }
        }
      },
      opts.signal,
    );
  } finally {
    stop();
  }
  if (opts.signal?.aborted) throw new Error('prepare: interrupted');
  const seconds = (performance.now() - start) / 1000;
  return {
    objects: keys.length,
    sizeBytes,
    concurrency,
    seconds,
    objectsPerSec: keys.length / seconds,
    mibPerSec: (keys.length * sizeBytes) / 1024 / 1024 / seconds,
  };
}

/**
 * Deletes `keys` with `concurrency` requests in flight; counts failures instead of throwing.
 * Each key is tried up to PREPARE_ATTEMPTS times: s3rver answers 500 to some concurrent deletes
 * in one folder (it removes emptied parent folders and races with itself).
 */
export async function deleteObjects(
  api: S3Api,
  bucket: string,
  keys: readonly string[],
  concurrency: number,
): Promise<CleanupReport> {
  const start = performance.now();
  let deleted = 0;
  let errors = 0;
  let retried = 0;
  await forEachConcurrent(keys, concurrency, async (key) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await api.deleteObject(bucket, key);
        deleted++;
        return;
      } catch {
        if (attempt >= PREPARE_ATTEMPTS) {
          errors++;
          return;
        }
        retried++;
      }
    }
  });
  return { deleted, errors, retried, seconds: (performance.now() - start) / 1000 };
}

/** Creates `bucket` unless it exists; true when this call created it. */
export async function ensureBucket(api: S3Api, bucket: string): Promise<boolean> {
  if (await api.bucketExists(bucket)) return false;
  await api.createBucket(bucket);
  return true;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { workload: name, bucket, sizeBytes } = options;
  const api = createApi(
    options.client,
    options.target,
    Math.max(options.concurrency, options.prepareConcurrency),
    options.sse,
  );
  const pattern = makePattern(options.seed);
  const label = `[${options.label ?? name}]`;
  const notes: string[] = [];
  try {
    const bucketCreated = await ensureBucket(api, bucket);
    const prefix = options.existing?.prefix ?? runPrefix(name);
    let prepared: readonly string[] = [];
    let prepare: PrepareReport | undefined;
    if (options.existing) {
      prepared = options.existing.keys;
    } else if (needsPreparedObjects(name)) {
      prepared = preparedKeys(prefix, options.objects);
      prepare = await prepareObjects(api, bucket, pattern, prepared, sizeBytes, options.prepareConcurrency, {
        progress: options.progress,
        label,
        signal: options.signal,
      });
    }

    const meter = new Meter();
    const workload = createWorkload(name, {
      api,
      bucket,
      pattern,
      meter,
      prefix,
      sizeBytes,
      partSizeBytes: options.partSizeBytes,
      prepared,
      random: seededRandom(options.seed),
    });
    let lastOps = 0;
    let lastBytes = 0;
    const stopProgress = startProgress((s) => {
      const total = meter.total();
      const line =
        `${label} ${s}s: ${formatNumber(total.ok - lastOps)} ops/s, ` +
        `${formatNumber((total.bytes - lastBytes) / 1024 / 1024)} MiB/s, ${formatNumber(total.ok)} ops, ` +
        `${total.errors} errors`;
      lastOps = total.ok;
      lastBytes = total.bytes;
      return line;
    }, options.progress);
    let timing: Awaited<ReturnType<typeof runWorkers>>;
    options.onTimedPhase?.('start');
    try {
      timing = await runWorkers(
        {
          concurrency: options.concurrency,
          durationMs: options.durationMs,
          maxOps: options.maxOps,
          signal: options.signal,
        },
        meter,
        (worker) => workload.step(worker),
      );
    } finally {
      options.onTimedPhase?.('end');
      stopProgress();
    }
    if (meter.stopReason) notes.push(`stopped early: ${meter.stopReason}`);

    // Writes are verified by reading one of them back once, outside the timed phase.
    let finalCheck: LoadResult['finalCheck'];
    const sample = workload.sampleWritten();
    if (sample !== undefined && (name === 'put' || name === 'multipart' || name === 'mixed')) {
      try {
        await getVerified(api, bucket, pattern, sample, sizeBytes);
        finalCheck = { key: sample, ok: true };
      } catch (err) {
        finalCheck = { key: sample, ok: false, problem: (err as Error).message };
      }
    }

    let cleanup: CleanupReport | undefined;
    if (!options.keep) {
      const deletedPrepared = workload.deletedPrepared();
      const toDelete = [...workload.written()];
      if (!options.existing) toDelete.push(...prepared.filter((k) => !deletedPrepared.has(k)));
      cleanup = await deleteObjects(api, bucket, toDelete, options.prepareConcurrency);
      if (bucketCreated) {
        try {
          await api.deleteBucket(bucket);
        } catch (err) {
          notes.push(`the bucket ${bucket} was not deleted: ${(err as Error).message}`);
        }
      }
    }
    return buildResult({ options, meter, timing, prepare, cleanup, finalCheck, notes });
  } finally {
    api.close();
  }
}
