/**
 * Seam between the erasure streaming code (storage/erasure/) and the code that owns
 * drives and files (storage/erasure-set.ts and friends).
 *
 * Shard stream layout (do not change: on-disk format, version 1):
 *   the object is cut into blocks of BLOCK_SIZE_BYTES (the last one may be shorter);
 *   each block is split into k data shards of shardSize(blockLen, k) bytes (zero-padded)
 *   plus m parity shards of the same size; shard i of every block is appended to
 *   shard stream i as [8-byte bitrot hash of the shard bytes][shard bytes].
 */

/** Reed-Solomon over k data + m parity shards. */
export interface ErasureCodec {
  readonly dataShards: number;
  readonly parityShards: number;
  /**
   * Fills the parity shards from the data shards. `shards` has k+m buffers of
   * equal length (a multiple of 8); data shards are read, parity shards written.
   */
  encode(shards: Uint8Array[]): Promise<void>;
  /**
   * Rebuilds the shards whose `present[i]` is false from the others, in place.
   * Needs at least k present shards; throws otherwise.
   */
  reconstruct(shards: Uint8Array[], present: boolean[]): Promise<void>;
}

/** Where one shard stream is written (a temp file, or memory for inline objects). */
export interface ShardWriter {
  /** Appends bytes; resolves when accepted (backpressure). The chunk may be reused after resolution. */
  write(chunk: Uint8Array): Promise<void>;
}

/** Random access to one stored shard stream. */
export interface ShardReader {
  /**
   * Reads exactly `length` bytes at `offset` of the shard stream (hash headers included
   * in the offsets). Rejects if the bytes are not there (missing/short file).
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Called when a shard's block failed its bitrot check or could not be read. */
export type ShardFault = (shardIndex: number, kind: 'missing' | 'corrupt') => void;
