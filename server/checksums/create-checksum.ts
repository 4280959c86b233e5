import { createHash, type Hash } from 'node:crypto';
import { crc32, crc32c } from '@node-rs/crc32';
import { createCRC64, type IHasher } from 'hash-wasm';

/**
 * Every digest Strata computes over an object body: the five S3 flexible
 * checksums plus MD5 (the ETag and Content-MD5).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256' | 'MD5';

/** An incremental digest. Not reusable: call `digest()` once, then drop it. */
export interface Checksum {
  readonly algorithm: ChecksumAlgorithm;
  /**
   * Undefined when `update()` may be called right away; otherwise a promise the
   * caller must await first (CRC64NVME runs in WebAssembly that loads
   * asynchronously the first time). Never rejects in practice; if it does,
   * `update()` keeps throwing.
   */
  readonly ready: Promise<void> | undefined;
  /** Feeds bytes; does not keep a reference to `data` after returning. */
  update(data: Uint8Array): void;
  /**
   * The digest as raw bytes, big-endian for CRCs (the byte order S3 base64-encodes).
   * Call once; the checksum is finished afterwards.
   */
  digest(): Uint8Array;
}

/** Creates a fresh incremental checksum. CRCs run natively (@node-rs/crc32) or in WASM (hash-wasm). */
export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32Checksum('CRC32', crc32);
    case 'CRC32C':
      return new Crc32Checksum('CRC32C', crc32c);
    case 'CRC64NVME':
      return new Crc64NvmeChecksum();
    case 'SHA1':
      return new NodeHashChecksum('SHA1', createHash('sha1'));
    case 'SHA256':
      return new NodeHashChecksum('SHA256', createHash('sha256'));
    case 'MD5':
      return new NodeHashChecksum('MD5', createHash('md5'));
  }
}

/** One-shot digest of a whole buffer, for tests and small bodies (CRC64NVME needs the await). */
export async function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  const checksum = createChecksum(algorithm);
  if (checksum.ready) await checksum.ready;
  checksum.update(data);
  return checksum.digest();
}

class Crc32Checksum implements Checksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly ready: Promise<void> | undefined = undefined;
  private readonly fn: (input: Uint8Array, initialState?: number) => number;
  private state = 0;
  constructor(algorithm: ChecksumAlgorithm, fn: (input: Uint8Array, initialState?: number) => number) {
    this.algorithm = algorithm;
    this.fn = fn;
  }
  update(data: Uint8Array): void {
    // @node-rs/crc32 continues from a previous result when given it as the initial state.
    this.state = this.fn(data, this.state);
  }
  digest(): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, this.state >>> 0);
    return out;
  }
}

class NodeHashChecksum implements Checksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly ready: Promise<void> | undefined = undefined;
  private readonly hash: Hash;
  constructor(algorithm: ChecksumAlgorithm, hash: Hash) {
    this.algorithm = algorithm;
    this.hash = hash;
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Uint8Array {
    return this.hash.digest();
  }
}

/** Reflected CRC-64/NVME polynomial as hash-wasm takes it (check value of "123456789": ae8b14860a799888). */
const CRC64NVME_POLYNOMIAL = '9a6c9329ac4bc9b5';
/**
 * Idle WASM hashers kept for reuse: instantiating one costs a WebAssembly instance
 * and an await. A cache, not shared state: a hasher is in the pool only while no
 * checksum owns it.
 */
const MAX_IDLE_CRC64_HASHERS = 32;
const idleCrc64Hashers: IHasher[] = [];

class Crc64NvmeChecksum implements Checksum {
  readonly algorithm: ChecksumAlgorithm = 'CRC64NVME';
  ready: Promise<void> | undefined;
  private hasher: IHasher | undefined;
  constructor() {
    const idle = idleCrc64Hashers.pop();
    if (idle) {
      this.hasher = idle.init();
      this.ready = undefined;
    } else {
      this.hasher = undefined;
      this.ready = createCRC64(CRC64NVME_POLYNOMIAL).then((h) => {
        this.hasher = h.init();
        this.ready = undefined;
      });
    }
  }
  update(data: Uint8Array): void {
    if (!this.hasher) throw new Error('CRC64NVME checksum used before `ready` resolved');
    this.hasher.update(data);
  }
  digest(): Uint8Array {
    const hasher = this.hasher;
    if (!hasher) throw new Error('CRC64NVME checksum used before `ready` resolved');
    this.hasher = undefined;
    const out = hasher.digest('binary');
    if (idleCrc64Hashers.length < MAX_IDLE_CRC64_HASHERS) idleCrc64Hashers.push(hasher);
    return out;
  }
}
