import { Readable } from 'node:stream';
import { FlushRecycler } from '../../common/index.js';
import type { BufferPool } from '../buffer-pool.js';
import { StorageError } from '../types.js';
import { BITROT_HASH_SIZE_BYTES, bitrotHash, bitrotVerify } from './bitrot.js';
import { writeShardBlock } from './erasure-encode.js';
import {
  BLOCK_SIZE_BYTES,
  blockCount,
  blockLengthAt,
  blockRangeFor,
  blockSliceFor,
  shardBlockOffset,
  shardSizeFor,
  stripeSizeBytes,
} from './layout.js';
import type { ErasureCodec, ShardFault, ShardReader, ShardWriter } from './types.js';

export interface DecodeObjectOptions {
  codec: ErasureCodec;
  /** One entry per shard index (k + m); null where the caller already knows the shard is unavailable. */
  readers: (ShardReader | null)[];
  objectSizeBytes: number;
  /** First plaintext byte to stream. */
  offset: number;
  /** Number of plaintext bytes to stream (0 gives an empty stream). */
  length: number;
  /** Told once per shard index when a block of it could not be read or failed its bitrot check. */
  onFault: ShardFault;
  /** Scratch stripes for reconstruction come from here. */
  pool: BufferPool;
}

export interface HealShardsOptions {
  codec: ErasureCodec;
  /** Sources, one per shard index; null (and every index being rebuilt) is not read. */
  readers: (ShardReader | null)[];
  /** Non-null exactly for the shard indices to rebuild; each receives a whole shard stream. */
  writers: (ShardWriter | null)[];
  objectSizeBytes: number;
  pool: BufferPool;
}

/**
 * Which shards serve this read. A shard that failed once (read error or bitrot) is reported
 * once and then only asked again as a last resort, when a later block cannot be rebuilt
 * from the healthy ones: its drive is suspect (a heal gets queued), but bitrot is local to a
 * block and refusing a readable shard would turn a recoverable object into a 503.
 */
class ShardSet {
  /** Has a reader and may be read at all. */
  readonly available: boolean[];
  /** Available and has not failed during this call. */
  readonly healthy: boolean[];
  constructor(
    readonly readers: (ShardReader | null)[],
    excluded: readonly boolean[],
    private readonly onFault: ShardFault | null,
  ) {
    this.available = readers.map((r, i) => r !== null && excluded[i] !== true);
    this.healthy = [...this.available];
  }

  fault(index: number, kind: 'missing' | 'corrupt'): void {
    if (!this.healthy[index]) return;
    this.healthy[index] = false;
    this.onFault?.(index, kind);
  }
}

/**
 * Reads and verifies shard `index` of the block at `streamOffset`. Returns the shard bytes
 * (hash header stripped) or null after reporting the fault.
 */
async function readShardBlock(
  shards: ShardSet,
  index: number,
  streamOffset: number,
  shardSize: number,
  target: Uint8Array | undefined,
): Promise<Uint8Array | null> {
  const reader = shards.readers[index];
  if (reader === null || reader === undefined) return null;
  const wanted = BITROT_HASH_SIZE_BYTES + shardSize;
  let bytes: Uint8Array;
  try {
    if (target !== undefined && reader.readInto !== undefined) {
      bytes = target.subarray(0, wanted);
      await reader.readInto(streamOffset, bytes);
    } else {
      bytes = await reader.read(streamOffset, wanted);
    }
  } catch {
    shards.fault(index, 'missing');
    return null;
  }
  if (bytes.byteLength !== wanted) {
    shards.fault(index, 'missing');
    return null;
  }
  const shard = bytes.subarray(BITROT_HASH_SIZE_BYTES);
  if (!bitrotVerify(shard, bytes, 0)) {
    shards.fault(index, 'corrupt');
    return null;
  }
  return shard;
}

/**
 * Reads the healthy shards in `first` in parallel into `got` (verified, or null). If they
 * were all good and `enoughIfFirstGood`, stops there; otherwise adds other shards, in
 * parallel rounds, until `got` holds `need` verified shards: healthy ones first (data before
 * parity), then shards that failed on earlier blocks. Throws InsufficientReadQuorum when
 * every shard has been tried for this block. Returns true when every index in `first` was
 * read good. `targets[i]`, when given, is where shard i's `[hash][shard]` is read (readers
 * with readInto); other shards get memory from their reader.
 */
async function gatherShards(
  shards: ShardSet,
  got: (Uint8Array | null)[],
  first: readonly number[],
  enoughIfFirstGood: boolean,
  need: number,
  streamOffset: number,
  shardSize: number,
  blockIndex: number,
  targets?: readonly (Uint8Array | undefined)[],
): Promise<boolean> {
  const tried = new Array<boolean>(got.length).fill(false);
  const readInto = async (i: number): Promise<void> => {
    tried[i] = true;
    got[i] = await readShardBlock(shards, i, streamOffset, shardSize, targets?.[i]);
  };
  await Promise.all(first.filter((i) => shards.healthy[i]).map(readInto));
  const allFirst = first.every((i) => got[i] !== null);
  if (allFirst && enoughIfFirstGood) return true;
  for (;;) {
    const have = got.reduce((n, s) => (s === null ? n : n + 1), 0);
    if (have >= need) return allFirst;
    // Shard indices are ordered data first, so each pass prefers data shards over parity.
    const candidates: number[] = [];
    for (const eligible of [shards.healthy, shards.available]) {
      for (let i = 0; i < got.length && candidates.length < need - have; i++) {
        if (!tried[i] && eligible[i] && !candidates.includes(i)) candidates.push(i);
      }
    }
    if (candidates.length === 0) {
      throw new StorageError(
        'InsufficientReadQuorum',
        `block ${blockIndex}: ${have} good shards, ${need} needed`,
      );
    }
    await Promise.all(candidates.map(readInto));
  }
}

/** Zero-copy Buffer view (consumers of object streams expect Buffers). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Size of the buffer one block's data shards are read into (see readBlockRange): k regions
 * of `[hash][shard]` for a full block.
 */
export function blockReadBufferBytes(k: number): number {
  return k * (BITROT_HASH_SIZE_BYTES + shardSizeFor(BLOCK_SIZE_BYTES, k));
}

/**
 * Reads the plaintext bytes [start, end) of one block: verified data shards as zero-copy
 * views when they are all good, otherwise reconstructs the missing ones from any k good
 * shards in a pooled stripe and copies out only the wanted bytes. With `into` (at least
 * blockReadBufferBytes(k) bytes), data shard i is read into region i of it, so the returned
 * chunks may be views of `into`: it must stay untouched until they are consumed.
 */
async function readBlockRange(
  codec: ErasureCodec,
  shards: ShardSet,
  pool: BufferPool,
  objectSize: number,
  offset: number,
  length: number,
  blockIndex: number,
  into: Buffer | null,
): Promise<Buffer[]> {
  const k = codec.dataShards;
  const total = k + codec.parityShards;
  const slice = blockSliceFor(objectSize, k, offset, length, blockIndex);
  const s = slice.shardSizeBytes;
  const needed: number[] = [];
  for (let i = slice.firstShard; i <= slice.lastShard; i++) needed.push(i);
  const got: (Uint8Array | null)[] = new Array<Uint8Array | null>(total).fill(null);
  let targets: (Uint8Array | undefined)[] | undefined;
  if (into !== null) {
    const region = BITROT_HASH_SIZE_BYTES + shardSizeFor(BLOCK_SIZE_BYTES, k);
    targets = [];
    for (let i = 0; i < k; i++) targets.push(into.subarray(i * region, (i + 1) * region));
  }
  const direct = await gatherShards(shards, got, needed, true, k, slice.streamOffset, s, blockIndex, targets);

  const stripe = direct ? null : await pool.acquire(stripeSizeBytes(k, codec.parityShards));
  try {
    if (stripe !== null) {
      const present = got.map((g) => g !== null);
      const rebuild = new Array<boolean>(total).fill(false);
      for (let i = 0; i < total; i++) {
        const g = got[i];
        if (g !== null && g !== undefined) stripe.set(g, i * s);
      }
      for (const i of needed) rebuild[i] = got[i] === null;
      await codec.reconstruct(stripe, s, present, rebuild);
    }
    const out: Buffer[] = [];
    for (const i of needed) {
      const from = Math.max(slice.start, i * s) - i * s;
      const to = Math.min(slice.end, (i + 1) * s) - i * s;
      const g = got[i];
      if (g !== null && g !== undefined) {
        out.push(asBuffer(g.subarray(from, to)));
      } else if (stripe !== null) {
        // Copy out: the stripe goes back to the pool, the emitted bytes belong to the consumer.
        out.push(Buffer.from(stripe.subarray(i * s + from, i * s + to)));
      }
    }
    return out;
  } finally {
    if (stripe !== null) pool.release(stripe);
  }
}

/**
 * Streams exactly bytes [offset, offset + length) of an erasure-coded object. Reads only
 * the blocks covering the range and, in each, only the data shards covering it; every
 * shard block read is verified against its bitrot hash before any of its bytes is
 * emitted. A shard that fails to read or verify is reported once through `onFault`
 * ('missing' / 'corrupt'; null readers are not reported) and no longer preferred for the
 * rest of the stream (read again only as a last resort for a block that healthy shards
 * cannot rebuild), and the block is reconstructed from any k good shards (data first). When
 * fewer than k good shards exist for a block, the stream is destroyed with
 * StorageError('InsufficientReadQuorum') after emitting only verified bytes before it.
 *
 * Verified data shards are emitted as views of the memory they were read into (no copy):
 * readers' own arrays, which they must never reuse, or, for readers with `readInto`, a
 * per-block buffer (see DecodeStream for when that comes from the pool and goes back).
 *
 * Reads one block ahead of the consumer and no more (backpressure). The caller must
 * consume or destroy the stream. Throws RangeError synchronously for a range outside
 * the object.
 */
export function decodeObject(opts: DecodeObjectOptions): Readable {
  const { codec, readers, objectSizeBytes, offset, length, onFault, pool } = opts;
  const total = codec.dataShards + codec.parityShards;
  if (readers.length !== total) {
    throw new RangeError(`expected ${total} shard readers, got ${readers.length}`);
  }
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > objectSizeBytes
  ) {
    throw new RangeError(`range ${offset}+${length} is outside an object of ${objectSizeBytes} bytes`);
  }
  const shards = new ShardSet(readers, [], onFault);
  const readsInto = readers.some((r) => r?.readInto !== undefined);
  const { firstBlock, lastBlock } =
    length === 0 ? { firstBlock: 0, lastBlock: -1 } : blockRangeFor(offset, length);
  return new DecodeStream({
    firstBlock,
    lastBlock,
    pool,
    bufferBytes: readsInto ? blockReadBufferBytes(codec.dataShards) : 0,
    readBlock: (b, into) => readBlockRange(codec, shards, pool, objectSizeBytes, offset, length, b, into),
  });
}

/** One part of a multipart object, as decodeParts streams it. */
export interface DecodePart {
  objectSizeBytes: number;
  /** First plaintext byte of this part to stream. */
  offset: number;
  /** Bytes of this part to stream (> 0). */
  length: number;
  /**
   * Opens the part's shards: readers by shard index and a close for them. Called once, when
   * the stream reaches the part (or earlier if the caller opened it already); rejects to fail
   * the stream.
   */
  open(): Promise<{ readers: (ShardReader | null)[]; close: () => Promise<void> }>;
}

export interface DecodePartsOptions {
  codec: ErasureCodec;
  parts: readonly DecodePart[];
  onFault: ShardFault;
  pool: BufferPool;
}

/**
 * Streams several erasure-coded parts one after the other (a multipart object, or a range
 * of it) as one stream, with decodeObject's verification, reconstruction, read-ahead of one
 * block (across part boundaries too) and recycled read buffers. A part's shards are opened
 * when the stream reaches it and closed once its last block was read, or when the stream
 * closes. Every part must have the codec's geometry.
 */
export function decodeParts(opts: DecodePartsOptions): Readable {
  const { codec, parts, onFault, pool } = opts;
  const total = codec.dataShards + codec.parityShards;
  // Blocks of each part the stream covers, and where each part starts in the stream's block count.
  const ranges = parts.map((p) => {
    if (p.length <= 0 || p.offset < 0 || p.offset + p.length > p.objectSizeBytes) {
      throw new RangeError(`range ${p.offset}+${p.length} is outside a part of ${p.objectSizeBytes} bytes`);
    }
    return blockRangeFor(p.offset, p.length);
  });
  const starts: number[] = [];
  let steps = 0;
  for (const r of ranges) {
    starts.push(steps);
    steps += r.lastBlock - r.firstBlock + 1;
  }
  const opened: ({ shards: ShardSet; close: () => Promise<void> } | null)[] = parts.map(() => null);
  let current = 0;
  const closeThrough = async (last: number): Promise<void> => {
    for (let i = 0; i <= last; i++) {
      const o = opened[i];
      opened[i] = null;
      if (o) await o.close();
    }
  };
  const openPart = async (index: number): Promise<ShardSet> => {
    const o = opened[index];
    if (o) return o.shards;
    const part = parts[index] as DecodePart;
    const { readers, close } = await part.open();
    if (readers.length !== total) {
      await close();
      throw new RangeError(`expected ${total} shard readers, got ${readers.length}`);
    }
    const shards = new ShardSet(readers, [], onFault);
    opened[index] = { shards, close };
    return shards;
  };
  return new DecodeStream({
    firstBlock: 0,
    lastBlock: steps - 1,
    pool,
    bufferBytes: blockReadBufferBytes(codec.dataShards),
    readBlock: async (step, into) => {
      while (current + 1 < parts.length && step >= (starts[current + 1] as number)) current++;
      // Blocks are fetched in order: every part before this one has been read completely.
      if (current > 0) await closeThrough(current - 1);
      const part = parts[current] as DecodePart;
      const shards = await openPart(current);
      const block = (ranges[current]?.firstBlock ?? 0) + step - (starts[current] as number);
      return readBlockRange(codec, shards, pool, part.objectSizeBytes, part.offset, part.length, block, into);
    },
    onClose: () => closeThrough(parts.length - 1),
  });
}

/** How often a read waiting for a pool buffer gives back its own flushed buffers. */
const RECLAIM_POLL_MS = 10;

/** A block read started by DecodeStream, and the pooled buffer it reads into (set once acquired). */
interface BlockFetch {
  chunks: Promise<Buffer[]>;
  pooled: Buffer | null;
}

interface DecodeStreamOptions {
  firstBlock: number;
  lastBlock: number;
  pool: BufferPool;
  /** Size of a per-block read buffer; 0 when the readers cannot read into one. */
  bufferBytes: number;
  readBlock: (blockIndex: number, into: Buffer | null) => Promise<Buffer[]>;
  /** Called once when the stream closes (ended or destroyed), after its reads settled. */
  onClose?: () => Promise<void>;
}

/**
 * The decoded byte stream: one block read ahead of the consumer (highWaterMark 1, so a
 * block is fetched only once the previous one has been taken).
 *
 * Per-block read buffers come from the BufferPool only while the stream is piped into a
 * destination that reports `writableLength` (an HTTP response): a block's buffer goes back
 * to the pool once every byte of it has left both this stream's buffer and the
 * destination's (`pushed − readableLength − dest.writableLength` has passed its end: the
 * socket has handed them to the kernel), or when the destination finishes. Without that
 * signal (async iteration, 'data' listeners) each block gets a fresh buffer that the GC
 * reclaims, as emitted chunks may be held for any time. Reading into recycled memory
 * spares V8 the external-memory pressure of a fresh 1 MiB buffer per block, which made
 * major GCs run several times a second under GET load (bench/README.md).
 *
 * The pool's budget bounds these reads: the read-ahead block is only read when a buffer is
 * free right now, and the block the consumer asks for waits for one. While it waits the
 * stream holds no buffer but those of bytes already pushed, and those go back once flushed
 * (checked every RECLAIM_POLL_MS: nothing else calls reclaim while this stream waits), so
 * waiting GETs cannot hold each other up. With a fresh buffer whenever the budget was used
 * up, 64 concurrent GETs held ~2–3 MiB each outside it (bench/README.md, "memory").
 */
class DecodeStream extends Readable {
  private readonly opts: DecodeStreamOptions;
  private block: number;
  /** The prefetched next block, and the pooled buffer it is read into (null: not pooled). */
  private next: BlockFetch | null;
  private busy: boolean;
  /** Gives pooled buffers back once the destination flushed their bytes. */
  private readonly recycler: FlushRecycler;
  /** The latest block read started (settled or not). */
  private reading: Promise<Buffer[]> | null;

  constructor(opts: DecodeStreamOptions) {
    super({ highWaterMark: 1 });
    this.opts = opts;
    this.block = opts.firstBlock;
    this.next = null;
    this.busy = false;
    this.recycler = new FlushRecycler(this, opts.pool);
    this.reading = null;
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    this.recycler.watch(dest);
    return super.pipe(dest, options);
  }

  override _read(): void {
    if (this.busy) return;
    if (this.block > this.opts.lastBlock) {
      this.push(null);
      return;
    }
    this.busy = true;
    const current = this.next ?? this.fetch(this.block, false);
    this.next = null;
    current.chunks.then(
      (chunks) => {
        this.busy = false;
        if (this.destroyed) {
          this.giveBack(current.pooled);
          return;
        }
        const b = this.block++;
        if (b < this.opts.lastBlock) {
          this.next = this.fetch(b + 1, true);
          // If the consumer goes away, the prefetch's failure has no one to tell.
          this.next?.chunks.catch(() => undefined);
        }
        let bytes = 0;
        for (const chunk of chunks) bytes += chunk.byteLength;
        this.recycler.pushing(bytes, current.pooled);
        for (const chunk of chunks) this.push(chunk);
        if (b === this.opts.lastBlock) this.push(null);
      },
      (err: unknown) => {
        this.busy = false;
        this.giveBack(current.pooled);
        this.destroy(err as Error);
      },
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const next = this.next;
    this.next = null;
    // The prefetched block was never pushed: its buffer is ours alone once its read settles.
    if (next !== null) {
      const settle = (): void => this.giveBack(next.pooled);
      next.chunks.then(settle, settle);
    }
    this.recycler.destroyed();
    const onClose = this.opts.onClose;
    if (onClose) {
      const reads = [this.reading, next?.chunks].filter((r) => r !== null && r !== undefined);
      void Promise.allSettled(reads).then(() => onClose().catch(() => undefined));
    }
    callback(err);
  }

  /**
   * Starts reading block `blockIndex`. While recycling into the pool: a read-ahead
   * (`readAhead`) is not started (null) unless a buffer is free now; the block the consumer
   * wants waits for one.
   */
  private fetch(blockIndex: number, readAhead: false): BlockFetch;
  private fetch(blockIndex: number, readAhead: true): BlockFetch | null;
  private fetch(blockIndex: number, readAhead: boolean): BlockFetch | null {
    const { bufferBytes, pool } = this.opts;
    if (bufferBytes === 0) return this.startRead(blockIndex, null, null);
    if (!this.recycler.active) {
      return this.startRead(blockIndex, null, Buffer.allocUnsafeSlow(bufferBytes));
    }
    const free = this.recycler.tryAcquire(bufferBytes);
    if (free !== null) return this.startRead(blockIndex, free, free);
    if (readAhead) return null;
    const fetch: BlockFetch = { chunks: Promise.resolve([]), pooled: null };
    const poll = setInterval(() => this.recycler.reclaim(false), RECLAIM_POLL_MS);
    fetch.chunks = pool
      .acquire(bufferBytes)
      .finally(() => clearInterval(poll))
      .then((buf) => {
        fetch.pooled = buf;
        // Destroyed while waiting: _read's handler gives the buffer back; nothing to read.
        return this.destroyed ? [] : this.opts.readBlock(blockIndex, buf);
      });
    this.reading = fetch.chunks;
    return fetch;
  }

  private startRead(blockIndex: number, pooled: Buffer | null, into: Buffer | null): BlockFetch {
    const chunks = this.opts.readBlock(blockIndex, into);
    this.reading = chunks;
    return { chunks, pooled };
  }

  /** A pooled buffer whose chunks were never pushed goes straight back. */
  private giveBack(buf: Buffer | null): void {
    if (buf !== null) this.opts.pool.release(buf);
  }
}

/**
 * Rebuilds whole shard streams for the indices whose `writers` entry is non-null, block by
 * block, from k verified shards of the other indices (data first; a shard that fails to
 * read or verify is only retried when the healthy ones cannot rebuild a block). Output is byte-identical to what
 * encodeObject wrote: `[hash]` then `[shard]` per block, in order. Rejects with
 * StorageError('InsufficientReadQuorum') when a block has fewer than k good sources
 * (earlier blocks have been written by then: the caller discards the partial streams);
 * errors from writers are rethrown unchanged after all started writes settled. An empty
 * object writes nothing.
 */
export async function healShards(opts: HealShardsOptions): Promise<void> {
  const { codec, readers, writers, objectSizeBytes, pool } = opts;
  const k = codec.dataShards;
  const total = k + codec.parityShards;
  if (readers.length !== total || writers.length !== total) {
    throw new RangeError(`expected ${total} shard readers and writers`);
  }
  const rebuild = writers.map((w) => w !== null);
  const targets = rebuild.flatMap((r, i) => (r ? [i] : []));
  if (targets.length === 0 || objectSizeBytes <= 0) return;
  // A shard being rebuilt is presumed bad: never use it as a source.
  const shards = new ShardSet(readers, rebuild, null);
  const stripeBytes = stripeSizeBytes(k, codec.parityShards);
  const hashes = Buffer.allocUnsafe(total * BITROT_HASH_SIZE_BYTES);

  for (let b = 0; b < blockCount(objectSizeBytes); b++) {
    const s = shardSizeFor(blockLengthAt(objectSizeBytes, b), k);
    const streamOffset = shardBlockOffset(b, k);
    const got: (Uint8Array | null)[] = new Array<Uint8Array | null>(total).fill(null);
    await gatherShards(shards, got, [], false, k, streamOffset, s, b);
    const stripe = await pool.acquire(stripeBytes);
    try {
      for (let i = 0; i < total; i++) {
        const g = got[i];
        if (g !== null && g !== undefined) stripe.set(g, i * s);
      }
      await codec.reconstruct(
        stripe,
        s,
        got.map((g) => g !== null),
        rebuild,
      );
      const writes = targets.map((i) => {
        const shard = stripe.subarray(i * s, (i + 1) * s);
        const hash = hashes.subarray(i * BITROT_HASH_SIZE_BYTES, (i + 1) * BITROT_HASH_SIZE_BYTES);
        bitrotHash(shard, hash);
        return writeShardBlock(writers[i] as ShardWriter, hash, shard);
      });
      // allSettled: the stripe must not go back to the pool while any write still reads it.
      const results = await Promise.allSettled(writes);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    } finally {
      pool.release(stripe);
    }
  }
}
