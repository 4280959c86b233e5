import type { ShardReader, ShardWriter } from './types.js';

/**
 * In-memory shard streams: the seam's simplest implementation, used by tests (and usable
 * for inline objects). The writer copies each chunk because callers reuse them.
 */
export class MemoryShardWriter implements ShardWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** Appends a copy of `chunk`; never rejects. */
  write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(Uint8Array.prototype.slice.call(chunk));
    this.length += chunk.byteLength;
    return Promise.resolve();
  }

  /** Everything written so far, as one new Buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** Serves reads from a byte array; rejects reads past its end like a short file would. */
export class MemoryShardReader implements ShardReader {
  constructor(private readonly data: Uint8Array) {}

  /** Resolves with a copy of the bytes; rejects with RangeError when any of them is absent. */
  read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.data.byteLength) {
      return Promise.reject(new RangeError(`read ${offset}+${length} past end ${this.data.byteLength}`));
    }
    return Promise.resolve(this.data.slice(offset, offset + length));
  }
}
