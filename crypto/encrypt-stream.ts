import { Transform, type TransformCallback } from 'node:stream';
import { PackageCipher, type StreamKeyOptions } from './package-cipher.js';
import { PACKAGE_PLAINTEXT_BYTES, TAG_BYTES } from './package-format.js';
import { runStep } from './transform-step.js';

export type EncryptStreamOptions = StreamKeyOptions;

/**
 * A Transform from plaintext to the sealed stream of docs/encryption-format.md: cuts the
 * input into 64 KiB packages and pushes their sealed bytes (ciphertext, then tag), one
 * buffer per run of whole packages in an input chunk.
 *
 * Memory stays bounded at one 64 KiB staging buffer: whole packages inside an input
 * chunk are sealed from subarray views, and only the remainder of a chunk (≤ 64 KiB) is
 * copied. The last full package is held until more input or the end shows whether it
 * is the final one (the final flag is authenticated). An empty input yields one empty
 * package (16 bytes), so even an empty object cannot be truncated unnoticed.
 */
export function createEncryptStream(opts: EncryptStreamOptions): EncryptingTransform {
  return new EncryptStream(new PackageCipher(opts));
}

/** The sealing Transform; `plainBytes` counts the plaintext it has taken in so far. */
export interface EncryptingTransform extends Transform {
  readonly plainBytes: number;
}

class EncryptStream extends Transform implements EncryptingTransform {
  plainBytes = 0;
  private readonly cipher: PackageCipher;
  private readonly staging = Buffer.allocUnsafe(PACKAGE_PLAINTEXT_BYTES);
  private staged = 0;
  private index = 0;

  constructor(cipher: PackageCipher) {
    super();
    this.cipher = cipher;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    runStep(callback, () => this.write_(chunk));
  }

  override _flush(callback: TransformCallback): void {
    runStep(callback, () => {
      this.sealRun(this.staging.subarray(0, this.staged), true);
      this.staged = 0;
    });
  }

  private write_(chunk: Buffer): void {
    const n = chunk.byteLength;
    if (n === 0) return;
    this.plainBytes += n;
    let pos = 0;
    // A full staged package is not the final one: input follows.
    if (this.staged === PACKAGE_PLAINTEXT_BYTES) this.sealStaged();
    if (this.staged > 0) {
      const take = Math.min(PACKAGE_PLAINTEXT_BYTES - this.staged, n);
      chunk.copy(this.staging, this.staged, 0, take);
      this.staged += take;
      pos = take;
      if (this.staged === PACKAGE_PLAINTEXT_BYTES && pos < n) this.sealStaged();
    }
    // Here either nothing is staged, or the chunk is used up. Whole packages inside the
    // chunk are sealed in one run, all but the one the chunk ends with (it may be final).
    const whole = Math.floor((n - pos - 1) / PACKAGE_PLAINTEXT_BYTES) * PACKAGE_PLAINTEXT_BYTES;
    if (whole > 0) {
      this.sealRun(chunk.subarray(pos, pos + whole), false);
      pos += whole;
    }
    if (pos < n) {
      chunk.copy(this.staging, 0, pos, n);
      this.staged = n - pos;
    }
  }

  private sealStaged(): void {
    this.sealRun(this.staging, false);
    this.staged = 0;
  }

  /** Seals a run of packages (all full but the last) into one fresh buffer and pushes it. */
  private sealRun(plain: Uint8Array, lastIsFinal: boolean): void {
    const count = Math.max(1, Math.ceil(plain.byteLength / PACKAGE_PLAINTEXT_BYTES));
    const sealed = Buffer.allocUnsafeSlow(plain.byteLength + count * TAG_BYTES);
    this.cipher.sealPackages(plain, this.index, lastIsFinal, sealed);
    this.index += count;
    this.push(sealed);
  }
}
