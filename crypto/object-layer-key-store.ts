import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { KeyStore } from './key-store.js';

/**
 * The part of storage's ObjectLayer the key store uses, declared here because crypto/
 * may import only common/ (docs/ARCHITECTURE.md). storage's ObjectLayer satisfies it;
 * main.ts passes the object layer in. Errors follow storage's contract: an Error named
 * 'StorageError' with a `code` ('NoSuchKey', 'NoSuchBucket', 'BucketExists', ...).
 */
export interface SystemObjectStore {
  makeBucket(bucket: string, opts: { location: string }): Promise<void>;
  putObject(
    bucket: string,
    key: string,
    body: Readable,
    opts: {
      sizeBytes: number;
      metadata: Record<string, string>;
      finalize: () => { etag: string };
      /** Run under the key lock before commit with the current version (undefined: none); throw to refuse. */
      precondition?: (current: object | undefined) => void;
    },
  ): Promise<unknown>;
  getObject(bucket: string, key: string, opts: { versionId?: string }): Promise<{ stream: Readable }>;
  listObjects(
    bucket: string,
    opts: { prefix: string; delimiter: string; startAfter: string; maxKeys: number },
  ): Promise<{ objects: { key: string }[]; isTruncated: boolean; nextMarker?: string }>;
}

/**
 * The storage layer's system area: a bucket S3 requests can never address. storage/
 * accepts '_' in bucket names, S3 does not (server/bucket-name.ts), so every S3 request
 * naming it is answered NoSuchBucket and CreateBucket refuses it. It is erasure-coded and
 * healed like any bucket. (server/'s ListBuckets must leave it out: it lists what storage has.)
 */
export const SYSTEM_BUCKET = 'strata_system';

/** Where the built-in KMS keeps its records inside the system bucket. */
export const KMS_KEY_PREFIX = 'kms/';

/**
 * A KeyStore over the object layer: each record is one small object (inline in the
 * drives' metadata) `<prefix><id>` in SYSTEM_BUCKET, written at write quorum. create() is
 * atomic through storage's write precondition, which runs under the key lock.
 */
export class ObjectLayerKeyStore implements KeyStore {
  private readonly objects: SystemObjectStore;
  private readonly bucket: string;
  private readonly prefix: string;
  private bucketReady = false;

  constructor(objects: SystemObjectStore, opts: { bucket?: string; prefix?: string } = {}) {
    this.objects = objects;
    this.bucket = opts.bucket ?? SYSTEM_BUCKET;
    this.prefix = opts.prefix ?? KMS_KEY_PREFIX;
  }

  async get(id: string): Promise<Uint8Array | undefined> {
    let stream: Readable;
    try {
      ({ stream } = await this.objects.getObject(this.bucket, this.prefix + id, {}));
    } catch (err) {
      if (hasCode(err, 'NoSuchKey') || hasCode(err, 'NoSuchBucket')) return undefined;
      throw err;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async create(id: string, record: Uint8Array): Promise<boolean> {
    await this.ensureBucket();
    const body = Buffer.from(record);
    const taken = new Error('record exists');
    try {
      await this.objects.putObject(this.bucket, this.prefix + id, Readable.from([body]), {
        sizeBytes: body.length,
        metadata: { 'content-type': 'application/octet-stream' },
        finalize: () => ({ etag: createHash('md5').update(body).digest('hex') }),
        precondition: (current) => {
          if (current !== undefined) throw taken;
        },
      });
    } catch (err) {
      if (err === taken) return false;
      throw err;
    }
    return true;
  }

  async list(prefix: string): Promise<string[]> {
    const ids: string[] = [];
    let startAfter = '';
    for (;;) {
      let page: Awaited<ReturnType<SystemObjectStore['listObjects']>>;
      try {
        page = await this.objects.listObjects(this.bucket, {
          prefix: this.prefix + prefix,
          delimiter: '',
          startAfter,
          maxKeys: 1000,
        });
      } catch (err) {
        if (hasCode(err, 'NoSuchBucket')) return [];
        throw err;
      }
      for (const o of page.objects) ids.push(o.key.slice(this.prefix.length));
      if (!page.isTruncated || page.nextMarker === undefined) return ids;
      startAfter = page.nextMarker;
    }
  }

  private async ensureBucket(): Promise<void> {
    if (this.bucketReady) return;
    try {
      await this.objects.makeBucket(this.bucket, { location: '' });
    } catch (err) {
      if (!hasCode(err, 'BucketExists')) throw err;
    }
    this.bucketReady = true;
  }
}

function hasCode(err: unknown, code: string): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}
