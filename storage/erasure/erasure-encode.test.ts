import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../buffer-pool.js';
import { isStorageError } from '../types.js';
import { encodeObject } from './erasure-encode.js';
import { BLOCK_SIZE_BYTES, shardFileSizeBytes, stripeSizeBytes } from './layout.js';
import { MemoryShardWriter } from './memory-shards.js';
import { RonomonCodec } from './reed-solomon-codec.js';
import type { ShardWriter } from './types.js';

function pattern(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Splits a buffer into uneven chunks so block boundaries fall inside chunks. */
function chunked(data: Buffer, chunkSize = 65_537): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.byteLength; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

/** A writer that rejects from its `failAt`-th write on. */
class FailingWriter implements ShardWriter {
  writes = 0;
  constructor(private readonly failAt: number) {}
  write(): Promise<void> {
    this.writes++;
    return this.writes >= this.failAt ? Promise.reject(new Error('disk on fire')) : Promise.resolve();
  }
}

const pool = (): BufferPool => new BufferPool({ budgetBytes: 64 * 1024 * 1024 });

describe('encodeObject', () => {
  it('writes nothing for an empty body', async () => {
    const writers = [new MemoryShardWriter(), new MemoryShardWriter(), new MemoryShardWriter()];
    const result = await encodeObject(Readable.from([]), {
      codec: new RonomonCodec(2, 1),
      writers,
      writeQuorum: 2,
      expectedSizeBytes: 0,
      pool: pool(),
    });
    expect(result).toEqual({ sizeBytes: 0, failed: [false, false, false] });
    for (const w of writers) expect(w.bytes().byteLength).toBe(0);
  });

  it('produces shard streams of shardFileSizeBytes whose data shards hold the body', async () => {
    const size = 2 * BLOCK_SIZE_BYTES + 12_345;
    const data = pattern(size);
    const writers = Array.from({ length: 4 }, () => new MemoryShardWriter());
    const result = await encodeObject(chunked(data), {
      codec: new RonomonCodec(2, 2),
      writers,
      writeQuorum: 3,
      expectedSizeBytes: -1,
      pool: pool(),
    });
    expect(result.sizeBytes).toBe(size);
    for (const w of writers) expect(w.bytes().byteLength).toBe(shardFileSizeBytes(size, 2));
    // Block 0, data shard 1 starts after its 8-byte hash with the second half of block 0.
    const shard1 = writers[1]?.bytes() ?? Buffer.alloc(0);
    expect(
      shard1.subarray(8, 8 + 16).equals(data.subarray(BLOCK_SIZE_BYTES / 2, BLOCK_SIZE_BYTES / 2 + 16)),
    ).toBe(true);
  });

  it('accepts string chunks', async () => {
    const writers = [new MemoryShardWriter()];
    const result = await encodeObject(Readable.from(['hello ', 'world'], { objectMode: true }), {
      codec: new RonomonCodec(1, 0),
      writers,
      writeQuorum: 1,
      expectedSizeBytes: 11,
      pool: pool(),
    });
    expect(result.sizeBytes).toBe(11);
    expect(writers[0]?.bytes().subarray(8, 19).toString()).toBe('hello world');
  });

  it('marks a failing writer and carries on while write quorum holds', async () => {
    const failing = new FailingWriter(3);
    const writers: ShardWriter[] = [
      new MemoryShardWriter(),
      new MemoryShardWriter(),
      new MemoryShardWriter(),
      failing,
    ];
    const result = await encodeObject(chunked(pattern(3 * BLOCK_SIZE_BYTES)), {
      codec: new RonomonCodec(2, 2),
      writers,
      writeQuorum: 3,
      expectedSizeBytes: 3 * BLOCK_SIZE_BYTES,
      pool: pool(),
    });
    expect(result.failed).toEqual([false, false, false, true]);
    // Hash of block 0, shard of block 0, then the failing hash write of block 1; nothing after.
    expect(failing.writes).toBe(3);
  });

  it('fails with InsufficientWriteQuorum when too many writers fail', async () => {
    const writers: ShardWriter[] = [
      new MemoryShardWriter(),
      new FailingWriter(1),
      new FailingWriter(5),
      new MemoryShardWriter(),
    ];
    const err = await encodeObject(chunked(pattern(4 * BLOCK_SIZE_BYTES)), {
      codec: new RonomonCodec(2, 2),
      writers,
      writeQuorum: 3,
      expectedSizeBytes: -1,
      pool: pool(),
    }).catch((e: unknown) => e);
    expect(isStorageError(err, 'InsufficientWriteQuorum')).toBe(true);
  });

  it('fails before reading when null writers leave less than write quorum', async () => {
    const body = chunked(pattern(100));
    const err = await encodeObject(body, {
      codec: new RonomonCodec(2, 1),
      writers: [new MemoryShardWriter(), null, null],
      writeQuorum: 2,
      expectedSizeBytes: 100,
      pool: pool(),
    }).catch((e: unknown) => e);
    expect(isStorageError(err, 'InsufficientWriteQuorum')).toBe(true);
  });

  it('reports null writers as failed and succeeds at quorum', async () => {
    const result = await encodeObject(chunked(pattern(100)), {
      codec: new RonomonCodec(2, 1),
      writers: [new MemoryShardWriter(), null, new MemoryShardWriter()],
      writeQuorum: 2,
      expectedSizeBytes: 100,
      pool: pool(),
    });
    expect(result.failed).toEqual([false, true, false]);
  });

  it('fails with IncompleteBody when the body is shorter or longer than declared', async () => {
    const opts = () => ({
      codec: new RonomonCodec(2, 1),
      writers: [new MemoryShardWriter(), new MemoryShardWriter(), new MemoryShardWriter()],
      writeQuorum: 2,
      pool: pool(),
    });
    const short = await encodeObject(chunked(pattern(BLOCK_SIZE_BYTES + 5)), {
      ...opts(),
      expectedSizeBytes: BLOCK_SIZE_BYTES + 6,
    }).catch((e: unknown) => e);
    expect(isStorageError(short, 'IncompleteBody')).toBe(true);
    const long = await encodeObject(chunked(pattern(BLOCK_SIZE_BYTES + 5)), {
      ...opts(),
      expectedSizeBytes: BLOCK_SIZE_BYTES + 4,
    }).catch((e: unknown) => e);
    expect(isStorageError(long, 'IncompleteBody')).toBe(true);
    const emptyButDeclared = await encodeObject(Readable.from([]), { ...opts(), expectedSizeBytes: 1 }).catch(
      (e: unknown) => e,
    );
    expect(isStorageError(emptyButDeclared, 'IncompleteBody')).toBe(true);
  });

  it('rethrows the body stream error unchanged', async () => {
    const bodyError = Object.assign(new Error('checksum mismatch'), { code: 'BadDigest' });
    async function* body(): AsyncGenerator<Buffer> {
      yield pattern(BLOCK_SIZE_BYTES + 10);
      throw bodyError;
    }
    const p = pool();
    const err = await encodeObject(Readable.from(body(), { objectMode: false }), {
      codec: new RonomonCodec(2, 1),
      writers: [new MemoryShardWriter(), new MemoryShardWriter(), new MemoryShardWriter()],
      writeQuorum: 2,
      expectedSizeBytes: -1,
      pool: p,
    }).catch((e: unknown) => e);
    expect(err).toBe(bodyError);
    expect(p.inUseBytes).toBe(0);
  });

  it('rejects with the abort reason when the signal fires mid-body', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    async function* body(): AsyncGenerator<Buffer> {
      yield pattern(1000);
      controller.abort(reason);
      await new Promise(() => undefined); // the client stalls forever
    }
    const err = await encodeObject(Readable.from(body(), { objectMode: false }), {
      codec: new RonomonCodec(1, 1),
      writers: [new MemoryShardWriter(), new MemoryShardWriter()],
      writeQuorum: 2,
      expectedSizeBytes: -1,
      pool: pool(),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(err).toBe(reason);
  });

  it('keeps memory bounded and lets slow writers slow the body down', async () => {
    const k = 2;
    const m = 1;
    // Exactly two stripes: the encoder must never need a third.
    const tight = new BufferPool({ budgetBytes: 2 * stripeSizeBytes(k, m) });
    let produced = 0;
    let written = 0;
    let maxLead = 0;
    const blocks = 24;
    async function* body(): AsyncGenerator<Buffer> {
      const chunk = pattern(256 * 1024);
      for (let i = 0; i < blocks * 4; i++) {
        produced += chunk.byteLength;
        maxLead = Math.max(maxLead, produced - written / ((k + m) / k));
        yield chunk;
      }
    }
    const slow: ShardWriter = {
      write: async (chunk) => {
        await new Promise((r) => setTimeout(r, 1));
        written += chunk.byteLength;
      },
    };
    const result = await encodeObject(Readable.from(body(), { objectMode: false }), {
      codec: new RonomonCodec(k, m),
      writers: [slow, slow, slow],
      writeQuorum: 3,
      expectedSizeBytes: blocks * BLOCK_SIZE_BYTES,
      pool: tight,
    });
    expect(result.sizeBytes).toBe(blocks * BLOCK_SIZE_BYTES);
    // Body is never more than the block being filled plus the block being written ahead
    // (plus Readable.from's small internal buffer).
    expect(maxLead).toBeLessThanOrEqual(4 * BLOCK_SIZE_BYTES);
    expect(tight.inUseBytes).toBe(0);
  });
});
