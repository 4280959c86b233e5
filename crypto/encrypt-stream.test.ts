import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDecryptStream } from './decrypt-stream.js';
import { createEncryptStream } from './encrypt-stream.js';
import { isCryptoError } from './errors.js';
import type { StreamKeyOptions } from './package-cipher.js';
import {
  AEAD_ALGORITHMS,
  type AeadAlgorithm,
  objectBinding,
  PACKAGE_PLAINTEXT_BYTES,
  PACKAGE_SEALED_BYTES,
  packageRangeFor,
  plainSize,
  sealedSize,
  TAG_BYTES,
} from './package-format.js';
import { patternBytes, runTransform } from './test-helpers.js';

const KiB64 = PACKAGE_PLAINTEXT_BYTES;
const SIZES = [0, 1, KiB64 - 1, KiB64, KiB64 + 1, 1024 * 1024 + 7];

function keyOptions(aead: AeadAlgorithm, overrides: Partial<StreamKeyOptions> = {}): StreamKeyOptions {
  return {
    key: Buffer.alloc(32, 0x11),
    nonceBase: Buffer.alloc(12, 0x22),
    aead,
    binding: objectBinding('bucket', 'some/key'),
    ...overrides,
  };
}

async function seal(plain: Uint8Array, opts: StreamKeyOptions, chunks?: number[]): Promise<Buffer> {
  return runTransform(createEncryptStream(opts), plain, chunks);
}

async function open(
  sealed: Uint8Array,
  opts: StreamKeyOptions & Parameters<typeof createDecryptStream>[0],
  chunks?: number[],
): Promise<Buffer> {
  return runTransform(createDecryptStream(opts), sealed, chunks);
}

async function expectTampered(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCryptoError(err, 'Tampered'), `expected CryptoError Tampered, got ${String(err)}`).toBe(true);
}

describe.each(AEAD_ALGORITHMS)('%s streams', (aead) => {
  const opts = keyOptions(aead);

  it.each(SIZES)('round-trips %i bytes, with sealed size plaintext + 16 per package', async (size) => {
    const plain = randomBytes(size);
    const sealed = await seal(plain, opts);
    expect(sealed.byteLength).toBe(sealedSize(size));
    expect(plainSize(sealed.byteLength)).toBe(size);
    expect((await open(sealed, opts)).equals(plain)).toBe(true);
  });

  it('produces the same bytes however the input and the sealed stream are chunked', async () => {
    const plain = randomBytes(3 * KiB64 + 100);
    const whole = await seal(plain, opts);
    for (const chunks of [[1], [7, 65536, 3], [KiB64], [KiB64 + 1], [2 * KiB64], [100_000, 1]]) {
      expect((await seal(plain, opts, chunks)).equals(whole)).toBe(true);
    }
    for (const chunks of [
      [1, 4096],
      [PACKAGE_SEALED_BYTES],
      [PACKAGE_SEALED_BYTES - 1],
      [PACKAGE_SEALED_BYTES + 1],
    ]) {
      expect((await open(whole, opts, chunks)).equals(plain)).toBe(true);
    }
  });

  it('decrypts package ranges at and around package boundaries', async () => {
    const size = 4 * KiB64 + 123;
    const plain = randomBytes(size);
    const sealed = await seal(plain, opts);
    const points = [
      0,
      1,
      KiB64 - 1,
      KiB64,
      KiB64 + 1,
      2 * KiB64 - 1,
      2 * KiB64,
      4 * KiB64 - 1,
      4 * KiB64,
      size - 1,
    ];
    for (const start of points) {
      for (const end of points) {
        if (end < start) continue;
        const range = packageRangeFor(size, start, end);
        const slice = sealed.subarray(range.sealedStart, range.sealedEndInclusive + 1);
        const got = await open(slice, { ...opts, range }, [5000]);
        expect(got.equals(plain.subarray(start, end + 1)), `range ${start}-${end}`).toBe(true);
      }
    }
  });

  it('rejects a flipped byte in the ciphertext or in a tag', async () => {
    const plain = randomBytes(2 * KiB64 + 10);
    const sealed = await seal(plain, opts);
    for (const at of [0, KiB64 - 1, KiB64 + 3, PACKAGE_SEALED_BYTES + 5, sealed.byteLength - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      await expectTampered(open(bad, opts));
    }
  });

  it('emits no plaintext of a package that fails authentication', async () => {
    const plain = randomBytes(2 * KiB64);
    const sealed = await seal(plain, opts);
    const bad = Buffer.from(sealed);
    bad[PACKAGE_SEALED_BYTES + 10] = (bad[PACKAGE_SEALED_BYTES + 10] ?? 0) ^ 0x80;
    const received: Buffer[] = [];
    const stream = createDecryptStream(opts);
    stream.on('data', (c: Buffer) => received.push(c));
    const failed = new Promise<unknown>((resolve) => stream.on('error', resolve));
    stream.end(bad);
    expect(isCryptoError(await failed, 'Tampered')).toBe(true);
    // The first (intact) package may have been delivered; nothing of the second.
    expect(Buffer.concat(received).equals(plain.subarray(0, Buffer.concat(received).byteLength))).toBe(true);
    expect(Buffer.concat(received).byteLength).toBeLessThanOrEqual(KiB64);
  });

  it('rejects truncation: the last package dropped, cut inside a package, or everything', async () => {
    const sealed = await seal(randomBytes(3 * KiB64 + 5), opts);
    await expectTampered(open(sealed.subarray(0, 3 * PACKAGE_SEALED_BYTES), opts));
    await expectTampered(open(sealed.subarray(0, sealed.byteLength - 1), opts));
    await expectTampered(open(sealed.subarray(0, 2 * PACKAGE_SEALED_BYTES + 100), opts));
    await expectTampered(open(Buffer.alloc(0), opts));
    // Exactly full packages: dropping the (full) final one leaves a non-final package last.
    const full = await seal(randomBytes(2 * KiB64), opts);
    await expectTampered(open(full.subarray(0, PACKAGE_SEALED_BYTES), opts));
    // An empty object truncated to nothing.
    expect((await seal(Buffer.alloc(0), opts)).byteLength).toBe(TAG_BYTES);
  });

  it('rejects truncation when reading a range', async () => {
    const size = 3 * KiB64 + 5;
    const sealed = await seal(randomBytes(size), opts);
    const range = packageRangeFor(size, 10, size - 1);
    const slice = sealed.subarray(range.sealedStart, range.sealedEndInclusive + 1);
    await expectTampered(
      open(slice.subarray(0, slice.byteLength - PACKAGE_SEALED_BYTES + 11), { ...opts, range }),
    );
    await expectTampered(open(slice.subarray(0, 2 * PACKAGE_SEALED_BYTES), { ...opts, range }));
    await expectTampered(open(Buffer.concat([slice, Buffer.alloc(1)]), { ...opts, range }));
  });

  it('rejects a dropped middle package, two packages swapped, and bytes appended', async () => {
    const sealed = await seal(randomBytes(3 * KiB64 + 5), opts);
    const p = (i: number) => sealed.subarray(i * PACKAGE_SEALED_BYTES, (i + 1) * PACKAGE_SEALED_BYTES);
    await expectTampered(open(Buffer.concat([p(0), p(2), p(3)]), opts));
    await expectTampered(open(Buffer.concat([p(1), p(0), p(2), p(3)]), opts));
    await expectTampered(open(Buffer.concat([sealed, p(0)]), opts));
    await expectTampered(open(Buffer.concat([sealed, Buffer.alloc(1)]), opts));
  });

  it('rejects a package spliced from another object sealed with the same key and nonce base', async () => {
    const other = keyOptions(aead, { binding: objectBinding('bucket', 'other/key') });
    const a = await seal(randomBytes(2 * KiB64 + 5), opts);
    const b = await seal(randomBytes(2 * KiB64 + 5), other);
    const spliced = Buffer.concat([a.subarray(0, PACKAGE_SEALED_BYTES), b.subarray(PACKAGE_SEALED_BYTES)]);
    await expectTampered(open(spliced, opts));
    // The whole stream of one object does not open as the other.
    await expectTampered(open(b, opts));
  });

  it('keeps parts apart: a part does not open under another part number', async () => {
    const part1 = keyOptions(aead, { partNumber: 1 });
    const sealed = await seal(randomBytes(1000), part1);
    expect((await open(sealed, part1)).byteLength).toBe(1000);
    await expectTampered(open(sealed, keyOptions(aead, { partNumber: 2 })));
    await expectTampered(open(sealed, opts));
  });

  it('fails with the wrong key, nonce base or algorithm', async () => {
    const sealed = await seal(patternBytes(100), opts);
    await expectTampered(open(sealed, keyOptions(aead, { key: Buffer.alloc(32, 0x12) })));
    await expectTampered(open(sealed, keyOptions(aead, { nonceBase: Buffer.alloc(12, 0x23) })));
    const otherAead = AEAD_ALGORITHMS.find((a) => a !== aead) ?? aead;
    await expectTampered(open(sealed, keyOptions(otherAead)));
  });
});
