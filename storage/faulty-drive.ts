import type { DiskInfo, Drive, DriveFormat, RecordScan, ShardHandle, StoredRecords } from './drive.js';
import { DriveError } from './drive.js';
import type { BucketRecord, ObjectRecord, PartRecord, UploadRecord } from './records.js';

/**
 * A Drive wrapper for fault tests (MinIO's naughty disk): forwards to an inner drive
 * unless told to fail every call, to corrupt the bytes shard reads return, or to
 * answer every call `slowDelayMs` late.
 */
export type FaultMode = 'none' | 'fail' | 'corrupt-reads' | 'slow';

export class FaultyDrive implements Drive {
  readonly endpoint: string;
  mode: FaultMode;
  /** Delay added to every call in 'slow' mode. */
  slowDelayMs: number;
  private readonly inner: Drive;

  constructor(inner: Drive, mode: FaultMode = 'none') {
    this.inner = inner;
    this.endpoint = inner.endpoint;
    this.mode = mode;
    this.slowDelayMs = 50;
  }

  private async gate(): Promise<void> {
    if (this.mode === 'fail') throw new DriveError('DriveFaulty', `injected fault on ${this.endpoint}`);
    if (this.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, this.slowDelayMs));
  }

  async readFormat(): Promise<DriveFormat | null> {
    await this.gate();
    return this.inner.readFormat();
  }
  async writeFormat(format: DriveFormat): Promise<void> {
    await this.gate();
    return this.inner.writeFormat(format);
  }
  async getBucketRecord(bucket: string): Promise<BucketRecord | null> {
    await this.gate();
    return this.inner.getBucketRecord(bucket);
  }
  async putBucketRecord(record: BucketRecord): Promise<void> {
    await this.gate();
    return this.inner.putBucketRecord(record);
  }
  async deleteBucketRecord(bucket: string): Promise<void> {
    await this.gate();
    return this.inner.deleteBucketRecord(bucket);
  }
  async listBucketRecords(): Promise<BucketRecord[]> {
    await this.gate();
    return this.inner.listBucketRecords();
  }
  async getObjectRecord(bucket: string, key: string): Promise<ObjectRecord | null> {
    await this.gate();
    return this.inner.getObjectRecord(bucket, key);
  }
  async putObjectRecord(bucket: string, key: string, record: ObjectRecord): Promise<void> {
    await this.gate();
    return this.inner.putObjectRecord(bucket, key, record);
  }
  async deleteObjectRecord(bucket: string, key: string): Promise<void> {
    await this.gate();
    return this.inner.deleteObjectRecord(bucket, key);
  }
  async scanObjectRecords(bucket: string, scan: RecordScan): Promise<StoredRecords> {
    await this.gate();
    return this.inner.scanObjectRecords(bucket, scan);
  }
  async createTempShard(): Promise<string> {
    await this.gate();
    return this.inner.createTempShard();
  }
  async appendTempShard(tempId: string, chunks: readonly Uint8Array[]): Promise<void> {
    await this.gate();
    return this.inner.appendTempShard(tempId, chunks);
  }
  async syncTempShard(tempId: string): Promise<void> {
    await this.gate();
    return this.inner.syncTempShard(tempId);
  }
  async commitShard(tempId: string, dataDir: string, partNumber?: number): Promise<void> {
    await this.gate();
    return this.inner.commitShard(tempId, dataDir, partNumber);
  }
  async deleteShard(dataDir: string, partNumber: number): Promise<void> {
    await this.gate();
    return this.inner.deleteShard(dataDir, partNumber);
  }
  async getUploadRecord(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null> {
    await this.gate();
    return this.inner.getUploadRecord(bucket, key, uploadId);
  }
  async putUploadRecord(record: UploadRecord): Promise<void> {
    await this.gate();
    return this.inner.putUploadRecord(record);
  }
  async deleteUploadRecord(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.gate();
    return this.inner.deleteUploadRecord(bucket, key, uploadId);
  }
  async scanUploadRecords(bucket: string, scan: RecordScan): Promise<UploadRecord[]> {
    await this.gate();
    return this.inner.scanUploadRecords(bucket, scan);
  }
  async putPartRecord(uploadId: string, record: PartRecord): Promise<void> {
    await this.gate();
    return this.inner.putPartRecord(uploadId, record);
  }
  async deletePartRecord(uploadId: string, partNumber: number): Promise<void> {
    await this.gate();
    return this.inner.deletePartRecord(uploadId, partNumber);
  }
  async listPartRecords(uploadId: string): Promise<PartRecord[]> {
    await this.gate();
    return this.inner.listPartRecords(uploadId);
  }
  async abortTempShard(tempId: string): Promise<void> {
    return this.inner.abortTempShard(tempId);
  }
  async openShard(dataDir: string, partNumber?: number): Promise<ShardHandle> {
    await this.gate();
    const handle = await this.inner.openShard(dataDir, partNumber);
    return {
      sizeBytes: handle.sizeBytes,
      read: async (offset, length) => {
        await this.gate();
        const bytes = await handle.read(offset, length);
        if (this.mode !== 'corrupt-reads') return bytes;
        const copy = Uint8Array.from(bytes);
        for (let i = 0; i < copy.length; i += 512) copy[i] = (copy[i] ?? 0) ^ 0xff;
        return copy;
      },
      close: () => handle.close(),
    };
  }
  async deleteDataDir(dataDir: string): Promise<void> {
    await this.gate();
    return this.inner.deleteDataDir(dataDir);
  }
  async diskInfo(): Promise<DiskInfo> {
    await this.gate();
    return this.inner.diskInfo();
  }
  async close(): Promise<void> {
    return this.inner.close();
  }
}
