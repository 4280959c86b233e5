import { finished, type Readable } from 'node:stream';
import type { BufferPool } from '../buffer-pool.js';
import { StorageError } from '../types.js';
import { BITROT_HASH_SIZE_BYTES, bitrotHash } from './bitrot.js';
import { BLOCK_SIZE_BYTES, shardSizeFor, stripeSizeBytes } from './layout.js';
import type { ErasureCodec, ShardWriter } from './types.js';

export interface EncodeObjectOptions {
  codec: ErasureCodec;
  /** One entry per shard index (k + m); null for a drive that is already offline. */
  writers: (ShardWriter | null)[];
  /** Fewest writers that must accept every block; below it the write fails. */
  writeQuorum: number;
  /** Exact body size when known, -1 when unknown. */
  expectedSizeBytes: number;
  /** Stripe buffers come from here (at most two per call at any time). */
  pool: BufferPool;
  /** Aborts the encode: rejects with the signal's reason and destroys the body. */
  signal?: AbortSignal;
}

export interface EncodeObjectResult {
  /** Plaintext bytes read from the body. */
  sizeBytes: number;
  /** failed[i] is true when writer i was null or rejected a write (its stream is incomplete). */
  failed: boolean[];
}

/** Sentinel for a block whose writes all settled without losing quorum. */
const BLOCK_OK = null;

/**
 * Streams `body` into k + m shard streams (layout in types.ts): cuts it into
 * BLOCK_SIZE_BYTES blocks, erasure-codes each block, prefixes every shard with its bitrot
 * hash and writes `[hash]` then `[shard]` to each live writer, writers in parallel and
 * each writer's writes in order. One block is written while the next one is being read,
 * so memory stays at two stripes whatever the object size, and slow writers slow the body
 * down (backpressure).
 *
 * - A writer that rejects is marked failed and gets nothing more. When fewer than
 *   `writeQuorum` writers remain (also before anything is read), rejects with
 *   StorageError('InsufficientWriteQuorum').
 * - With `expectedSizeBytes` ≥ 0, a body that ends short or runs long rejects with
 *   StorageError('IncompleteBody') (a long body is stopped as soon as it overflows).
 * - Errors of the body stream itself are rethrown unchanged (they may be the caller's
 *   checksum errors). An abort rejects with `signal.reason`.
 * - An empty body writes nothing and resolves with sizeBytes 0.
 * On rejection the shard streams are partial: the caller discards them. All writes
 * started by this call have settled when it settles.
 */
export async function encodeObject(body: Readable, opts: EncodeObjectOptions): Promise<EncodeObjectResult> {
  const { codec, writers, writeQuorum, expectedSizeBytes, pool, signal } = opts;
  const k = codec.dataShards;
  const total = k + codec.parityShards;
  if (writers.length !== total) {
    throw new RangeError(`expected ${total} shard writers, got ${writers.length}`);
  }
  const failed = writers.map((w) => w === null);
  const live = { count: failed.filter((f) => !f).length };
  if (live.count < writeQuorum) {
    throw new StorageError('InsufficientWriteQuorum', `${live.count} of ${total} shard writers available`);
  }
  signal?.throwIfAborted();

  const chunks = new BodyChunks(body);
  // An aborted request's body may simply stall, so the abort fails the pending read itself.
  // (Not Promise.race against a long-lived abort promise: every race would leave a
  // reaction on it holding that step's chunk, retaining the whole body until the end.)
  const onAbort = (): void => chunks.fail(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  const stripeBytes = stripeSizeBytes(k, codec.parityShards);
  let current: Buffer | null = null;
  let fill = 0;
  let sizeBytes = 0;
  // The previous block's writes; resolves to BLOCK_OK or the error to throw, never rejects,
  // so nothing is left unhandled while the loop awaits the body.
  let inflight: Promise<unknown> | null = null;

  const awaitInflight = async (): Promise<void> => {
    if (inflight === null) return;
    const outcome = await inflight;
    inflight = null;
    if (outcome !== BLOCK_OK) throw outcome;
  };

  const flush = async (): Promise<void> => {
    await awaitInflight();
    const stripe = current;
    if (stripe === null) return;
    current = null;
    const blockLen = fill;
    fill = 0;
    inflight = writeBlock(stripe, blockLen, codec, writers, failed, live, writeQuorum, pool).then(
      () => BLOCK_OK,
      (err: unknown) => err,
    );
  };

  try {
    for (;;) {
      const chunk = await chunks.next();
      if (chunk === END) break;
      const bytes = toBytes(chunk);
      sizeBytes += bytes.byteLength;
      if (expectedSizeBytes >= 0 && sizeBytes > expectedSizeBytes) {
        throw new StorageError(
          'IncompleteBody',
          `body is longer than the declared ${expectedSizeBytes} bytes`,
        );
      }
      if (live.count < writeQuorum) await awaitInflight();
      let pos = 0;
      while (pos < bytes.byteLength) {
        // Holding nothing but the in-flight block, whose release does not depend on the pool.
        if (current === null) current = await pool.acquire(stripeBytes);
        const n = Math.min(BLOCK_SIZE_BYTES - fill, bytes.byteLength - pos);
        current.set(bytes.subarray(pos, pos + n), fill);
        fill += n;
        pos += n;
        if (fill === BLOCK_SIZE_BYTES) await flush();
      }
    }
    if (expectedSizeBytes >= 0 && sizeBytes < expectedSizeBytes) {
      throw new StorageError('IncompleteBody', `body ended after ${sizeBytes} of ${expectedSizeBytes} bytes`);
    }
    if (fill > 0) await flush();
    await awaitInflight();
    signal?.throwIfAborted();
    return { sizeBytes, failed };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    chunks.close();
    if (current !== null) pool.release(current);
    // Let started writes settle before the caller cleans up their targets.
    if (inflight !== null) await inflight;
  }
}

const END = Symbol('end of body');

/**
 * Pulls a Readable's chunks one at a time, as they were pushed. The stream's own async
 * iterator concatenates everything buffered into a new Buffer on each step: an extra copy
 * of the body that cost ~10 % of encode CPU in bench/erasure-codec.bench.ts.
 */
class BodyChunks {
  private readonly queue: unknown[] = [];
  private ended = false;
  private failed = false;
  private error: unknown = undefined;
  private wake: (() => void) | null = null;
  private readonly stopWatching: () => void;
  private readonly onData = (chunk: unknown): void => {
    this.queue.push(chunk);
    // One chunk at a time: backpressure reaches the source while a block is coded and written.
    this.body.pause();
    this.notify();
  };

  constructor(private readonly body: Readable) {
    body.on('data', this.onData);
    this.stopWatching = finished(body, (err) => {
      if (err) {
        this.failed = true;
        this.error = err;
      } else {
        this.ended = true;
      }
      this.notify();
    });
  }

  /** Next chunk, END after the last one; rejects with the stream's own error, unchanged. */
  async next(): Promise<unknown> {
    for (;;) {
      if (this.queue.length > 0) return this.queue.shift();
      if (this.failed) throw this.error;
      if (this.ended) return END;
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.body.resume();
      await woken;
    }
  }

  /** Makes the pending and every later next() reject with `reason` (abort). */
  fail(reason: unknown): void {
    if (this.failed || this.ended) return;
    this.failed = true;
    this.error = reason;
    this.notify();
  }

  /**
   * Detaches; destroys a body that was not read to its end (the write is abandoned). A
   * stalled source may never finish closing: nothing waits for it.
   */
  close(): void {
    this.body.off('data', this.onData);
    this.stopWatching();
    if (!this.ended && !this.failed) this.body.destroy();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError('object body chunks must be Buffers, Uint8Arrays or strings');
}

/**
 * Encodes one block held in `stripe` (data in its first blockLen bytes), hashes and writes
 * every shard, then releases the stripe. Marks writers that reject as failed; rejects with
 * InsufficientWriteQuorum when fewer than writeQuorum remain.
 */
async function writeBlock(
  stripe: Buffer,
  blockLen: number,
  codec: ErasureCodec,
  writers: (ShardWriter | null)[],
  failed: boolean[],
  live: { count: number },
  writeQuorum: number,
  pool: BufferPool,
): Promise<void> {
  try {
    const k = codec.dataShards;
    const total = k + codec.parityShards;
    const shardSize = shardSizeFor(blockLen, k);
    // Padding of the last data shard(s) must be zero: it is part of the coded and hashed bytes.
    stripe.fill(0, blockLen, k * shardSize);
    await codec.encode(stripe, shardSize);
    const hashes = Buffer.allocUnsafe(total * BITROT_HASH_SIZE_BYTES);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const writer = writers[i];
      if (writer === null || writer === undefined || failed[i]) continue;
      const shard = stripe.subarray(i * shardSize, (i + 1) * shardSize);
      const hash = hashes.subarray(i * BITROT_HASH_SIZE_BYTES, (i + 1) * BITROT_HASH_SIZE_BYTES);
      bitrotHash(shard, hash);
      writes.push(
        writeShardBlock(writer, hash, shard).catch(() => {
          // The caller sees the failure in `failed` and reduces it by quorum; the drive layer logs its cause.
          failed[i] = true;
          live.count--;
        }),
      );
    }
    await Promise.all(writes);
  } finally {
    pool.release(stripe);
  }
  if (live.count < writeQuorum) {
    throw new StorageError('InsufficientWriteQuorum', `${live.count} of ${failed.length} shard writers left`);
  }
}

/** Appends one `[hash][shard]` block to a shard stream; the two writes are ordered. */
export async function writeShardBlock(
  writer: ShardWriter,
  hash: Uint8Array,
  shard: Uint8Array,
): Promise<void> {
  await writer.write(hash);
  await writer.write(shard);
}
