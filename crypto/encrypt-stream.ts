import { Transform, type TransformCallback } from 'node:stream';
import { PackageCipher, type StreamKeyOptions } from './package-cipher.js';
import { PACKAGE_PLAINTEXT_BYTES } from './package-format.js';

export type EncryptStreamOptions = StreamKeyOptions;

/**
 * A Transform from plaintext to the sealed stream of docs/encryption-format.md: cuts the
 * input into 64 KiB packages and pushes each package's ciphertext, then its tag.
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
    try {
      this.write_(chunk);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.sealOne(this.staging.subarray(0, this.staged), true);
      this.staged = 0;
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
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
    // Here either nothing is staged, or the chunk is used up.
    while (n - pos > PACKAGE_PLAINTEXT_BYTES) {
      this.sealOne(chunk.subarray(pos, pos + PACKAGE_PLAINTEXT_BYTES), false);
      pos += PACKAGE_PLAINTEXT_BYTES;
    }
    if (pos < n) {
      chunk.copy(this.staging, 0, pos, n);
      this.staged = n - pos;
    }
  }

  private sealStaged(): void {
    this.sealOne(this.staging, false);
    this.staged = 0;
  }

  private sealOne(plain: Uint8Array, final: boolean): void {
    const [ciphertext, tag] = this.cipher.seal(plain, this.index, final);
    this.index++;
    if (ciphertext.byteLength > 0) this.push(ciphertext);
    this.push(tag);
  }
}
