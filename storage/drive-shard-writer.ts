import type { Drive } from './drive.js';
import type { ShardWriter } from './erasure/types.js';

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
    if (this.tempId === null && this.bufferedBytes + chunk.byteLength <= this.inlineLimitBytes) {
      // The caller reuses `chunk` after we resolve: keep a copy.
      this.chunks.push(Uint8Array.prototype.slice.call(chunk));
      this.bufferedBytes += chunk.byteLength;
      return;
    }
    if (this.tempId === null) {
      this.tempId = await this.drive.createTempShard();
      const buffered = this.chunks;
      this.chunks = [];
      this.bufferedBytes = 0;
      for (const c of buffered) await this.drive.appendTempShard(this.tempId, c);
    }
    await this.drive.appendTempShard(this.tempId, chunk);
  }

  /** The whole stream, when it did not spill. */
  inlineBytes(): Uint8Array {
    return Buffer.concat(this.chunks, this.bufferedBytes);
  }

  /**
   * Crash safety: fdatasync the temp shard, then rename it into `dataDir` and fsync
   * the directories (Drive.commitShard). Only after this may a record point at it.
   */
  async commit(dataDir: string): Promise<void> {
    const tempId = this.tempId;
    if (tempId === null) throw new RangeError('commit of a shard stream that was not spilled');
    await this.drive.syncTempShard(tempId);
    await this.drive.commitShard(tempId, dataDir);
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
