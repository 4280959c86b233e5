import type { Drive } from './drive.js';
import type { ShardWriter } from './erasure/types.js';

/** Pieces up to this size are held back and written together with the next chunk (one writev). */
const GATHER_MAX_BYTES = 64;

/**
 * A shard stream headed for one drive: kept in memory while it stays within
 * `inlineLimitBytes` (the object may end up inline in the record), spilled to a temp
 * shard file on the drive as soon as it grows past it. Every writer of one object
 * receives the same number of bytes, so they all spill at the same point.
 */
export class DriveShardWriter implements ShardWriter {
  private readonly drive: Drive;
  private readonly inlineLimitBytes: number;
  private chunks: Uint8Array[];
  private bufferedBytes: number;
  private tempId: string | null;

  /** `inlineLimitBytes` 0: straight to a temp file; Infinity: never spill (inline heal). */
  constructor(drive: Drive, inlineLimitBytes: number) {
    this.drive = drive;
    this.inlineLimitBytes = inlineLimitBytes;
    this.chunks = [];
    this.bufferedBytes = 0;
    this.tempId = null;
  }

  /** True once the stream went to a temp file. */
  get spilled(): boolean {
    return this.tempId !== null;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const spilling = this.tempId !== null || this.bufferedBytes + chunk.byteLength > this.inlineLimitBytes;
    if (!spilling || (chunk.byteLength <= GATHER_MAX_BYTES && this.tempId !== null)) {
      // In memory (inline candidate), or a small piece (a bitrot header) held back to
      // go out with the shard that follows it in one gathered write. The caller reuses
      // `chunk` after we resolve: keep a copy.
      this.chunks.push(Uint8Array.prototype.slice.call(chunk));
      this.bufferedBytes += chunk.byteLength;
      return;
    }
    this.tempId ??= await this.drive.createTempShard();
    const held = this.chunks;
    this.chunks = [];
    this.bufferedBytes = 0;
    held.push(chunk);
    await this.drive.appendTempShard(this.tempId, held);
  }

  /** The whole stream, when it did not spill. */
  inlineBytes(): Uint8Array {
    return Buffer.concat(this.chunks, this.bufferedBytes);
  }

  /**
   * Crash safety: fdatasync the temp shard, then rename it into `dataDir` and fsync
   * the directories (Drive.commitShard). Only after this may a record point at it.
   */
  async commit(dataDir: string, partNumber = 1): Promise<void> {
    const tempId = this.tempId;
    if (tempId === null) throw new RangeError('commit of a shard stream that was not spilled');
    if (this.chunks.length > 0) {
      const held = this.chunks;
      this.chunks = [];
      this.bufferedBytes = 0;
      await this.drive.appendTempShard(tempId, held);
    }
    await this.drive.syncTempShard(tempId);
    await this.drive.commitShard(tempId, dataDir, partNumber);
    this.tempId = null;
  }

  /** Drops whatever was written and not committed. Never rejects. */
  async abort(): Promise<void> {
    this.chunks = [];
    this.bufferedBytes = 0;
    const tempId = this.tempId;
    this.tempId = null;
    if (tempId !== null) await this.drive.abortTempShard(tempId);
  }
}
