import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksumOf } from './checksums/index.js';
import {
  type CrcAlgorithm,
  crcCombine,
  defaultChecksumType,
  multipartChecksum,
  supportsChecksumType,
} from './multipart-checksum.js';
import { multipartEtag } from './multipart-etag.js';

const MiB = 1024 * 1024;
const big = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const filled = (size: number, ch: string): Buffer => Buffer.alloc(size, ch);

describe('crcCombine', () => {
  it.each(['CRC32', 'CRC32C', 'CRC64NVME'] as CrcAlgorithm[])(
    '%s of A‖B equals the combine of crc(A), crc(B) and |B| for many splits',
    async (alg) => {
      for (const [aLen, bLen] of [
        [0, 0],
        [0, 5],
        [5, 0],
        [1, 1],
        [7, 13],
        [1000, 65_537],
        [100_003, 1],
        [3, 300_001],
      ] as const) {
        const a = randomBytes(aLen);
        const b = randomBytes(bLen);
        const whole = big(await checksumOf(alg, Buffer.concat([a, b])));
        const combined = crcCombine(alg, big(await checksumOf(alg, a)), big(await checksumOf(alg, b)), bLen);
        expect(combined.toString(16), `${aLen}+${bLen}`).toBe(whole.toString(16));
      }
    },
  );

  it.each(['CRC32', 'CRC32C', 'CRC64NVME'] as CrcAlgorithm[])(
    '%s FULL_OBJECT of many unequal parts equals the CRC of the whole object',
    async (alg) => {
      const sizes = [5 * MiB, 5 * MiB, 123, 5 * MiB, 1];
      const parts = sizes.map((n) => randomBytes(n));
      const infos = [];
      for (const p of parts) infos.push({ sizeBytes: p.length, checksum: await checksumOf(alg, p) });
      const whole = Buffer.from(await checksumOf(alg, Buffer.concat(parts))).toString('base64');
      expect(multipartChecksum(alg, 'FULL_OBJECT', infos)).toBe(whole);
    },
  );
});

describe('multipartChecksum', () => {
  // Parts of 5 MiB of 'A', 'B', 'C': vectors from ceph/s3-tests (test_multipart_use_cksum_helper_*),
  // which were checked against Amazon S3.
  const bodies = [filled(5 * MiB, 'A'), filled(5 * MiB, 'B'), filled(5 * MiB, 'C')];
  const partsOf = async (alg: 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256') => {
    const out = [];
    for (const b of bodies) out.push({ sizeBytes: b.length, checksum: await checksumOf(alg, b) });
    return out;
  };

  it.each([
    ['CRC32', 'FULL_OBJECT', 'WgDhBQ=='],
    ['CRC32C', 'FULL_OBJECT', 'xU+Krw=='],
    ['CRC64NVME', 'FULL_OBJECT', 'i+6LR0y3eFo='],
    ['SHA256', 'COMPOSITE', 'uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3'],
    ['SHA1', 'COMPOSITE', 'sizjvY4eud3MrcHdZM3cQ/ol39o=-3'],
  ] as const)('%s %s of three 5 MiB parts is %s', async (alg, type, want) => {
    expect(multipartChecksum(alg, type, await partsOf(alg))).toBe(want);
  });

  it('COMPOSITE is the checksum of the concatenated raw part checksums with -N', async () => {
    const parts = await partsOf('CRC32');
    const raw = Buffer.concat(parts.map((p) => Buffer.from(p.checksum)));
    const want = `${Buffer.from(await checksumOf('CRC32', raw)).toString('base64')}-3`;
    expect(multipartChecksum('CRC32', 'COMPOSITE', parts)).toBe(want);
  });

  it('knows which algorithm goes with which type, and the defaults', () => {
    expect(supportsChecksumType('SHA256', 'FULL_OBJECT')).toBe(false);
    expect(supportsChecksumType('CRC64NVME', 'COMPOSITE')).toBe(false);
    expect(supportsChecksumType('CRC32', 'COMPOSITE')).toBe(true);
    expect(defaultChecksumType('CRC64NVME')).toBe('FULL_OBJECT');
    expect(defaultChecksumType('CRC32')).toBe('COMPOSITE');
    expect(() => multipartChecksum('SHA1', 'FULL_OBJECT', [])).toThrow();
  });
});

describe('multipartEtag', () => {
  it('is the MD5 of the binary part MD5s with the part count (s3-tests vector)', async () => {
    const etags = [];
    for (const b of [filled(5 * MiB, 'A'), filled(5 * MiB, 'B'), filled(5 * MiB, 'C')]) {
      etags.push(Buffer.from(await checksumOf('MD5', b)).toString('hex'));
    }
    expect(multipartEtag(etags)).toBe('b2add96cc9702bbf4efb0ccdfc6b7747-3');
  });

  it('of one part is not that part’s MD5', () => {
    const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
    expect(multipartEtag([md5])).toMatch(/^[0-9a-f]{32}-1$/);
    expect(multipartEtag([md5]).startsWith(md5)).toBe(false);
  });
});
