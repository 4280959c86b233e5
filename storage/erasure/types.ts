/**
 * Seam between the erasure streaming code (storage/erasure/) and the code that owns
 * drives and files (storage/erasure-set.ts and friends).
 *
 * Shard stream layout (do not change: on-disk format, version 1):
 *   the object is cut into blocks of BLOCK_SIZE_BYTES (the last one may be shorter);
 *   each block is split into k data shards of shardSizeFor(blockLen, k) bytes (zero-padded)
 *   plus m parity shards of the same size; shard i of every block is appended to
 *   shard stream i as [8-byte bitrot hash of the shard bytes][shard bytes], the hash
 *   being xxh64 (seed 0) of the shard bytes, little-endian (see bitrot.ts).
 */

/**
 * Reed-Solomon over k data + m parity shards, working on one contiguous "stripe":
 * shard i of a stripe occupies bytes [i * shardSizeBytes, (i + 1) * shardSizeBytes),
 * data shards 0..k-1 first, then parity shards k..k+m-1. A stripe (rather than k+m
 * separate arrays) is what the native coder wants: one pooled buffer per block, no
 * gathering copies.
 */
export interface ErasureCodec {
  readonly dataShards: number;
  readonly parityShards: number;
  /**
   * Fills the m parity shards of `stripe` from its k data shards, in place.
   * `shardSizeBytes` must be a positive multiple of 8 and `stripe` at least
   * (k + m) * shardSizeBytes long (bytes beyond that are untouched).
   * Runs off the event loop where the implementation can; the caller must not touch
   * the stripe until the promise settles.
   */
  encode(stripe: Uint8Array, shardSizeBytes: number): Promise<void>;
  /**
   * Rebuilds, in place, the shards i with `rebuild[i]` true from the shards with
   * `present[i]` true. `rebuild` defaults to every shard not present. Needs at least k
   * present shards and no shard both present and rebuilt; throws (rejects) otherwise.
   * Bytes of shards neither present nor rebuilt may be overwritten (scratch).
   */
  reconstruct(
    stripe: Uint8Array,
    shardSizeBytes: number,
    present: readonly boolean[],
    rebuild?: readonly boolean[],
  ): Promise<void>;
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
  /**
   * Optional: reads exactly `target.byteLength` bytes at `offset` into `target` (which the
   * caller owns and may reuse once this settles), rejecting like `read`. Readers that have
   * it let a streaming GET read into recycled buffers instead of a fresh allocation per read.
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
}

/** Called when a shard's block failed its bitrot check or could not be read. */
export type ShardFault = (shardIndex: number, kind: 'missing' | 'corrupt') => void;
