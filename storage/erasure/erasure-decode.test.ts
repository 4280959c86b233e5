import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../buffer-pool.js';
import { isStorageError } from '../types.js';
import { decodeObject, decodeParts, healShards } from './erasure-decode.js';
import { encodeObject } from './erasure-encode.js';
import { BLOCK_SIZE_BYTES, shardBlockOffset } from './layout.js';
import { MemoryShardReader, MemoryShardWriter } from './memory-shards.js';
import { RonomonCodec } from './reed-solomon-codec.js';
import type { ShardReader } from './types.js';

const B = BLOCK_SIZE_BYTES;

/** Deterministic bytes and ranges so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function pattern(size: number, seed = 7): Buffer {
  const next = rng(seed);
  const out = Buffer.allocUnsafe(size);
  let i = 0;
  for (; i + 4 <= size; i += 4) out.writeUInt32LE(Math.floor(next() * 2 ** 32), i);
  for (; i < size; i++) out.writeUInt8(Math.floor(next() * 256), i);
  return out;
}

const newPool = (): BufferPool => new BufferPool({ budgetBytes: 64 * 1024 * 1024 });

async function encodeToShards(data: Buffer, k: number, m: number): Promise<Buffer[]> {
  const writers = Array.from({ length: k + m }, () => new MemoryShardWriter());
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.byteLength; i += 100_003) chunks.push(data.subarray(i, i + 100_003));
  await encodeObject(Readable.from(chunks, { objectMode: false }), {
    codec: new RonomonCodec(k, m),
    writers,
    writeQuorum: k + m,
    expectedSizeBytes: data.byteLength,
    pool: newPool(),
  });
  return writers.map((w) => w.bytes());
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Reader that records every read so tests can assert what was touched. */
class CountingReader implements ShardReader {
  reads: [number, number][] = [];
  constructor(private readonly inner: ShardReader) {}
  read(offset: number, length: number): Promise<Uint8Array> {
    this.reads.push([offset, length]);
    return this.inner.read(offset, length);
  }
}

interface Faults {
  faults: [number, string][];
  onFault: (i: number, kind: 'missing' | 'corrupt') => void;
}
function faultLog(): Faults {
  const faults: [number, string][] = [];
  return { faults, onFault: (i, kind) => faults.push([i, kind]) };
}

async function decode(
  shards: (Buffer | null)[],
  k: number,
  m: number,
  size: number,
  offset: number,
  length: number,
  f: Faults = faultLog(),
): Promise<Buffer> {
  return collect(
    decodeObject({
      codec: new RonomonCodec(k, m),
      readers: shards.map((s) => (s === null ? null : new MemoryShardReader(s))),
      objectSizeBytes: size,
      offset,
      length,
      onFault: f.onFault,
      pool: newPool(),
    }),
  );
}

const SIZES = [0, 1, 7, 8, B - 1, B, B + 1, 3.5 * B];
const GEOMETRIES: [number, number][] = [
  [2, 2],
  [4, 2],
  [1, 0],
  [3, 1],
];

describe('encodeObject + decodeObject round trips', () => {
  for (const [k, m] of GEOMETRIES) {
    for (const size of SIZES) {
      it(`${k}+${m}, ${size} bytes: whole object and random ranges`, async () => {
        const data = pattern(size, size + k);
        const shards = await encodeToShards(data, k, m);
        expect((await decode(shards, k, m, size, 0, size)).equals(data)).toBe(true);
        const next = rng(size * 31 + k);
        for (let n = 0; n < 6 && size > 0; n++) {
          const offset = Math.floor(next() * size);
          const length = Math.floor(next() * (size - offset)) + (n === 0 ? 0 : 1);
          const out = await decode(shards, k, m, size, offset, Math.min(length, size - offset));
          expect(out.equals(data.subarray(offset, offset + Math.min(length, size - offset)))).toBe(true);
        }
      });
    }
  }

  it('streams a zero-length range without reading', async () => {
    const reader = new CountingReader(new MemoryShardReader(Buffer.alloc(0)));
    const out = await collect(
      decodeObject({
        codec: new RonomonCodec(1, 1),
        readers: [reader, reader],
        objectSizeBytes: 10,
        offset: 4,
        length: 0,
        onFault: () => undefined,
        pool: newPool(),
      }),
    );
    expect(out.byteLength).toBe(0);
    expect(reader.reads).toEqual([]);
  });

  it('rejects a range outside the object synchronously', () => {
    expect(() =>
      decodeObject({
        codec: new RonomonCodec(1, 1),
        readers: [null, null],
        objectSizeBytes: 10,
        offset: 5,
        length: 6,
        onFault: () => undefined,
        pool: newPool(),
      }),
    ).toThrow(RangeError);
  });
});

describe('decodeObject with damaged shards', () => {
  const size = 3.5 * B;
  const data = pattern(size, 99);
  const shardsPromise = encodeToShards(data, 4, 2);

  it('reads only data shards, and only those covering the range, when all are good', async () => {
    const shards = await shardsPromise;
    const readers = shards.map((s) => new CountingReader(new MemoryShardReader(s)));
    const out = await collect(
      decodeObject({
        codec: new RonomonCodec(4, 2),
        readers,
        objectSizeBytes: size,
        offset: B + 262_144 + 10,
        length: 100,
        onFault: () => undefined,
        pool: newPool(),
      }),
    );
    expect(out.equals(data.subarray(B + 262_144 + 10, B + 262_144 + 110))).toBe(true);
    expect(readers.map((r) => r.reads.length)).toEqual([0, 1, 0, 0, 0, 0]);
    expect(readers[1]?.reads[0]).toEqual([shardBlockOffset(1, 4), 8 + 262_144]);
  });

  it('reconstructs around up to m missing shards (null readers) without reporting them', async () => {
    const shards = await shardsPromise;
    const f = faultLog();
    const out = await decode(
      [null, shards[1] ?? null, shards[2] ?? null, null, shards[4] ?? null, shards[5] ?? null],
      4,
      2,
      size,
      0,
      size,
      f,
    );
    expect(out.equals(data)).toBe(true);
    expect(f.faults).toEqual([]);
  });

  it('fails with InsufficientReadQuorum when more than m shards are missing, emitting no unverified bytes', async () => {
    const shards = await shardsPromise;
    const err = await decode(
      [null, null, null, shards[3] ?? null, shards[4] ?? null, shards[5] ?? null],
      4,
      2,
      size,
      0,
      size,
    ).catch((e: unknown) => e);
    expect(isStorageError(err, 'InsufficientReadQuorum')).toBe(true);
  });

  it('detects a flipped byte, reports the shard once as corrupt and still returns the right bytes', async () => {
    const shards = (await shardsPromise).map((s) => Buffer.from(s));
    const victim = shards[2] ?? Buffer.alloc(0);
    const at = shardBlockOffset(1, 4) + 8 + 1000;
    victim.writeUInt8(victim.readUInt8(at) ^ 0x40, at);
    const f = faultLog();
    const out = await decode(shards, 4, 2, size, 0, size, f);
    expect(out.equals(data)).toBe(true);
    expect(f.faults).toEqual([[2, 'corrupt']]);
  });

  it('treats a corrupt hash header like a corrupt shard', async () => {
    const shards = (await shardsPromise).map((s) => Buffer.from(s));
    const victim = shards[0] ?? Buffer.alloc(0);
    victim.writeUInt8(victim.readUInt8(3) ^ 1, 3);
    const f = faultLog();
    const out = await decode(shards, 4, 2, size, 10, 20, f);
    expect(out.equals(data.subarray(10, 30))).toBe(true);
    expect(f.faults).toEqual([[0, 'corrupt']]);
  });

  it('reports short shard streams and failing readers as missing', async () => {
    const shards = await shardsPromise;
    const short = (shards[1] ?? Buffer.alloc(0)).subarray(0, shardBlockOffset(2, 4) + 100);
    const readers: (ShardReader | null)[] = shards.map((s) => new MemoryShardReader(s));
    readers[1] = new MemoryShardReader(short);
    readers[4] = { read: () => Promise.reject(new Error('EIO')) };
    const f = faultLog();
    const out = await collect(
      decodeObject({
        codec: new RonomonCodec(4, 2),
        readers,
        objectSizeBytes: size,
        offset: 0,
        length: size,
        onFault: f.onFault,
        pool: newPool(),
      }),
    );
    expect(out.equals(data)).toBe(true);
    // Shard 1 fails at block 2; parity 4 is the first extra source tried, fails, then 5 is used.
    expect(f.faults).toEqual([
      [1, 'missing'],
      [4, 'missing'],
    ]);
  });

  it('emits the verified blocks before the one that lost quorum, then errors', async () => {
    const shards = (await shardsPromise).map((s) => Buffer.from(s));
    // Block 2 is corrupt on three shards: beyond what 4+2 can repair.
    for (const i of [0, 3, 5]) {
      const s = shards[i] ?? Buffer.alloc(0);
      const at = shardBlockOffset(2, 4) + 8 + 5;
      s.writeUInt8(s.readUInt8(at) ^ 0xff, at);
    }
    const stream = decodeObject({
      codec: new RonomonCodec(4, 2),
      readers: shards.map((s) => new MemoryShardReader(s)),
      objectSizeBytes: size,
      offset: 0,
      length: size,
      onFault: () => undefined,
      pool: newPool(),
    });
    const parts: Buffer[] = [];
    const err = await (async () => {
      for await (const chunk of stream) parts.push(chunk as Buffer);
    })().catch((e: unknown) => e);
    expect(isStorageError(err, 'InsufficientReadQuorum')).toBe(true);
    const got = Buffer.concat(parts);
    expect(got.byteLength).toBe(2 * B);
    expect(got.equals(data.subarray(0, 2 * B))).toBe(true);
  });

  it('does not read ahead of a consumer that stops reading', async () => {
    const big = 12 * B;
    const shards = await encodeToShards(pattern(big, 5), 2, 1);
    const readers = shards.map((s) => new CountingReader(new MemoryShardReader(s)));
    const stream = decodeObject({
      codec: new RonomonCodec(2, 1),
      readers,
      objectSizeBytes: big,
      offset: 0,
      length: big,
      onFault: () => undefined,
      pool: newPool(),
    });
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.pause();
    expect(first.byteLength).toBe(B / 2);
    await new Promise((r) => setTimeout(r, 50));
    const blocksRead = readers[0]?.reads.length ?? 0;
    expect(blocksRead).toBeGreaterThanOrEqual(1);
    expect(blocksRead).toBeLessThanOrEqual(3);
    stream.destroy();
  });
});

describe('decodeObject under random damage', () => {
  it('returns the right bytes for random ranges with up to m shards corrupt in random blocks', async () => {
    const k = 4;
    const m = 2;
    const size = 3.5 * B + 11;
    const data = pattern(size, 4242);
    const clean = await encodeToShards(data, k, m);
    const next = rng(77);
    for (let round = 0; round < 12; round++) {
      const shards = clean.map((s) => Buffer.from(s));
      // Per block, damage up to m distinct shards (flip a byte in the hash or the shard).
      for (let b = 0; b < 4; b++) {
        const victims = new Set<number>();
        while (victims.size < Math.floor(next() * (m + 1))) victims.add(Math.floor(next() * (k + m)));
        for (const v of victims) {
          const s = shards[v] ?? Buffer.alloc(0);
          const blockBytes = b < 3 ? 8 + 262_144 : 8 + 131_080;
          const at = shardBlockOffset(b, k) + Math.floor(next() * blockBytes);
          s.writeUInt8(s.readUInt8(at) ^ (1 + Math.floor(next() * 255)), at);
        }
      }
      const offset = Math.floor(next() * size);
      const length = 1 + Math.floor(next() * (size - offset - 1));
      const f = faultLog();
      const out = await decode(shards, k, m, size, offset, length, f);
      expect(out.equals(data.subarray(offset, offset + length)), `round ${round}`).toBe(true);
      expect(new Set(f.faults.map(([i]) => i)).size).toBe(f.faults.length);
    }
  });

  it('falls back to a shard that failed on an earlier block when the healthy ones cannot rebuild', async () => {
    const size = 2 * B;
    const data = pattern(size, 31);
    const shards = (await encodeToShards(data, 2, 1)).map((s) => Buffer.from(s));
    // Block 0: shard 0 corrupt. Block 1: shard 1 corrupt. 2+1 survives one bad shard per block.
    const flip = (i: number, at: number): void => {
      const s = shards[i] ?? Buffer.alloc(0);
      s.writeUInt8(s.readUInt8(at) ^ 1, at);
    };
    flip(0, 100);
    flip(1, shardBlockOffset(1, 2) + 100);
    const f = faultLog();
    const out = await decode(shards, 2, 1, size, 0, size, f);
    expect(out.equals(data)).toBe(true);
    expect(f.faults).toEqual([
      [0, 'corrupt'],
      [1, 'corrupt'],
    ]);
  });

  it('returns every pooled stripe when the consumer destroys the stream mid-way', async () => {
    const size = 6 * B;
    const shards = await encodeToShards(pattern(size, 8), 2, 1);
    const pool = newPool();
    const stream = decodeObject({
      codec: new RonomonCodec(2, 1),
      readers: [
        null,
        new MemoryShardReader(shards[1] ?? Buffer.alloc(0)),
        new MemoryShardReader(shards[2] ?? Buffer.alloc(0)),
      ],
      objectSizeBytes: size,
      offset: 0,
      length: size,
      onFault: () => undefined,
      pool,
    });
    await new Promise((resolve) => stream.once('data', resolve));
    stream.destroy();
    const deadline = Date.now() + 5000;
    while (pool.inUseBytes > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(pool.inUseBytes).toBe(0);
  });
});

describe('healShards', () => {
  const size = 2.25 * B + 3;
  const data = pattern(size, 1234);

  it('rebuilds data and parity shard streams byte for byte', async () => {
    const shards = await encodeToShards(data, 4, 2);
    const writers = shards.map(() => null as MemoryShardWriter | null);
    writers[1] = new MemoryShardWriter();
    writers[5] = new MemoryShardWriter();
    await healShards({
      codec: new RonomonCodec(4, 2),
      readers: shards.map((s, i) => (i === 1 || i === 5 ? null : new MemoryShardReader(s))),
      writers,
      objectSizeBytes: size,
      pool: newPool(),
    });
    expect(writers[1]?.bytes().equals(shards[1] ?? Buffer.alloc(1))).toBe(true);
    expect(writers[5]?.bytes().equals(shards[5] ?? Buffer.alloc(1))).toBe(true);
  });

  it('skips corrupt sources and never reads the shards it rebuilds', async () => {
    const shards = (await encodeToShards(data, 2, 2)).map((s) => Buffer.from(s));
    const original = Buffer.from(shards[0] ?? Buffer.alloc(0));
    (shards[0] ?? Buffer.alloc(1)).fill(0); // shard 0 wiped: being rebuilt
    const s1 = shards[1] ?? Buffer.alloc(1);
    s1.writeUInt8(s1.readUInt8(20) ^ 1, 20); // shard 1 corrupt in block 0
    const writers = [new MemoryShardWriter(), null, null, null];
    const wiped = new CountingReader(new MemoryShardReader(shards[0] ?? Buffer.alloc(0)));
    await healShards({
      codec: new RonomonCodec(2, 2),
      readers: [wiped, ...shards.slice(1).map((s) => new MemoryShardReader(s))],
      writers,
      objectSizeBytes: size,
      pool: newPool(),
    });
    expect(writers[0]?.bytes().equals(original)).toBe(true);
    expect(wiped.reads).toEqual([]);
  });

  it('fails with InsufficientReadQuorum when fewer than k good shards remain', async () => {
    const shards = await encodeToShards(data, 2, 1);
    const err = await healShards({
      codec: new RonomonCodec(2, 1),
      readers: [new MemoryShardReader(shards[0] ?? Buffer.alloc(0)), null, null],
      writers: [null, new MemoryShardWriter(), null],
      objectSizeBytes: size,
      pool: newPool(),
    }).catch((e: unknown) => e);
    expect(isStorageError(err, 'InsufficientReadQuorum')).toBe(true);
  });

  it('does nothing for an empty object or no targets', async () => {
    const w = new MemoryShardWriter();
    await healShards({
      codec: new RonomonCodec(1, 1),
      readers: [null, null],
      writers: [w, null],
      objectSizeBytes: 0,
      pool: newPool(),
    });
    expect(w.bytes().byteLength).toBe(0);
  });
});

/** A reader with readInto, as LocalDrive's shard handles have. */
class IntoReader implements ShardReader {
  intoReads = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly corruptAt = -1,
  ) {}
  read(offset: number, length: number): Promise<Uint8Array> {
    const out = this.data.slice(offset, offset + length);
    if (out.byteLength !== length) return Promise.reject(new RangeError('short'));
    return Promise.resolve(out);
  }
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    this.intoReads++;
    await new Promise((r) => setImmediate(r));
    if (offset + target.byteLength > this.data.byteLength) throw new RangeError('short');
    target.set(this.data.subarray(offset, offset + target.byteLength));
    if (this.corruptAt >= offset && this.corruptAt < offset + target.byteLength) {
      target[this.corruptAt - offset] = (target[this.corruptAt - offset] ?? 0) ^ 0xff;
    }
  }
}

/**
 * A destination that holds on to each chunk for a while before it counts as written (like a
 * socket with a full send buffer) and checks, when it lets go, that the bytes did not change.
 */
class SlowSink extends Writable {
  readonly parts: Buffer[] = [];
  changed = 0;
  constructor() {
    super({ highWaterMark: 64 * 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const copy = Buffer.from(chunk);
    setTimeout(() => {
      if (!copy.equals(chunk)) this.changed++;
      this.parts.push(copy);
      done();
    }, 2);
  }
}

describe('decodeObject into recycled read buffers', () => {
  it('piped into a destination, reuses pooled buffers only after the bytes were flushed', async () => {
    const size = 9 * B + 12345;
    const data = pattern(size, 99);
    const shards = await encodeToShards(data, 2, 2);
    const pool = newPool();
    const readers = shards.map((s) => new IntoReader(s));
    const sink = new SlowSink();
    await pipeline(
      decodeObject({
        codec: new RonomonCodec(2, 2),
        readers,
        objectSizeBytes: size,
        offset: 0,
        length: size,
        onFault: () => undefined,
        pool,
      }),
      sink,
    );
    expect(sink.changed).toBe(0);
    expect(Buffer.concat(sink.parts).equals(data)).toBe(true);
    expect(readers[2]?.intoReads).toBe(0);
    expect(pool.inUseBytes).toBe(0);
    // 10 blocks were read through no more than a few pooled buffers.
    expect(pool.cachedBytes).toBeGreaterThan(0);
    expect(pool.cachedBytes).toBeLessThanOrEqual(4 * (B + 16));
  });

  it('concurrent piped reads wait for the pool instead of reading into buffers beyond its budget', async () => {
    const size = 6 * B + 4321;
    const data = pattern(size, 17);
    const shards = await encodeToShards(data, 2, 2);
    // Room for two read buffers (B plus two bitrot hashes each) among four streams.
    const pool = new BufferPool({ budgetBytes: 2 * (B + 64) });
    const seen = new Set<ArrayBufferLike>();
    const sinks = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const sink = new SlowSink();
        const decoded = decodeObject({
          codec: new RonomonCodec(2, 2),
          readers: shards.map((s) => new IntoReader(s)),
          objectSizeBytes: size,
          offset: 0,
          length: size,
          onFault: () => undefined,
          pool,
        });
        decoded.on('data', (chunk: Buffer) => seen.add(chunk.buffer));
        await pipeline(decoded, sink);
        return sink;
      }),
    );
    for (const sink of sinks) {
      expect(Buffer.concat(sink.parts).equals(data)).toBe(true);
      expect(sink.changed).toBe(0);
    }
    expect(pool.inUseBytes).toBe(0);
    // Every byte came out of the pool's two buffers: no fresh allocation when it ran short.
    expect(seen.size).toBeLessThanOrEqual(2);
  });

  it('reconstructs a corrupt data shard read into a pooled buffer, for ranges too', async () => {
    const size = 4 * B + 777;
    const data = pattern(size, 5);
    const shards = await encodeToShards(data, 2, 2);
    const pool = newPool();
    for (const [offset, length] of [
      [0, size],
      [B - 10, 2 * B],
      [3 * B + 5, 700],
    ] as const) {
      const f = faultLog();
      const sink = new SlowSink();
      await pipeline(
        decodeObject({
          codec: new RonomonCodec(2, 2),
          readers: shards.map((s, i) => new IntoReader(s, i === 0 ? shardBlockOffset(1, 2) + 100 : -1)),
          objectSizeBytes: size,
          offset,
          length,
          onFault: f.onFault,
          pool,
        }),
        sink,
      );
      expect(Buffer.concat(sink.parts).equals(data.subarray(offset, offset + length))).toBe(true);
      expect(sink.changed).toBe(0);
    }
    expect(pool.inUseBytes).toBe(0);
  });

  it('hands fresh buffers to a consumer it cannot follow (async iteration) and keeps none', async () => {
    const size = 3 * B;
    const data = pattern(size, 3);
    const shards = await encodeToShards(data, 2, 2);
    const pool = newPool();
    const stream = decodeObject({
      codec: new RonomonCodec(2, 2),
      readers: shards.map((s) => new IntoReader(s)),
      objectSizeBytes: size,
      offset: 0,
      length: size,
      onFault: () => undefined,
      pool,
    });
    const held: Buffer[] = [];
    for await (const chunk of stream) held.push(chunk as Buffer);
    expect(Buffer.concat(held).equals(data)).toBe(true);
    expect(pool.inUseBytes + pool.cachedBytes).toBe(0);
  });

  it('returns or forgets every pooled buffer when the destination fails mid-way', async () => {
    const size = 8 * B;
    const shards = await encodeToShards(pattern(size, 4), 2, 2);
    const pool = newPool();
    let writes = 0;
    const failing = new Writable({
      write(_chunk, _enc, done) {
        writes++;
        if (writes === 5) done(new Error('client went away'));
        else setTimeout(done, 1);
      },
    });
    await expect(
      pipeline(
        decodeObject({
          codec: new RonomonCodec(2, 2),
          readers: shards.map((s) => new IntoReader(s)),
          objectSizeBytes: size,
          offset: 0,
          length: size,
          onFault: () => undefined,
          pool,
        }),
        failing,
      ),
    ).rejects.toThrow('client went away');
    // Let the prefetched read settle.
    for (let i = 0; i < 20 && pool.inUseBytes > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(pool.inUseBytes).toBe(0);
  });
});

describe('decodeParts', () => {
  it('streams ranges across parts in order, opening each part when reached and closing it after', async () => {
    const sizes = [2 * B + 100, B, 3 * B - 7];
    const datas = sizes.map((n, i) => pattern(n, 40 + i));
    const shardsOf = await Promise.all(datas.map((d) => encodeToShards(d, 2, 2)));
    const events: string[] = [];
    const pool = newPool();
    const slices = [
      { part: 0, offset: B + 50, length: B + 50 },
      { part: 1, offset: 0, length: B },
      { part: 2, offset: 0, length: 2 * B + 3 },
    ];
    const sink = new SlowSink();
    await pipeline(
      decodeParts({
        codec: new RonomonCodec(2, 2),
        pool,
        onFault: () => undefined,
        parts: slices.map(({ part, offset, length }) => ({
          objectSizeBytes: sizes[part] as number,
          offset,
          length,
          open: async () => {
            events.push(`open ${part}`);
            return {
              readers: (shardsOf[part] as Buffer[]).map((s) => new IntoReader(s)),
              close: async () => {
                events.push(`close ${part}`);
              },
            };
          },
        })),
      }),
      sink,
    );
    const expected = Buffer.concat(
      slices.map(({ part, offset, length }) => (datas[part] as Buffer).subarray(offset, offset + length)),
    );
    expect(Buffer.concat(sink.parts).equals(expected)).toBe(true);
    expect(sink.changed).toBe(0);
    for (let i = 0; i < 50 && events.length < 6; i++) await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual(['open 0', 'close 0', 'open 1', 'close 1', 'open 2', 'close 2']);
    expect(pool.inUseBytes).toBe(0);
  });

  it('fails the stream when a part cannot be opened, after the parts before it', async () => {
    const data = pattern(B, 8);
    const shards = await encodeToShards(data, 2, 2);
    const stream = decodeParts({
      codec: new RonomonCodec(2, 2),
      pool: newPool(),
      onFault: () => undefined,
      parts: [
        {
          objectSizeBytes: B,
          offset: 0,
          length: B,
          open: async () => ({ readers: shards.map((s) => new IntoReader(s)), close: async () => undefined }),
        },
        {
          objectSizeBytes: B,
          offset: 0,
          length: B,
          open: () => Promise.reject(new Error('part gone')),
        },
      ],
    });
    const got: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) got.push(chunk as Buffer);
      })(),
    ).rejects.toThrow('part gone');
    expect(Buffer.concat(got).equals(data)).toBe(true);
  });
});
