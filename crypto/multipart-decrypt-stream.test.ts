import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEncryptStream } from './encrypt-stream.js';
import { isCryptoError } from './errors.js';
import {
  createMultipartDecryptStream,
  planMultipartRange,
  type SealedPart,
} from './multipart-decrypt-stream.js';
import { objectBinding, PACKAGE_PLAINTEXT_BYTES, sealedSize } from './package-format.js';
import { runTransform } from './test-helpers.js';

const KiB64 = PACKAGE_PLAINTEXT_BYTES;
const key = randomBytes(32);
const binding = objectBinding('bucket', 'multi');
const aead = 'AES-256-GCM' as const;

async function sealParts(sizes: number[]): Promise<{ parts: SealedPart[]; plain: Buffer; sealed: Buffer }> {
  const parts: SealedPart[] = [];
  const plains: Buffer[] = [];
  const sealed: Buffer[] = [];
  // Parts are sealed independently, here in reverse order to show the order does not matter.
  for (let i = sizes.length - 1; i >= 0; i--) {
    const plain = randomBytes(sizes[i] ?? 0);
    const part = { partNumber: i + 1, nonceBase: randomBytes(12), plainSizeBytes: plain.byteLength };
    const s = await runTransform(
      createEncryptStream({ key, nonceBase: part.nonceBase, aead, binding, partNumber: i + 1 }),
      plain,
    );
    expect(s.byteLength).toBe(sealedSize(plain.byteLength));
    parts.unshift(part);
    plains.unshift(plain);
    sealed.unshift(s);
  }
  return { parts, plain: Buffer.concat(plains), sealed: Buffer.concat(sealed) };
}

async function read(parts: SealedPart[], sealed: Buffer, range?: { start: number; endInclusive: number }) {
  const plan = planMultipartRange(parts, range);
  const slice = sealed.subarray(plan.sealedStart, plan.sealedEndInclusive + 1);
  const out = await runTransform(createMultipartDecryptStream({ key, aead, binding }, plan), slice, [7000]);
  expect(out.byteLength).toBe(plan.takeBytes);
  return out;
}

describe('multipart decryption', () => {
  it('reads a whole object of independently sealed parts, empty parts included', async () => {
    const { parts, plain, sealed } = await sealParts([KiB64 + 5, 100, 0, 3 * KiB64]);
    expect((await read(parts, sealed)).equals(plain)).toBe(true);
  });

  it('reads an empty multipart object', async () => {
    const { parts, sealed } = await sealParts([0]);
    expect((await read(parts, sealed)).byteLength).toBe(0);
  });

  it('reads ranges inside one part and across part and package boundaries', async () => {
    const sizes = [KiB64 + 5, 100, 0, 3 * KiB64];
    const { parts, plain, sealed } = await sealParts(sizes);
    const bounds = [
      0,
      1,
      KiB64 - 1,
      KiB64,
      KiB64 + 4,
      KiB64 + 5,
      KiB64 + 104,
      KiB64 + 105,
      2 * KiB64 + 105,
      plain.byteLength - 1,
    ];
    for (const start of bounds) {
      for (const end of bounds) {
        if (end < start) continue;
        const got = await read(parts, sealed, { start, endInclusive: end });
        expect(got.equals(plain.subarray(start, end + 1)), `range ${start}-${end}`).toBe(true);
      }
    }
  });

  it('rejects parts swapped, a part truncated, and a flipped bit', async () => {
    const { parts, sealed } = await sealParts([100, 100]);
    const partBytes = sealedSize(100);
    const swapped = Buffer.concat([sealed.subarray(partBytes), sealed.subarray(0, partBytes)]);
    const plan = planMultipartRange(parts);
    for (const bad of [swapped, sealed.subarray(0, sealed.byteLength - 1)]) {
      const err = await runTransform(createMultipartDecryptStream({ key, aead, binding }, plan), bad).catch(
        (e) => e,
      );
      expect(isCryptoError(err, 'Tampered')).toBe(true);
    }
    const flipped = Buffer.from(sealed);
    flipped[partBytes + 3] = (flipped[partBytes + 3] ?? 0) ^ 4;
    const err = await runTransform(createMultipartDecryptStream({ key, aead, binding }, plan), flipped).catch(
      (e) => e,
    );
    expect(isCryptoError(err, 'Tampered')).toBe(true);
  });
});
