import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SystemObjectStore } from './object-layer-key-store.js';

/** Feeds `input` to `transform` in chunks of the given sizes (cycled; default one chunk) and collects the output. */
export async function runTransform(
  transform: Transform,
  input: Uint8Array,
  chunkSizes: readonly number[] = [Math.max(1, input.byteLength)],
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let pos = 0;
  let i = 0;
  while (pos < input.byteLength) {
    const size = chunkSizes[i++ % chunkSizes.length] ?? 1;
    chunks.push(Buffer.from(input.subarray(pos, pos + size)));
    pos += size;
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), transform, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

/** Deterministic bytes: byte i is (i × 31 + seed) mod 256. */
export function patternBytes(length: number, seed = 7): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

class FakeStorageError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.name = 'StorageError';
    this.code = code;
  }
}

/** An in-memory stand-in for storage's ObjectLayer, as far as SystemObjectStore goes (same error codes). */
export class MemoryObjectStore implements SystemObjectStore {
  readonly buckets = new Map<string, Map<string, Buffer>>();

  async makeBucket(bucket: string): Promise<void> {
    if (this.buckets.has(bucket)) throw new FakeStorageError('BucketExists');
    this.buckets.set(bucket, new Map());
  }

  async putObject(
    bucket: string,
    key: string,
    body: Readable,
    opts: Parameters<SystemObjectStore['putObject']>[3],
  ): Promise<unknown> {
    const objects = this.bucketOf(bucket);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    opts.finalize();
    const existing = objects.get(key);
    opts.precondition?.(existing === undefined ? undefined : { key });
    objects.set(key, Buffer.concat(chunks));
    return {};
  }

  async getObject(bucket: string, key: string): Promise<{ stream: Readable }> {
    const data = this.bucketOf(bucket).get(key);
    if (data === undefined) throw new FakeStorageError('NoSuchKey');
    return { stream: Readable.from([Buffer.from(data)]) };
  }

  async listObjects(
    bucket: string,
    opts: { prefix: string; startAfter: string; maxKeys: number },
  ): Promise<{ objects: { key: string }[]; isTruncated: boolean; nextMarker?: string }> {
    const keys = [...this.bucketOf(bucket).keys()]
      .filter((k) => k.startsWith(opts.prefix) && k > opts.startAfter)
      .sort();
    const page = keys.slice(0, opts.maxKeys);
    const isTruncated = keys.length > page.length;
    return {
      objects: page.map((key) => ({ key })),
      isTruncated,
      nextMarker: isTruncated ? page.at(-1) : undefined,
    };
  }

  private bucketOf(bucket: string): Map<string, Buffer> {
    const objects = this.buckets.get(bucket);
    if (objects === undefined) throw new FakeStorageError('NoSuchBucket');
    return objects;
  }
}
