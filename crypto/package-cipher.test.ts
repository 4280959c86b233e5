import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCryptoError } from './errors.js';
import { nativeAead } from './native-aead.js';
import { PackageCipher, type StreamKeyOptions } from './package-cipher.js';
import {
  AEAD_ALGORITHMS,
  AEAD_IDS,
  type AeadAlgorithm,
  objectBinding,
  PACKAGE_PLAINTEXT_BYTES,
  PACKAGE_SEALED_BYTES,
  sealedSize,
  TAG_BYTES,
} from './package-format.js';

const P = PACKAGE_PLAINTEXT_BYTES;
/** Run sizes: empty, one byte, package edges, a full run of 16 and a ragged last package. */
const SIZES = [0, 1, P - 1, P, P + 1, 3 * P + 5, 16 * P];

function options(aead: AeadAlgorithm, partNumber = 0): StreamKeyOptions {
  return {
    key: Buffer.alloc(32, 0x5a),
    nonceBase: Buffer.alloc(12, 0xa5),
    aead,
    binding: objectBinding('bucket', 'cipher/test'),
    partNumber,
  };
}

function sealRun(cipher: PackageCipher, plain: Buffer, first: number, final: boolean): Buffer {
  const out = Buffer.alloc(sealedSize(plain.byteLength));
  cipher.sealPackages(plain, first, final, out);
  return out;
}

function openRun(cipher: PackageCipher, sealed: Buffer, first: number, final: boolean): Buffer {
  const n = Math.max(1, Math.ceil(sealed.byteLength / PACKAGE_SEALED_BYTES));
  const out = Buffer.alloc(sealed.byteLength - n * TAG_BYTES);
  cipher.openPackages(sealed, first, final, out);
  return out;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('native/aead', () => {
  it('is built: npm ci compiles it, and without it SSE runs on the slower node:crypto path', () => {
    expect(nativeAead).not.toBeNull();
  });
});

describe.each(AEAD_ALGORITHMS)('PackageCipher runs, %s', (aead) => {
  const native = new PackageCipher(options(aead, 3));
  const node = new PackageCipher(options(aead, 3), null);

  it.each(SIZES)(
    'native and node:crypto seal %i bytes to the same bytes, and each opens the other',
    (size) => {
      const plain = randomBytes(size);
      for (const [first, final] of [
        [0, true],
        [7, false],
        [2 ** 32 - 20, true],
      ] as const) {
        if (!final && size % P !== 0) continue; // only a final package may be short
        if (size === 0 && first !== 0) continue; // only a stream's package 0 may be empty
        const a = sealRun(native, plain, first, final);
        const b = sealRun(node, plain, first, final);
        expect(a.equals(b)).toBe(true);
        expect(openRun(node, a, first, final).equals(plain)).toBe(true);
        expect(openRun(native, b, first, final).equals(plain)).toBe(true);
      }
    },
  );

  it('a run equals the same packages sealed one by one', () => {
    const plain = randomBytes(3 * P + 100);
    const run = sealRun(native, plain, 4, true);
    for (let i = 0; i < 4; i++) {
      const [ct, tag] = node.seal(
        plain.subarray(i * P, Math.min(plain.byteLength, (i + 1) * P)),
        4 + i,
        i === 3,
      );
      const at = i * PACKAGE_SEALED_BYTES;
      expect(run.subarray(at, at + ct.byteLength + TAG_BYTES).equals(Buffer.concat([ct, tag]))).toBe(true);
    }
  });

  it.each([
    ['native', native],
    ['node:crypto', node],
  ] as const)(
    '%s: a flipped bit fails that package, and no unverified plaintext is left',
    (_name, cipher) => {
      const plain = randomBytes(5 * P);
      const sealed = sealRun(cipher, plain, 0, true);
      const at = 2 * PACKAGE_SEALED_BYTES + 17;
      sealed.writeUInt8(sealed.readUInt8(at) ^ 0x01, at);
      const out = Buffer.alloc(plain.byteLength, 0xee);
      const err = thrown(() => cipher.openPackages(sealed, 0, true, out));
      expect(isCryptoError(err, 'Tampered')).toBe(true);
      expect((err as Error).message).toContain('package 2');
      if (cipher === native) expect(out.subarray(2 * P).every((b) => b === 0)).toBe(true);
    },
  );

  it.each([
    ['native', native],
    ['node:crypto', node],
  ] as const)(
    '%s: wrong index, final flag, part or key fail; impossible sizes are refused',
    (_name, cipher) => {
      const plain = randomBytes(2 * P + 9);
      const sealed = sealRun(cipher, plain, 10, true);
      const tampered = (fn: () => unknown): boolean => isCryptoError(thrown(fn), 'Tampered');
      expect(tampered(() => openRun(cipher, sealed, 11, true))).toBe(true);
      expect(tampered(() => openRun(cipher, sealed, 10, false))).toBe(true);
      expect(tampered(() => openRun(new PackageCipher(options(aead, 4), null), sealed, 10, true))).toBe(true);
      const otherKey = new PackageCipher({ ...options(aead, 3), key: Buffer.alloc(32, 1) });
      expect(tampered(() => openRun(otherKey, sealed, 10, true))).toBe(true);
      // Truncated: a short package that is not the final one; a last package under a tag.
      expect(tampered(() => openRun(cipher, sealed.subarray(0, sealed.byteLength - 1), 10, false))).toBe(
        true,
      );
      expect(tampered(() => openRun(cipher, sealed.subarray(0, PACKAGE_SEALED_BYTES + 5), 10, true))).toBe(
        true,
      );
      // An empty final package after others.
      const empty = sealRun(cipher, Buffer.alloc(0), 0, true);
      expect(tampered(() => openRun(cipher, empty, 1, true))).toBe(true);
      // Output of the wrong size.
      expect(() => cipher.openPackages(sealed, 10, true, Buffer.alloc(5))).toThrow(RangeError);
      expect(() => cipher.sealPackages(plain, 0, true, Buffer.alloc(plain.byteLength))).toThrow(RangeError);
    },
  );
});

describe.runIf(nativeAead !== null)('native/aead arguments', () => {
  const aead = nativeAead as NonNullable<typeof nativeAead>;
  const key = Buffer.alloc(32, 1);
  const nonces = Buffer.alloc(24);
  const aads = Buffer.alloc(96);
  const id = AEAD_IDS['AES-256-GCM'];

  it('refuses mismatched sizes, bad ids and keys, and overlapping buffers, writing nothing', () => {
    const plain = Buffer.alloc(P + 1);
    const sealed = Buffer.alloc(P + 1 + 2 * TAG_BYTES, 0x77);
    expect(() => aead.seal(id, key, nonces, aads, 48, plain, sealed.subarray(1), P)).toThrow(RangeError);
    expect(() => aead.seal(id, key, nonces, aads, 48, Buffer.alloc(P), sealed, P)).toThrow(RangeError);
    expect(() => aead.seal(9, key, nonces, aads, 48, plain, sealed, P)).toThrow(TypeError);
    expect(() => aead.seal(id, key.subarray(1), nonces, aads, 48, plain, sealed, P)).toThrow(TypeError);
    expect(() => aead.seal(id, key, nonces, aads.subarray(1), 48, plain, sealed, P)).toThrow(TypeError);
    expect(() => aead.seal(id, key, nonces.subarray(1), aads, 48, plain, sealed, P)).toThrow(TypeError);
    expect(sealed.every((b) => b === 0x77)).toBe(true);
    const shared = Buffer.alloc(2 * (P + 1) + 2 * TAG_BYTES);
    expect(() =>
      aead.seal(
        id,
        key,
        nonces,
        aads,
        48,
        shared.subarray(0, P + 1),
        shared.subarray(P, 2 * P + 1 + 2 * TAG_BYTES),
        P,
      ),
    ).toThrow(RangeError);
  });
});
