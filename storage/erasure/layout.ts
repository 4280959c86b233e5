import { BITROT_HASH_SIZE_BYTES } from './bitrot.js';

/**
 * Geometry of erasure-coded objects: how an object maps onto blocks, shards and
 * offsets in shard streams. Pure functions; see types.ts for the stream layout.
 */

/**
 * Objects are cut into blocks of this size before erasure coding (the last block may
 * be shorter). Do not change: on-disk format (shard offsets depend on it).
 */
export const BLOCK_SIZE_BYTES = 1024 * 1024;

/** Shard sizes are rounded up to this multiple (the native coder needs it). Do not change: on-disk format. */
const SHARD_ALIGN_BYTES = 8;

/**
 * Size in bytes of each of the k+m shards of a block of `blockLen` bytes:
 * ceil(blockLen / k) rounded up to a multiple of 8. 0 for an empty block.
 */
export function shardSizeFor(blockLen: number, k: number): number {
  const raw = Math.ceil(blockLen / k);
  return Math.ceil(raw / SHARD_ALIGN_BYTES) * SHARD_ALIGN_BYTES;
}

/** Number of blocks an object of `objectSize` bytes is cut into (0 for an empty object). */
export function blockCount(objectSize: number): number {
  return Math.ceil(objectSize / BLOCK_SIZE_BYTES);
}

/** Plaintext length of block `blockIndex` of an object of `objectSize` bytes. */
export function blockLengthAt(objectSize: number, blockIndex: number): number {
  return Math.min(BLOCK_SIZE_BYTES, objectSize - blockIndex * BLOCK_SIZE_BYTES);
}

/**
 * Bytes that one full block occupies in each shard stream (hash header + shard).
 * Every block but the last is full, so block b starts at b times this.
 */
export function fullShardBlockBytes(k: number): number {
  return BITROT_HASH_SIZE_BYTES + shardSizeFor(BLOCK_SIZE_BYTES, k);
}

/** Offset in every shard stream where block `blockIndex` begins (at its hash header). */
export function shardBlockOffset(blockIndex: number, k: number): number {
  return blockIndex * fullShardBlockBytes(k);
}

/**
 * Total bytes of one shard stream (any index) for an object of `objectSize` bytes,
 * hash headers included; 0 for an empty object. All k+m streams have this size.
 */
export function shardFileSizeBytes(objectSize: number, k: number): number {
  if (objectSize <= 0) return 0;
  const fullBlocks = Math.floor(objectSize / BLOCK_SIZE_BYTES);
  const tail = objectSize - fullBlocks * BLOCK_SIZE_BYTES;
  const tailBytes = tail > 0 ? BITROT_HASH_SIZE_BYTES + shardSizeFor(tail, k) : 0;
  return fullBlocks * fullShardBlockBytes(k) + tailBytes;
}

/**
 * Bytes of the stripe buffer (k+m shards back to back) large enough for any block
 * with this geometry: what the encoder and healer acquire from the BufferPool.
 */
export function stripeSizeBytes(k: number, m: number): number {
  return (k + m) * shardSizeFor(BLOCK_SIZE_BYTES, k);
}

/** Inclusive block range covering a non-empty plaintext byte range. */
export interface BlockRange {
  firstBlock: number;
  lastBlock: number;
}

/**
 * Blocks holding bytes [offset, offset + length) of an object. `length` must be > 0.
 */
export function blockRangeFor(offset: number, length: number): BlockRange {
  return {
    firstBlock: Math.floor(offset / BLOCK_SIZE_BYTES),
    lastBlock: Math.floor((offset + length - 1) / BLOCK_SIZE_BYTES),
  };
}

/** What one block contributes to a range read. */
export interface BlockSlice {
  blockIndex: number;
  /** Plaintext length of the whole block. */
  blockLen: number;
  /** Size of each shard of this block. */
  shardSizeBytes: number;
  /** Offset of the block's hash header in every shard stream. */
  streamOffset: number;
  /** Wanted bytes within the block: [start, end). */
  start: number;
  end: number;
  /** Data shards overlapping [start, end): firstShard..lastShard inclusive. */
  firstShard: number;
  lastShard: number;
}

/**
 * Describes block `blockIndex` for a read of bytes [offset, offset + length) of an
 * object of `objectSize` bytes with k data shards. The block must intersect the range.
 */
export function blockSliceFor(
  objectSize: number,
  k: number,
  offset: number,
  length: number,
  blockIndex: number,
): BlockSlice {
  const blockStart = blockIndex * BLOCK_SIZE_BYTES;
  const blockLen = blockLengthAt(objectSize, blockIndex);
  const shardSizeBytes = shardSizeFor(blockLen, k);
  const start = Math.max(offset, blockStart) - blockStart;
  const end = Math.min(offset + length, blockStart + blockLen) - blockStart;
  return {
    blockIndex,
    blockLen,
    shardSizeBytes,
    streamOffset: shardBlockOffset(blockIndex, k),
    start,
    end,
    firstShard: Math.floor(start / shardSizeBytes),
    lastShard: Math.floor((end - 1) / shardSizeBytes),
  };
}
