import { Transform, type TransformCallback } from 'node:stream';
import {
  CHECKSUM_HEADERS,
  type Checksum,
  createChecksum,
  type FlexibleChecksumAlgorithm,
  type OffThreadAlgorithm,
  OffThreadHash,
} from '../checksums/index.js';
import { S3Error } from '../s3-errors.js';

/**
 * Bodies declared at least this large have their node:crypto digests (MD5, SHA-256,
 * SHA-1) computed on a hashing thread (OffThreadHash); smaller ones inline, where a
 * round trip to the thread would cost more than it saves.
 */
export const OFF_THREAD_HASH_MIN_BYTES = 1024 * 1024;

/** What the body must match, all optional. */
export interface BodyVerifierOptions {
  /** Compute MD5 (the ETag) and, with `contentMd5`, check it. */
  md5: boolean;
  /** Decoded Content-MD5 (16 bytes) to check against. */
  contentMd5: Uint8Array | undefined;
  /** x-amz-content-sha256 as lower-case hex, when the payload is signed that way. */
  sha256Hex: string | undefined;
  /** Flexible checksum to compute (from the header, trailer or x-amz-sdk-checksum-algorithm). */
  checksumAlgorithm: FlexibleChecksumAlgorithm | undefined;
  /**
   * The expected checksum (base64), read at the end of the stream: a header value,
   * or a trailer that is known only once the chunked decoder has finished. Undefined:
   * compute only. Must return a value already validated as well-formed base64.
   */
  expectedChecksum: () => string | undefined;
  /** Exact number of bytes expected, -1 when unknown. */
  declaredSizeBytes: number;
  /** Hash MD5/SHA-256/SHA-1 on a hashing thread; default: for bodies of OFF_THREAD_HASH_MIN_BYTES or more. */
  offThread?: boolean;
}

/** Digests of a fully verified body. */
export interface BodyDigests {
  /** Hex MD5 of the body: the single-part ETag (unquoted). Empty when MD5 was not requested. */
  md5Hex: string;
  /** Verified or computed flexible checksums by header name (`x-amz-checksum-crc32` → base64). */
  checksums: Record<string, string>;
}

/**
 * A pass-through Transform that counts bytes and updates MD5, SHA-256 and the
 * flexible checksum in the same pass (chunks leave unchanged, not copied), then
 * verifies everything in `_flush` — so a mismatch fails the pipeline before the
 * consumer sees the end of the stream and commits anything.
 *
 * Errors (S3Error): IncompleteBody (byte count differs from the declared size),
 * XAmzContentSHA256Mismatch, BadDigest (Content-MD5 or checksum mismatch).
 */
export class BodyVerifier extends Transform {
  private readonly opts: BodyVerifierOptions;
  private readonly md5: Checksum | undefined;
  private readonly sha256: Checksum | undefined;
  private readonly checksum: Checksum | undefined;
  /** The digests computed on a hashing thread (then md5/sha256/checksum above are not). */
  private readonly offThread: OffThreadHash | undefined;
  /** Set while a checksum (CRC64NVME) still loads; awaited once before the first update. */
  private pending: Promise<void> | undefined;
  private count: number;
  private result: BodyDigests | undefined;

  constructor(opts: BodyVerifierOptions) {
    super();
    this.opts = opts;
    const offThread = opts.offThread ?? opts.declaredSizeBytes >= OFF_THREAD_HASH_MIN_BYTES;
    const threaded: OffThreadAlgorithm[] = [];
    if (offThread) {
      if (opts.md5) threaded.push('MD5');
      if (opts.sha256Hex !== undefined || opts.checksumAlgorithm === 'SHA256') threaded.push('SHA256');
      if (opts.checksumAlgorithm === 'SHA1') threaded.push('SHA1');
    }
    this.offThread = threaded.length > 0 ? new OffThreadHash(threaded) : undefined;
    this.md5 = opts.md5 && !offThread ? createChecksum('MD5') : undefined;
    this.sha256 = opts.sha256Hex !== undefined && !offThread ? createChecksum('SHA256') : undefined;
    // One SHA-256 serves both x-amz-content-sha256 and x-amz-checksum-sha256.
    this.checksum =
      opts.checksumAlgorithm === undefined ||
      (offThread && (opts.checksumAlgorithm === 'SHA256' || opts.checksumAlgorithm === 'SHA1'))
        ? undefined
        : opts.checksumAlgorithm === 'SHA256' && this.sha256
          ? this.sha256
          : createChecksum(opts.checksumAlgorithm);
    this.pending = this.checksum?.ready;
    this.count = 0;
    this.result = undefined;
  }

  /** Bytes seen so far. */
  get bytesSeen(): number {
    return this.count;
  }

  /** The digests; throws unless the stream ended and every check passed. */
  digests(): BodyDigests {
    if (!this.result) throw new Error('body digests requested before the body was fully read and verified');
    return this.result;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.pending) {
      this.pending.then(() => {
        this.pending = undefined;
        this.update(chunk, done);
      }, done);
      return;
    }
    this.update(chunk, done);
  }

  override _flush(done: TransformCallback): void {
    if (this.pending) {
      this.pending.then(() => {
        this.pending = undefined;
        this._flush(done);
      }, done);
      return;
    }
    const offThread = this.offThread;
    if (offThread) {
      offThread.digests().then(
        (digests) => this.verify(done, digests),
        (err: unknown) => done(err as Error),
      );
      return;
    }
    this.verify(done, []);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.offThread?.drop();
    callback(err);
  }

  private update(chunk: Buffer, done: TransformCallback): void {
    this.count += chunk.length;
    const declared = this.opts.declaredSizeBytes;
    if (declared >= 0 && this.count > declared) {
      done(
        new S3Error('IncompleteBody', {
          cause: new Error(`body longer than the declared ${declared} bytes`),
        }),
      );
      return;
    }
    this.md5?.update(chunk);
    this.sha256?.update(chunk);
    if (this.checksum && this.checksum !== this.sha256) this.checksum.update(chunk);
    const wait = this.offThread?.update(chunk);
    if (wait) {
      wait.then(
        () => done(null, chunk),
        (err: unknown) => done(err as Error),
      );
      return;
    }
    done(null, chunk);
  }

  /** `threaded`: the OffThreadHash digests, in the order of its algorithms. */
  private verify(done: TransformCallback, threaded: Uint8Array[]): void {
    try {
      const fromThread = (alg: OffThreadAlgorithm): Buffer | undefined => {
        const at = this.offThread?.algorithms.indexOf(alg) ?? -1;
        const d = at >= 0 ? threaded[at] : undefined;
        return d === undefined ? undefined : Buffer.from(d.buffer, d.byteOffset, d.byteLength);
      };
      const declared = this.opts.declaredSizeBytes;
      if (declared >= 0 && this.count !== declared) {
        throw new S3Error('IncompleteBody', {
          cause: new Error(`body has ${this.count} of the declared ${declared} bytes`),
        });
      }
      const sha256 = this.sha256 ? Buffer.from(this.sha256.digest()) : fromThread('SHA256');
      if (sha256 && this.opts.sha256Hex !== undefined && sha256.toString('hex') !== this.opts.sha256Hex) {
        throw new S3Error('XAmzContentSHA256Mismatch', {
          extra: {
            ClientComputedContentSHA256: this.opts.sha256Hex,
            S3ComputedContentSHA256: sha256.toString('hex'),
          },
        });
      }
      const md5 = this.md5 ? Buffer.from(this.md5.digest()) : fromThread('MD5');
      if (md5 && this.opts.contentMd5 && !md5.equals(this.opts.contentMd5)) {
        throw new S3Error('BadDigest', {
          extra: {
            ExpectedDigest: Buffer.from(this.opts.contentMd5).toString('base64'),
            CalculatedDigest: md5.toString('base64'),
          },
        });
      }
      const checksums: Record<string, string> = {};
      const alg = this.opts.checksumAlgorithm;
      const threadedChecksum = alg === 'SHA256' ? sha256 : alg === 'SHA1' ? fromThread('SHA1') : undefined;
      if (alg !== undefined && (this.checksum || threadedChecksum)) {
        const header = CHECKSUM_HEADERS[alg];
        const actual = (
          this.checksum === undefined
            ? (threadedChecksum as Buffer)
            : this.checksum === this.sha256
              ? (sha256 as Buffer)
              : Buffer.from(this.checksum.digest())
        ).toString('base64');
        const expected = this.opts.expectedChecksum();
        if (expected !== undefined && expected !== actual) {
          throw new S3Error('BadDigest', {
            message: `The ${header} you specified did not match the calculated checksum.`,
            cause: new Error(`${header}: expected ${expected}, calculated ${actual}`),
          });
        }
        checksums[header] = actual;
      }
      this.result = { md5Hex: md5 ? md5.toString('hex') : '', checksums };
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}
