import { mkdir } from 'node:fs/promises';
import type { Logger } from '../common/index.js';
import { BufferPool } from './buffer-pool.js';
import type { Drive } from './drive.js';
import { defaultParityShards, validateShardCounts } from './erasure/reed-solomon-codec.js';
import { ErasureSet } from './erasure-set.js';
import { FormatError, resolveFormats } from './format.js';
import { LocalDrive } from './local-drive.js';
import { readQuorum } from './quorum.js';
import type { ObjectLayer, StorageAdmin, StorageStats } from './types.js';

export { BufferPool } from './buffer-pool.js';
/** The only door into storage/ for other folders. */
export type {
  BucketConfigName,
  BucketInfo,
  BucketUsage,
  CompleteMultipartOptions,
  DeleteObjectOptions,
  DeleteObjectResult,
  DriveStatus,
  GetObjectOptions,
  GetObjectResult,
  HealReport,
  HealStats,
  ListMultipartUploadsOptions,
  ListMultipartUploadsResult,
  ListObjectsOptions,
  ListObjectsResult,
  ListObjectVersionsOptions,
  ListObjectVersionsResult,
  ListPartsResult,
  MultipartUploadInfo,
  ObjectInfo,
  ObjectLayer,
  ObjectMetadata,
  ObjectPartInfo,
  PartInfo,
  PutObjectFinal,
  PutObjectOptions,
  SetStatus,
  StorageAdmin,
  StorageErrorCode,
  StorageStats,
  VersioningState,
  WritePrecondition,
} from './types.js';
export { isStorageError, StorageError } from './types.js';

/**
 * Bytes of stripe and read buffers shared by all reads, writes and heals. A 4-drive set
 * uses about 4 MiB per PUT in flight (two stripes) and 1–2 MiB per GET: this admits 16
 * PUTs or 32–64 GETs at full speed before callers wait for buffers (backpressure instead of
 * memory growth), more than 2 cores and one disk keep busy. The budget is most of what 64
 * concurrent 1 GiB transfers add to the process; at 128 MiB they peaked at 380–430 MiB RSS
 * (issue 4's target is 300; bench/README.md, "memory").
 */
const BUFFER_POOL_BUDGET_BYTES = 64 * 1024 * 1024;

export interface OpenStorageOptions {
  /** Drive directories in slot order (the order is part of the set's identity). */
  drives: string[];
  /** Parity shards; default from the set size (1 → 0, 2–3 → 1, 4–5 → 2, 6–7 → 3, 8–16 → 4). */
  parityShards?: number;
  logger: Logger;
}

/**
 * Opens the drives, checks or creates their formats, and returns the object layer, the
 * admin interface and the stats for metrics (whose per-bucket usage count starts now,
 * in the background). A bad drive layout (foreign drive, drives in the wrong order,
 * too few drives with the deployment's format, invalid parity) throws an Error whose
 * message is meant for a human; the caller prints it and exits. Empty drives found in
 * a slot are formatted into it and a full heal starts in the background.
 */
export async function openStorage(
  opts: OpenStorageOptions,
): Promise<{ objectLayer: ObjectLayer; admin: StorageAdmin; stats: StorageStats }> {
  const n = opts.drives.length;
  if (n < 1 || n > 16) throw new Error(`storage needs 1 to 16 drives, got ${n}`);
  if (new Set(opts.drives).size !== n) throw new Error('the same drive path is listed twice');
  const parityShards = opts.parityShards ?? defaultParityShards(n);
  try {
    validateShardCounts(n - parityShards, parityShards);
  } catch (err) {
    throw new Error(`invalid parity ${parityShards} for ${n} drives: ${(err as Error).message}`);
  }
  if (parityShards > n - parityShards) {
    throw new Error(
      `parity ${parityShards} exceeds data shards ${n - parityShards}: at most half the drives may be parity`,
    );
  }
  const logger = opts.logger.child({ component: 'storage' });

  // A missing drive directory is created (an emptied mount point reads as a fresh drive).
  for (const path of opts.drives) await mkdir(path, { recursive: true }).catch(() => undefined);
  const drives: Drive[] = opts.drives.map((path) => new LocalDrive(path));
  let resolution: Awaited<ReturnType<typeof resolveFormats>>;
  try {
    resolution = await resolveFormats(drives, {
      minAgreeing: readQuorum(n - parityShards, parityShards),
      logger,
    });
  } catch (err) {
    await Promise.all(drives.map((d) => d.close()));
    if (err instanceof FormatError) throw new Error(`cannot start storage: ${err.message}`, { cause: err });
    throw err;
  }

  const set = new ErasureSet({
    drives,
    parityShards,
    pool: new BufferPool({ budgetBytes: BUFFER_POOL_BUDGET_BYTES }),
    logger,
  });
  logger.info(
    {
      drives: n,
      dataShards: n - parityShards,
      parityShards,
      deploymentId: resolution.deploymentId,
      offline: resolution.offlineSlots,
    },
    'storage opened',
  );
  if (resolution.freshSlots.length > 0) {
    set.startBackgroundHeal(`fresh drives in slots ${resolution.freshSlots.map((s) => s + 1).join(', ')}`);
  }
  set.startUsageCount();
  return { objectLayer: set, admin: set, stats: set };
}
