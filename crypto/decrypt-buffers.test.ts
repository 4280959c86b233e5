import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { BufferLender } from '../common/index.js';
import { createDecryptStream } from './decrypt-stream.js';
import { createEncryptStream } from './encrypt-stream.js';
import { createMultipartDecryptStream, planMultipartRange } from './multipart-decrypt-stream.js';
import type { StreamKeyOptions } from './package-cipher.js';
import { objectBinding, sealedSize } from './package-format.js';
import { runTransform } from './test-helpers.js';

/** A lender of at most `limit` buffers that records what happened to each. */
class CountingLender implements BufferLender {
  acquired = 0;
  released = 0;
  forgotten = 0;
  private readonly free: Buffer[] = [];
  private readonly out = new Set<Buffer>();
  constructor(private readonly limit: number) {}

  tryAcquire(size: number): Buffer | null {
    if (this.out.size >= this.limit) return null;
    const buf = this.free.pop() ?? Buffer.alloc(size);
    // Old contents are garbage to the borrower: make any early reuse visible.
    buf.fill(0xcc);
    this.out.add(buf);
    this.acquired++;
    return buf;
  }

  release(buf: Buffer): void {
    if (!this.out.delete(buf)) throw new Error('released a buffer not lent');
    this.released++;
    this.free.push(buf);
  }

  forget(buf: Buffer): void {
    if (!this.out.delete(buf)) throw new Error('forgot a buffer not lent');
    this.forgotten++;
  }

  get outstanding(): number {
    return this.out.size;
  }
}

/**
 * Like an HTTP response over a slow socket: counts written bytes as unflushed
 * (writableLength) until it has "sent" them, a few milliseconds later, by copying them out;
 * chunk contents are only read then, so a buffer reused before its bytes left shows up as
 * wrong data. Its high-water mark is large, so the source keeps producing meanwhile.
 */
function slowSink(received: Buffer[], opts: { failAfterBytes?: number } = {}): Writable {
  let seen = 0;
  return new Writable({
    highWaterMark: 16 * 1024 * 1024,
    write(chunk: Buffer, _enc, callback): void {
      setTimeout(() => {
        received.push(Buffer.from(chunk));
        seen += chunk.byteLength;
        if (opts.failAfterBytes !== undefined && seen > opts.failAfterBytes)
          callback(new Error('client went away'));
        else callback();
      }, 1);
    },
  });
}

const keyOpts: StreamKeyOptions = {
  key: Buffer.alloc(32, 3),
  nonceBase: Buffer.alloc(12, 4),
  aead: 'AES-256-GCM',
  binding: objectBinding('b', 'k'),
};

/** The sealed stream in storage-sized chunks (1 MiB), fresh each time; `delayMs` between chunks. */
function sealedChunks(sealed: Buffer, delayMs = 0): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let pos = 0; pos < sealed.byteLength; pos += 1024 * 1024) {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      yield Buffer.from(sealed.subarray(pos, pos + 1024 * 1024));
    }
  }
  return Readable.from(chunks());
}

describe('decrypting into lent buffers', () => {
  it('never reuses a buffer whose bytes the destination still holds, and returns all of them', async () => {
    const plain = randomBytes(12 * 1024 * 1024 + 12345);
    const sealed = await runTransform(createEncryptStream(keyOpts), plain, [1024 * 1024]);
    expect(sealed.byteLength).toBe(sealedSize(plain.byteLength));
    const lender = new CountingLender(3);
    const received: Buffer[] = [];
    // A fast source and a slow sink: the sink holds several buffers' bytes at once.
    await pipeline(sealedChunks(sealed), createDecryptStream(keyOpts, lender), slowSink(received));
    expect(Buffer.concat(received).equals(plain)).toBe(true);
    expect(lender.acquired).toBeGreaterThan(0);
    expect(lender.released).toBe(lender.acquired);
    expect(lender.outstanding).toBe(0);
  });

  it('lends the same buffers again once the destination flushed them', async () => {
    const plain = randomBytes(8 * 1024 * 1024);
    const sealed = await runTransform(createEncryptStream(keyOpts), plain, [1024 * 1024]);
    const lender = new CountingLender(2);
    const received: Buffer[] = [];
    // A source slower than the sink: each buffer's bytes are gone before the next read.
    await pipeline(sealedChunks(sealed, 20), createDecryptStream(keyOpts, lender), slowSink(received));
    expect(Buffer.concat(received).equals(plain)).toBe(true);
    // Two buffers served an 8 MiB object: they came back and were lent again.
    expect(lender.acquired).toBeGreaterThan(4);
    expect(lender.outstanding).toBe(0);
  });

  it('multipart objects and ranges too', async () => {
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(3 * 1024 * 1024 + 17)];
    const sealedParts = await Promise.all(
      parts.map((p, i) =>
        runTransform(
          createEncryptStream({ ...keyOpts, partNumber: i + 1, nonceBase: Buffer.alloc(12, i + 9) }),
          p,
          [1024 * 1024],
        ),
      ),
    );
    const plan = planMultipartRange(
      parts.map((p, i) => ({
        partNumber: i + 1,
        nonceBase: Buffer.alloc(12, i + 9),
        plainSizeBytes: p.byteLength,
      })),
      { start: 100_000, endInclusive: 6 * 1024 * 1024 },
    );
    const whole = Buffer.concat(sealedParts);
    const selected = whole.subarray(plan.sealedStart, plan.sealedEndInclusive + 1);
    const lender = new CountingLender(2);
    const received: Buffer[] = [];
    await pipeline(
      sealedChunks(selected, 20),
      createMultipartDecryptStream(
        { key: keyOpts.key, aead: keyOpts.aead, binding: keyOpts.binding },
        plan,
        lender,
      ),
      slowSink(received),
    );
    expect(Buffer.concat(received).equals(Buffer.concat(parts).subarray(100_000, 6 * 1024 * 1024 + 1))).toBe(
      true,
    );
    expect(lender.acquired).toBeGreaterThan(2);
    expect(lender.outstanding).toBe(0);
  });

  it('lends nothing to a consumer it cannot follow (async iteration)', async () => {
    const plain = randomBytes(3 * 1024 * 1024);
    const sealed = await runTransform(createEncryptStream(keyOpts), plain);
    const lender = new CountingLender(4);
    const out: Buffer[] = [];
    const decrypt = createDecryptStream(keyOpts, lender);
    sealedChunks(sealed).pipe(decrypt);
    for await (const chunk of decrypt) out.push(chunk as Buffer);
    expect(Buffer.concat(out).equals(plain)).toBe(true);
    expect(lender.acquired).toBe(0);
  });

  it('a destination that fails mid-way: lent buffers are written off, none reused', async () => {
    const plain = randomBytes(8 * 1024 * 1024);
    const sealed = await runTransform(createEncryptStream(keyOpts), plain);
    const lender = new CountingLender(3);
    const received: Buffer[] = [];
    await expect(
      pipeline(
        sealedChunks(sealed),
        createDecryptStream(keyOpts, lender),
        slowSink(received, { failAfterBytes: 2 * 1024 * 1024 }),
      ),
    ).rejects.toThrow('client went away');
    // Let the destroyed streams settle.
    await new Promise((r) => setTimeout(r, 20));
    expect(lender.outstanding).toBe(0);
    expect(lender.forgotten).toBeGreaterThan(0);
    // What did arrive is the right plaintext.
    const got = Buffer.concat(received);
    expect(got.equals(plain.subarray(0, got.byteLength))).toBe(true);
  });
});
