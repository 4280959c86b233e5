import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
// The AWS SDK's own CRC implementations (a transitive dependency of @aws-sdk/client-s3): the oracle
// for "our checksum equals what the SDK will send".
import { Crc32, Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import { describe, expect, it } from 'vitest';
import {
  CHECKSUM_HEADERS,
  CHECKSUM_LENGTH_BYTES,
  checksumHeader,
  parseChecksumAlgorithm,
} from './checksum-header.js';
import { type ChecksumAlgorithm, checksumOf, createChecksum } from './create-checksum.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const CHECK_INPUT = Buffer.from('123456789');

describe('createChecksum', () => {
  // Catalogue check values of "123456789" (reveng CRC catalogue: CRC-32/ISO-HDLC, CRC-32/ISCSI, CRC-64/NVME).
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
    ['SHA256', '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225'],
    ['MD5', '25f9e794323b453885f5181f1b624d0b'],
  ] as const)('%s of "123456789" is the catalogue check value', async (alg, expected) => {
    expect(hex(await checksumOf(alg, CHECK_INPUT))).toBe(expected);
  });

  it.each(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256', 'MD5'] as const)(
    '%s of the empty input has the right length and matches a one-shot digest',
    async (alg) => {
      const d = await checksumOf(alg, new Uint8Array(0));
      expect(d.length).toBe(CHECKSUM_LENGTH_BYTES[alg]);
    },
  );

  it.each(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256', 'MD5'] as ChecksumAlgorithm[])(
    '%s is the same fed incrementally in random pieces as in one piece',
    async (alg) => {
      const data = randomBytes(200_003);
      const whole = await checksumOf(alg, data);
      const c = createChecksum(alg);
      if (c.ready) await c.ready;
      let off = 0;
      while (off < data.length) {
        const n = Math.min(data.length - off, 1 + Math.floor(Math.random() * 5000));
        c.update(data.subarray(off, off + n));
        off += n;
      }
      expect(hex(c.digest())).toBe(hex(whole));
    },
  );

  it.each([
    ['CRC32', () => new Crc32()],
    ['CRC32C', () => new Crc32c()],
    ['CRC64NVME', () => new Crc64Nvme()],
  ] as const)('%s equals the AWS SDK implementation on random data', async (alg, make) => {
    for (const size of [0, 1, 7, 8, 1000, 65_537]) {
      const data = randomBytes(size);
      const sdk = make();
      sdk.update(data);
      expect(hex(await checksumOf(alg, data))).toBe(hex(await sdk.digest()));
    }
  });

  it('reuses pooled CRC64NVME hashers without carrying state over', async () => {
    const a = await checksumOf('CRC64NVME', Buffer.from('abc'));
    const first = createChecksum('CRC64NVME');
    if (first.ready) await first.ready;
    first.update(Buffer.from('something else entirely'));
    first.digest();
    const again = createChecksum('CRC64NVME');
    expect(again.ready).toBeUndefined(); // came from the pool
    again.update(Buffer.from('abc'));
    expect(hex(again.digest())).toBe(hex(a));
  });

  it('SHA256 matches node:crypto and base64 is what S3 puts in x-amz-checksum-sha256', async () => {
    const data = Buffer.from('Hello, World!');
    const d = await checksumOf('SHA256', data);
    expect(Buffer.from(d).toString('base64')).toBe(createHash('sha256').update(data).digest('base64'));
    // CRC32 as the SDKs send it: the 4 bytes big-endian, base64 (zlib.crc32 as the oracle).
    const be = Buffer.alloc(4);
    be.writeUInt32BE(crc32(data));
    expect(Buffer.from(await checksumOf('CRC32', data)).toString('base64')).toBe(be.toString('base64'));
  });
});

describe('checksum headers', () => {
  it('maps header names to algorithms case-insensitively', () => {
    expect(checksumHeader('x-amz-checksum-crc32')).toBe('CRC32');
    expect(checksumHeader('X-Amz-Checksum-CRC64NVME')).toBe('CRC64NVME');
    expect(checksumHeader('x-amz-checksum-md5')).toBeUndefined();
    expect(checksumHeader('x-amz-checksum-type')).toBeUndefined();
    expect(CHECKSUM_HEADERS.SHA1).toBe('x-amz-checksum-sha1');
  });
  it('parses x-amz-sdk-checksum-algorithm values', () => {
    expect(parseChecksumAlgorithm('crc32c')).toBe('CRC32C');
    expect(parseChecksumAlgorithm('SHA256')).toBe('SHA256');
    expect(parseChecksumAlgorithm('MD5')).toBeUndefined();
    expect(parseChecksumAlgorithm('toString')).toBeUndefined();
  });
});
