import { createChecksum, type FlexibleChecksumAlgorithm } from './checksums/index.js';

/**
 * Checksums of multipart objects.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html#large-object-checksums
 *
 * - COMPOSITE (CRC32, CRC32C, SHA1, SHA256): the algorithm over the concatenated raw
 *   part checksums, base64, then `-<part count>`.
 * - FULL_OBJECT (CRC32, CRC32C, CRC64NVME): the CRC of the whole object, combined from
 *   the part CRCs and sizes without reading any data (crcCombine).
 */
export type MultipartChecksumType = 'COMPOSITE' | 'FULL_OBJECT';

/** Algorithms each checksum type supports (AWS's table). */
const SUPPORTED: Record<MultipartChecksumType, ReadonlySet<FlexibleChecksumAlgorithm>> = {
  COMPOSITE: new Set(['CRC32', 'CRC32C', 'SHA1', 'SHA256']),
  FULL_OBJECT: new Set(['CRC32', 'CRC32C', 'CRC64NVME']),
};

export function supportsChecksumType(
  algorithm: FlexibleChecksumAlgorithm,
  type: MultipartChecksumType,
): boolean {
  return SUPPORTED[type].has(algorithm);
}

/** AWS's default type when CreateMultipartUpload names an algorithm but no type. */
export function defaultChecksumType(algorithm: FlexibleChecksumAlgorithm): MultipartChecksumType {
  return algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE';
}

export function parseChecksumType(value: string): MultipartChecksumType | undefined {
  const upper = value.trim().toUpperCase();
  return upper === 'COMPOSITE' || upper === 'FULL_OBJECT' ? upper : undefined;
}

/** One part as the object checksum needs it: its size and raw checksum bytes. */
export interface PartChecksum {
  sizeBytes: number;
  checksum: Uint8Array;
}

/**
 * The object checksum value as S3 reports it (base64, `-N` suffix for COMPOSITE).
 * Synchronous: COMPOSITE never uses CRC64NVME (the only algorithm that loads
 * asynchronously) and FULL_OBJECT is pure arithmetic. Throws for an unsupported
 * algorithm/type pair (callers validate at CreateMultipartUpload).
 */
export function multipartChecksum(
  algorithm: FlexibleChecksumAlgorithm,
  type: MultipartChecksumType,
  parts: readonly PartChecksum[],
): string {
  if (!supportsChecksumType(algorithm, type)) {
    throw new Error(`${type} checksums do not support ${algorithm}`);
  }
  if (type === 'COMPOSITE') {
    const c = createChecksum(algorithm);
    for (const p of parts) c.update(p.checksum);
    return `${Buffer.from(c.digest()).toString('base64')}-${parts.length}`;
  }
  const spec = CRC_SPECS[algorithm as CrcAlgorithm];
  let crc = 0n;
  for (const [i, p] of parts.entries()) {
    const partCrc = bytesToBigInt(p.checksum);
    crc = i === 0 ? partCrc : crcCombineWith(spec, crc, partCrc, p.sizeBytes);
  }
  return Buffer.from(bigIntToBytes(crc, spec.widthBits / 8)).toString('base64');
}

export type CrcAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME';

/**
 * crc(A ‖ B) from crc(A), crc(B) and |B| (zlib's crc32_combine, generalised): for a
 * reflected CRC whose initial value equals its final XOR (all three here use all
 * ones), crc(A ‖ B) = crc(A)·x^(8|B|) mod P ⊕ crc(B) in GF(2)[x]. Values are the CRCs as
 * S3 reports them (big-endian numbers of the digest bytes).
 */
export function crcCombine(algorithm: CrcAlgorithm, crcA: bigint, crcB: bigint, lengthB: number): bigint {
  return crcCombineWith(CRC_SPECS[algorithm], crcA, crcB, lengthB);
}

interface CrcSpec {
  widthBits: number;
  /** Reflected polynomial. */
  poly: bigint;
  /** x^(2^k) mod P for k = 0, 1, ... (grown on demand). */
  powers: bigint[];
  /** x^(8n) mod P by byte count n: parts of one upload mostly share one size. */
  shiftCache: Map<number, bigint>;
}

function spec(widthBits: number, poly: bigint): CrcSpec {
  return { widthBits, poly, powers: [1n << BigInt(widthBits - 2)], shiftCache: new Map() };
}

const CRC_SPECS: Record<CrcAlgorithm, CrcSpec> = {
  CRC32: spec(32, 0xedb88320n),
  CRC32C: spec(32, 0x82f63b78n),
  CRC64NVME: spec(64, 0x9a6c9329ac4bc9b5n),
};

/** Bound on the shift cache per algorithm (distinct part sizes seen by the process). */
const MAX_SHIFT_CACHE_ENTRIES = 1024;

function crcCombineWith(s: CrcSpec, crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA ^ crcB;
  let shift = s.shiftCache.get(lengthB);
  if (shift === undefined) {
    shift = xPow8n(s, lengthB);
    if (s.shiftCache.size >= MAX_SHIFT_CACHE_ENTRIES) s.shiftCache.clear();
    s.shiftCache.set(lengthB, shift);
  }
  return multModP(s, shift, crcA) ^ crcB;
}

/** a·b mod P, both in reflected representation (the top bit is x^0). */
function multModP(s: CrcSpec, a: bigint, b: bigint): bigint {
  if (a === 0n) return 0n;
  let m = 1n << BigInt(s.widthBits - 1);
  let p = 0n;
  let bb = b;
  for (;;) {
    if ((a & m) !== 0n) {
      p ^= bb;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    bb = (bb & 1n) !== 0n ? (bb >> 1n) ^ s.poly : bb >> 1n;
  }
  return p;
}

/** x^(8n) mod P: multiply together x^(2^k) for the set bits of 8n. */
function xPow8n(s: CrcSpec, n: number): bigint {
  let p = 1n << BigInt(s.widthBits - 1); // x^0
  let k = 3; // 8n = n·2^3
  let rest = BigInt(n);
  while (rest > 0n) {
    if ((rest & 1n) !== 0n) p = multModP(s, power(s, k), p);
    rest >>= 1n;
    k++;
  }
  return p;
}

function power(s: CrcSpec, k: number): bigint {
  while (s.powers.length <= k) {
    const last = s.powers[s.powers.length - 1] as bigint;
    s.powers.push(multModP(s, last, last));
  }
  return s.powers[k] as bigint;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bigIntToBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let rest = v;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}
