import { describe, expect, it } from 'vitest';
import {
  BLOCK_SIZE_BYTES,
  blockCount,
  blockRangeFor,
  blockSliceFor,
  shardBlockOffset,
  shardFileSizeBytes,
  shardSizeFor,
  stripeSizeBytes,
} from './layout.js';

describe('layout', () => {
  it('keeps the on-disk block size at 1 MiB', () => {
    expect(BLOCK_SIZE_BYTES).toBe(1048576);
  });

  it('shardSizeFor rounds ceil(blockLen / k) up to a multiple of 8', () => {
    expect(shardSizeFor(0, 4)).toBe(0);
    expect(shardSizeFor(1, 4)).toBe(8);
    expect(shardSizeFor(8, 1)).toBe(8);
    expect(shardSizeFor(9, 1)).toBe(16);
    expect(shardSizeFor(33, 4)).toBe(16);
    expect(shardSizeFor(BLOCK_SIZE_BYTES, 4)).toBe(262144);
    expect(shardSizeFor(BLOCK_SIZE_BYTES, 3)).toBe(349528);
    for (let k = 1; k <= 16; k++) {
      const s = shardSizeFor(BLOCK_SIZE_BYTES, k);
      expect(s % 8).toBe(0);
      expect(s * k).toBeGreaterThanOrEqual(BLOCK_SIZE_BYTES);
      expect(stripeSizeBytes(k, 4)).toBe((k + 4) * s);
    }
  });

  it('shardFileSizeBytes counts a hash header per block and is 0 for an empty object', () => {
    expect(shardFileSizeBytes(0, 2)).toBe(0);
    expect(shardFileSizeBytes(1, 2)).toBe(8 + 8);
    expect(shardFileSizeBytes(BLOCK_SIZE_BYTES, 2)).toBe(8 + 524288);
    expect(shardFileSizeBytes(BLOCK_SIZE_BYTES + 1, 2)).toBe(8 + 524288 + 8 + 8);
    expect(shardFileSizeBytes(3.5 * BLOCK_SIZE_BYTES, 4)).toBe(3 * (8 + 262144) + 8 + 131072);
  });

  it('maps byte ranges to blocks, shard offsets and data shards', () => {
    expect(blockCount(0)).toBe(0);
    expect(blockCount(BLOCK_SIZE_BYTES)).toBe(1);
    expect(blockCount(BLOCK_SIZE_BYTES + 1)).toBe(2);
    expect(blockRangeFor(0, 1)).toEqual({ firstBlock: 0, lastBlock: 0 });
    expect(blockRangeFor(BLOCK_SIZE_BYTES - 1, 2)).toEqual({ firstBlock: 0, lastBlock: 1 });
    expect(shardBlockOffset(3, 4)).toBe(3 * (8 + 262144));

    const size = 2 * BLOCK_SIZE_BYTES + 100;
    const tail = blockSliceFor(size, 4, BLOCK_SIZE_BYTES + 10, BLOCK_SIZE_BYTES + 50, 2);
    expect(tail).toEqual({
      blockIndex: 2,
      blockLen: 100,
      shardSizeBytes: 32,
      streamOffset: 2 * (8 + 262144),
      start: 0,
      end: 60,
      firstShard: 0,
      lastShard: 1,
    });
    const mid = blockSliceFor(size, 4, 262144 + 5, 10, 0);
    expect(mid.firstShard).toBe(1);
    expect(mid.lastShard).toBe(1);
  });
});
