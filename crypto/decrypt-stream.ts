import { Transform, type TransformCallback } from 'node:stream';
import { CryptoError } from './errors.js';
import { PackageCipher, type StreamKeyOptions } from './package-cipher.js';
import { PACKAGE_SEALED_BYTES, type PackageRange, TAG_BYTES } from './package-format.js';

export interface DecryptStreamOptions extends StreamKeyOptions {
  /**
   * What part of the stream the input is (packageRangeFor): the input then starts at the
   * range's first package and must hold exactly its packages; the output is exactly
   * `takeBytes` bytes. Absent: the input is the whole sealed stream, and the package
   * before the end of the input must be the final one.
   */
  range?: Pick<
    PackageRange,
    'firstPackageIndex' | 'packageCount' | 'totalPackages' | 'skipBytes' | 'takeBytes'
  >;
}

/**
 * A Transform from a sealed stream (or a package range of one) to plaintext. Each package
 * is authenticated before any of its plaintext is pushed; the first failure destroys the
 * stream with CryptoError('Tampered') (bit flips, truncation, dropped, reordered or
 * foreign packages, trailing bytes). Memory: one 64 KiB + 16 staging buffer; whole packages
 * inside an input chunk are opened from subarray views, in one run into one output buffer.
 */
export function createDecryptStream(opts: DecryptStreamOptions): Transform {
  const opener = new PackageOpener(opts);
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      try {
        opener.write(chunk, (b) => this.push(b));
      } catch (err) {
        callback(err as Error);
        return;
      }
      callback();
    },
    flush(callback: TransformCallback): void {
      try {
        opener.end((b) => this.push(b));
      } catch (err) {
        callback(err as Error);
        return;
      }
      callback();
    },
  });
}

/**
 * The synchronous core of decryption: accepts sealed bytes in any chunking, emits
 * verified plaintext. Used by createDecryptStream and the multipart decrypt stream.
 */
export class PackageOpener {
  private readonly cipher: PackageCipher;
  private readonly staging = Buffer.allocUnsafe(PACKAGE_SEALED_BYTES);
  private staged = 0;
  private index: number;
  private readonly endIndex: number | undefined;
  private readonly totalPackages: number | undefined;
  private skip: number;
  private remaining: number;
  private sawInput = false;

  constructor(opts: DecryptStreamOptions) {
    this.cipher = new PackageCipher(opts);
    const range = opts.range;
    this.index = range?.firstPackageIndex ?? 0;
    this.endIndex = range === undefined ? undefined : range.firstPackageIndex + range.packageCount;
    this.totalPackages = range?.totalPackages;
    this.skip = range?.skipBytes ?? 0;
    this.remaining = range?.takeBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Takes the next sealed bytes; emits plaintext of every package it could verify. Throws CryptoError('Tampered'). */
  write(chunk: Uint8Array, emit: (plain: Buffer) => void): void {
    const n = chunk.byteLength;
    if (n === 0) return;
    this.sawInput = true;
    let pos = 0;
    // A full staged package is not the last one of the input: more bytes follow.
    if (this.staged === PACKAGE_SEALED_BYTES) this.openStaged(false, emit);
    if (this.staged > 0) {
      const take = Math.min(PACKAGE_SEALED_BYTES - this.staged, n);
      this.staging.set(chunk.subarray(0, take), this.staged);
      this.staged += take;
      pos = take;
      if (this.staged === PACKAGE_SEALED_BYTES && pos < n) this.openStaged(false, emit);
    }
    // Whole packages inside the chunk are opened in one run, all but the one the chunk
    // ends with (it may be the final one).
    const whole = Math.floor((n - pos - 1) / PACKAGE_SEALED_BYTES) * PACKAGE_SEALED_BYTES;
    if (whole > 0) {
      this.openRun(chunk.subarray(pos, pos + whole), false, emit);
      pos += whole;
    }
    if (pos < n) {
      this.staging.set(chunk.subarray(pos, n), 0);
      this.staged = n - pos;
    }
  }

  /** The input ended: opens what is staged and checks that nothing is missing. Throws CryptoError('Tampered'). */
  end(emit: (plain: Buffer) => void): void {
    if (!this.sawInput) throw new CryptoError('Tampered', 'sealed data: no packages (truncated)');
    this.openStaged(true, emit);
    if (this.endIndex !== undefined && this.index !== this.endIndex) {
      throw new CryptoError(
        'Tampered',
        `sealed data: ended after package ${this.index - 1}, expected ${this.endIndex - 1} (truncated)`,
      );
    }
    if (this.remaining !== Number.POSITIVE_INFINITY && this.remaining !== 0) {
      throw new CryptoError('Tampered', `sealed data: ${this.remaining} plaintext bytes missing (truncated)`);
    }
  }

  private openStaged(atEnd: boolean, emit: (plain: Buffer) => void): void {
    const sealed = this.staging.subarray(0, this.staged);
    this.staged = 0;
    this.openRun(sealed, atEnd, emit);
  }

  /**
   * Opens a run of sealed packages (all full but the last, which ends the input when
   * `atEnd`) into one fresh buffer and emits the part of it the range asks for.
   */
  private openRun(sealed: Uint8Array, atEnd: boolean, emit: (plain: Buffer) => void): void {
    const index = this.index;
    const count = Math.max(1, Math.ceil(sealed.byteLength / PACKAGE_SEALED_BYTES));
    const last = index + count - 1;
    if (this.endIndex !== undefined && last >= this.endIndex) {
      throw new CryptoError(
        'Tampered',
        `sealed data: bytes after package ${this.endIndex - 1}, the last expected`,
      );
    }
    // With a known package count the final flag follows from the index; otherwise the
    // package the input ends with must be the final one (a truncated stream fails here).
    // Bytes appended after a final package make it open as non-final, which fails too.
    // A package before the last of the run is never final: were it, opening it as
    // non-final fails.
    const final = this.totalPackages === undefined ? atEnd : last === this.totalPackages - 1;
    let plain = Buffer.allocUnsafeSlow(Math.max(0, sealed.byteLength - count * TAG_BYTES));
    this.cipher.openPackages(sealed, index, final, plain);
    this.index = last + 1;
    if (this.skip > 0) {
      const drop = Math.min(this.skip, plain.byteLength);
      plain = plain.subarray(drop);
      this.skip -= drop;
    }
    if (plain.byteLength > this.remaining) plain = plain.subarray(0, this.remaining);
    this.remaining -= plain.byteLength;
    if (plain.byteLength > 0) emit(plain);
  }
}
