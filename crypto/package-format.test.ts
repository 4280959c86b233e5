import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDecryptStream } from './decrypt-stream.js';
import { createEncryptStream } from './encrypt-stream.js';
import { isCryptoError } from './errors.js';
import {
  type AeadAlgorithm,
  objectBinding,
  PACKAGE_PLAINTEXT_BYTES,
  PACKAGE_SEALED_BYTES,
  packageCount,
  packageKey,
  packageNonce,
  packageRangeFor,
  plainSize,
  sealedSize,
} from './package-format.js';
import { patternBytes, runTransform } from './test-helpers.js';

interface GoldenCase {
  aead: AeadAlgorithm;
  partNumber: number;
  plaintextBytes: number;
  sealedHex?: string;
  sealedBytes?: number;
  sealedSha256?: string;
  firstTagHex?: string;
  lastPackageHex?: string;
}

const golden = JSON.parse(
  readFileSync(new URL('./fixtures/package-format-v1.json', import.meta.url), 'utf8'),
) as {
  objectKeyHex: string;
  nonceBaseHex: string;
  bucket: string;
  key: string;
  bindingHex: string;
  cases: GoldenCase[];
};

const objectKey = Buffer.from(golden.objectKeyHex, 'hex');
const nonceBase = Buffer.from(golden.nonceBaseHex, 'hex');
const binding = Buffer.from(golden.bindingHex, 'hex');

/** The format written out from docs/encryption-format.md with nothing but node:crypto primitives. */
function referenceSeal(aead: AeadAlgorithm, partNumber: number, plain: Buffer): Buffer {
  // HKDF-SHA256 (RFC 5869) by hand: extract with an empty salt, one expand block.
  const prk = createHmac('sha256', Buffer.alloc(32)).update(objectKey).digest();
  const info = Buffer.concat([
    Buffer.from('strata/sse/v1/package-key'),
    Buffer.from([aead === 'AES-256-GCM' ? 1 : 2]),
    u32(partNumber),
  ]);
  const key = createHmac('sha256', prk)
    .update(Buffer.concat([info, Buffer.from([1])]))
    .digest();
  const packages = Math.max(1, Math.ceil(plain.byteLength / PACKAGE_PLAINTEXT_BYTES));
  const out: Buffer[] = [];
  for (let i = 0; i < packages; i++) {
    const nonce = Buffer.from(nonceBase);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ i) >>> 0, 8);
    const final = i === packages - 1;
    const aad = Buffer.concat([
      Buffer.from([1, aead === 'AES-256-GCM' ? 1 : 2, final ? 1 : 0, 0]),
      u32(partNumber),
      u32(0),
      u32(i),
      binding,
    ]);
    const cipher = createCipheriv(
      (aead === 'AES-256-GCM' ? 'aes-256-gcm' : 'chacha20-poly1305') as 'aes-256-gcm',
      key,
      nonce,
      { authTagLength: 16 },
    );
    cipher.setAAD(aad);
    out.push(cipher.update(plain.subarray(i * PACKAGE_PLAINTEXT_BYTES, (i + 1) * PACKAGE_PLAINTEXT_BYTES)));
    cipher.final();
    out.push(cipher.getAuthTag());
  }
  return Buffer.concat(out);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('package format v1 golden fixture (crypto/fixtures/package-format-v1.json)', () => {
  it('derives the object binding from bucket and key', () => {
    expect(objectBinding(golden.bucket, golden.key).toString('hex')).toBe(golden.bindingHex);
  });

  it.each(golden.cases)(
    '$aead part $partNumber, $plaintextBytes bytes: sealed bytes are exactly the fixture',
    async (c) => {
      const plain = patternBytes(c.plaintextBytes);
      const sealed = await runTransform(
        createEncryptStream({ key: objectKey, nonceBase, aead: c.aead, binding, partNumber: c.partNumber }),
        plain,
      );
      if (c.sealedHex !== undefined) {
        expect(sealed.toString('hex')).toBe(c.sealedHex);
      } else {
        expect(sealed.byteLength).toBe(c.sealedBytes);
        expect(sealed.subarray(PACKAGE_SEALED_BYTES - 16, PACKAGE_SEALED_BYTES).toString('hex')).toBe(
          c.firstTagHex,
        );
        expect(sealed.subarray(PACKAGE_SEALED_BYTES).toString('hex')).toBe(c.lastPackageHex);
        expect(createHash('sha256').update(sealed).digest('hex')).toBe(c.sealedSha256);
      }
      // The specification, implemented independently, gives the same bytes.
      expect(referenceSeal(c.aead, c.partNumber, plain).equals(sealed)).toBe(true);
      // And the fixture still opens.
      const opened = await runTransform(
        createDecryptStream({ key: objectKey, nonceBase, aead: c.aead, binding, partNumber: c.partNumber }),
        sealed,
      );
      expect(opened.equals(plain)).toBe(true);
    },
  );
});

describe('package arithmetic', () => {
  it('counts packages and sealed sizes', () => {
    expect([0, 1, 65535, 65536, 65537, 131072].map(packageCount)).toEqual([1, 1, 1, 1, 2, 2]);
    expect([0, 1, 65536, 65537].map(sealedSize)).toEqual([16, 17, 65552, 65569]);
    expect(sealedSize(5 * 1024 ** 4)).toBe(5 * 1024 ** 4 + (16 * 5 * 1024 ** 4) / 65536);
  });

  it('inverts sealedSize, and refuses sizes no sealed stream has', () => {
    for (const n of [0, 1, 15, 16, 17, 65535, 65536, 65537, 65536 * 3 + 1, 10 ** 9 + 7]) {
      expect(plainSize(sealedSize(n))).toBe(n);
    }
    for (const bad of [
      0,
      1,
      15,
      PACKAGE_SEALED_BYTES + 1,
      PACKAGE_SEALED_BYTES + 16,
      2 * PACKAGE_SEALED_BYTES + 3,
    ]) {
      expect(() => plainSize(bad)).toThrow(expect.objectContaining({ code: 'InvalidFormat' }));
    }
  });

  it('XORs the package index into the last 4 bytes of the nonce base', () => {
    const out = Buffer.alloc(12);
    packageNonce(Buffer.from('000000000000000000000000', 'hex'), 0x01020304, out);
    expect(out.toString('hex')).toBe('000000000000000001020304');
    packageNonce(Buffer.from('aaaaaaaaaaaaaaaaffffffff', 'hex'), 1, out);
    expect(out.toString('hex')).toBe('aaaaaaaaaaaaaaaafffffffe');
  });

  it('derives a different package key per part and per AEAD', () => {
    const keys = new Set(
      [0, 1, 2, 10000].flatMap((part) =>
        (['AES-256-GCM', 'ChaCha20-Poly1305'] as const).map((a) =>
          packageKey(objectKey, a, part).toString('hex'),
        ),
      ),
    );
    expect(keys.size).toBe(8);
  });

  it('maps plaintext ranges to whole packages', () => {
    const size = 3 * PACKAGE_PLAINTEXT_BYTES + 10;
    expect(packageRangeFor(size, 0, 0)).toEqual({
      firstPackageIndex: 0,
      packageCount: 1,
      totalPackages: 4,
      sealedStart: 0,
      sealedEndInclusive: PACKAGE_SEALED_BYTES - 1,
      skipBytes: 0,
      takeBytes: 1,
    });
    expect(packageRangeFor(size, PACKAGE_PLAINTEXT_BYTES - 1, PACKAGE_PLAINTEXT_BYTES)).toMatchObject({
      firstPackageIndex: 0,
      packageCount: 2,
      sealedStart: 0,
      sealedEndInclusive: 2 * PACKAGE_SEALED_BYTES - 1,
      skipBytes: PACKAGE_PLAINTEXT_BYTES - 1,
      takeBytes: 2,
    });
    expect(packageRangeFor(size, 3 * PACKAGE_PLAINTEXT_BYTES, size - 1)).toMatchObject({
      firstPackageIndex: 3,
      packageCount: 1,
      sealedStart: 3 * PACKAGE_SEALED_BYTES,
      sealedEndInclusive: sealedSize(size) - 1,
      skipBytes: 0,
      takeBytes: 10,
    });
    expect(packageRangeFor(100, 5, 99)).toMatchObject({
      sealedStart: 0,
      sealedEndInclusive: 115,
      skipBytes: 5,
    });
    for (const [s, e] of [
      [-1, 0],
      [5, 4],
      [0, size],
    ] as const) {
      let err: unknown;
      try {
        packageRangeFor(size, s, e);
      } catch (caught) {
        err = caught;
      }
      expect(isCryptoError(err, 'InvalidRange')).toBe(true);
    }
  });
});
