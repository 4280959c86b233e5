import { BITROT_HASH_SIZE_BYTES, bitrotVerify } from './erasure/bitrot.js';
import {
  blockCount,
  blockLengthAt,
  shardBlockOffset,
  shardFileSizeBytes,
  shardSizeFor,
} from './erasure/layout.js';
import type { ShardReader } from './erasure/types.js';

/**
 * True when a whole shard stream is present and every block passes its bitrot check
 * (what healing needs to know; reads verify only the blocks they touch). Reads one
 * block at a time. `sizeBytes`, when known, must equal the expected stream size.
 */
export async function verifyShardStream(
  reader: ShardReader,
  objectSizeBytes: number,
  k: number,
  sizeBytes?: number,
): Promise<boolean> {
  if (sizeBytes !== undefined && sizeBytes !== shardFileSizeBytes(objectSizeBytes, k)) return false;
  try {
    for (let b = 0; b < blockCount(objectSizeBytes); b++) {
      const shardSize = shardSizeFor(blockLengthAt(objectSizeBytes, b), k);
      const bytes = await reader.read(shardBlockOffset(b, k), BITROT_HASH_SIZE_BYTES + shardSize);
      if (!bitrotVerify(bytes.subarray(BITROT_HASH_SIZE_BYTES), bytes, 0)) return false;
    }
  } catch {
    return false;
  }
  return true;
}
