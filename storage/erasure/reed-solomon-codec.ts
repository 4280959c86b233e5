import { createRequire } from 'node:module';
import type { ErasureCodec } from './types.js';

/** The parts of @ronomon/reed-solomon (a CommonJS native addon without types) we use. */
interface RonomonBinding {
  readonly MAX_K: number;
  readonly MAX_M: number;
  create(k: number, m: number): Buffer;
  encode(
    context: Buffer,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    callback: (error: Error | undefined) => void,
  ): void;
}

const ronomon = createRequire(import.meta.url)('@ronomon/reed-solomon') as RonomonBinding;

/** Most data shards per set (the addon's limit; more than any supported set size needs). */
export const MAX_DATA_SHARDS: number = ronomon.MAX_K;
/** Most parity shards per set (the addon's limit). */
export const MAX_PARITY_SHARDS: number = ronomon.MAX_M;

/**
 * Default parity shards for an erasure set of `driveCount` drives (MinIO's table):
 * 1 → 0, 2–3 → 1, 4–5 → 2, 6–7 → 3, 8–16 → 4. Throws RangeError outside 1..16.
 */
export function defaultParityShards(driveCount: number): number {
  if (!Number.isInteger(driveCount) || driveCount < 1 || driveCount > 16) {
    throw new RangeError(`erasure set size must be an integer in 1..16, got ${driveCount}`);
  }
  if (driveCount === 1) return 0;
  if (driveCount <= 3) return 1;
  if (driveCount <= 5) return 2;
  if (driveCount <= 7) return 3;
  return 4;
}

/**
 * Throws RangeError unless k data + m parity shards is a geometry the codec supports:
 * integers with 1 ≤ k ≤ MAX_DATA_SHARDS and 0 ≤ m ≤ MAX_PARITY_SHARDS.
 */
export function validateShardCounts(k: number, m: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_DATA_SHARDS) {
    throw new RangeError(`data shards must be an integer in 1..${MAX_DATA_SHARDS}, got ${k}`);
  }
  if (!Number.isInteger(m) || m < 0 || m > MAX_PARITY_SHARDS) {
    throw new RangeError(`parity shards must be an integer in 0..${MAX_PARITY_SHARDS}, got ${m}`);
  }
}

/** The addon only accepts real Buffers; a Uint8Array view costs one small object. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * ErasureCodec over @ronomon/reed-solomon (Cauchy Reed-Solomon, native, runs in the
 * libuv threadpool so the event loop stays free). Parity is not byte-compatible with
 * other Reed-Solomon libraries: shards written by this codec must be read by it.
 * With m = 0 (single drive) it is a pass-through: encode does nothing and reconstruct
 * fails whenever a shard is missing.
 */
export class RonomonCodec implements ErasureCodec {
  readonly dataShards: number;
  readonly parityShards: number;
  /** Encoding matrix; the addon allows sharing one context across concurrent calls. */
  private readonly context: Buffer | null;
  private readonly dataMask: number;
  private readonly parityMask: number;

  /** Throws RangeError for an unsupported geometry (see validateShardCounts). */
  constructor(dataShards: number, parityShards: number) {
    validateShardCounts(dataShards, parityShards);
    this.dataShards = dataShards;
    this.parityShards = parityShards;
    this.context = parityShards > 0 ? ronomon.create(dataShards, parityShards) : null;
    this.dataMask = (1 << dataShards) - 1;
    this.parityMask = ((1 << parityShards) - 1) << dataShards;
  }

  encode(stripe: Uint8Array, shardSizeBytes: number): Promise<void> {
    this.checkStripe(stripe, shardSizeBytes);
    if (this.context === null) return Promise.resolve();
    return this.run(this.context, this.dataMask, this.parityMask, stripe, shardSizeBytes);
  }

  reconstruct(
    stripe: Uint8Array,
    shardSizeBytes: number,
    present: readonly boolean[],
    rebuild?: readonly boolean[],
  ): Promise<void> {
    this.checkStripe(stripe, shardSizeBytes);
    const total = this.dataShards + this.parityShards;
    let sources = 0;
    let targets = 0;
    let sourceCount = 0;
    for (let i = 0; i < total; i++) {
      const isPresent = present[i] === true;
      const isTarget = rebuild === undefined ? !isPresent : rebuild[i] === true;
      if (isPresent && isTarget) {
        return Promise.reject(new RangeError(`shard ${i} is both present and to be rebuilt`));
      }
      if (isPresent) {
        sources |= 1 << i;
        sourceCount++;
      }
      if (isTarget) targets |= 1 << i;
    }
    if (sourceCount < this.dataShards) {
      return Promise.reject(
        new RangeError(`reconstruct needs ${this.dataShards} present shards, got ${sourceCount}`),
      );
    }
    if (targets === 0 || this.context === null) return Promise.resolve();
    return this.run(this.context, sources, targets, stripe, shardSizeBytes);
  }

  private checkStripe(stripe: Uint8Array, shardSizeBytes: number): void {
    if (!Number.isInteger(shardSizeBytes) || shardSizeBytes <= 0 || shardSizeBytes % 8 !== 0) {
      throw new RangeError(`shard size must be a positive multiple of 8, got ${shardSizeBytes}`);
    }
    if (stripe.byteLength < (this.dataShards + this.parityShards) * shardSizeBytes) {
      throw new RangeError('stripe is shorter than (k + m) * shardSizeBytes');
    }
  }

  /** Data and parity live in one stripe buffer: the addon gets it twice, at two offsets. */
  private run(
    context: Buffer,
    sources: number,
    targets: number,
    stripe: Uint8Array,
    shardSizeBytes: number,
  ): Promise<void> {
    const buf = asBuffer(stripe);
    const dataBytes = this.dataShards * shardSizeBytes;
    const parityBytes = this.parityShards * shardSizeBytes;
    return new Promise<void>((resolve, reject) => {
      ronomon.encode(context, sources, targets, buf, 0, dataBytes, buf, dataBytes, parityBytes, (error) => {
        if (error) reject(new Error('Reed-Solomon coding failed', { cause: error }));
        else resolve();
      });
    });
  }
}
