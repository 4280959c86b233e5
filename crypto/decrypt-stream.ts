import { Transform, type TransformCallback } from 'node:stream';
import { type BufferLender, FlushRecycler } from '../common/index.js';
import { CryptoError } from './errors.js';
import { PackageCipher, type StreamKeyOptions } from './package-cipher.js';
import {
  PACKAGE_PLAINTEXT_BYTES,
  PACKAGE_SEALED_BYTES,
  type PackageRange,
  TAG_BYTES,
} from './package-format.js';
import { runStep } from './transform-step.js';

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
 * inside an input chunk are opened from subarray views, up to 16 per run into one output
 * region. With a `lender`, plaintext goes into its buffers while the stream is piped into a
 * destination that reports what it flushed (an HTTP response), and each buffer goes back
 * once flushed (common/flush-recycler.ts); otherwise into fresh memory.
 */
export function createDecryptStream(opts: DecryptStreamOptions, lender?: BufferLender): Transform {
  return new PlaintextTransform(lender, (buffers) => {
    const opener = new PackageOpener(opts, buffers);
    return { write: (chunk, emit) => opener.write(chunk, emit), end: (emit) => opener.end(emit) };
  });
}

/** Most packages opened in one call, and so plaintext bytes per lent output buffer. */
const RUN_PACKAGES = 16;
const LENT_BUFFER_BYTES = RUN_PACKAGES * PACKAGE_PLAINTEXT_BYTES;

/**
 * Where opened plaintext is written and how it leaves: regions of 1 MiB buffers lent by a
 * FlushRecycler while it is active, else fresh memory of the size asked for. Views emitted
 * from consecutive regions of one buffer are pushed as one chunk (at `flush`, or when the
 * next view does not follow on), each announced to the recycler as it is pushed.
 */
export class PlaintextBuffers {
  private readonly recycler: FlushRecycler | null;
  private readonly push: (chunk: Buffer) => void;
  private buf: Buffer | null = null;
  private used = 0;
  private lent = false;
  private pushed = false;
  /** Emitted bytes of the current buffer not pushed yet. */
  private pending: Buffer | null = null;

  constructor(recycler: FlushRecycler | null, push: (chunk: Buffer) => void) {
    this.recycler = recycler;
    this.push = push;
  }

  /** A region of `bytes` (at most 1 MiB) to write plaintext into. */
  region(bytes: number): Buffer {
    if (this.buf === null || this.buf.byteLength - this.used < bytes) {
      this.flush();
      this.drop();
      const lent = this.recycler?.tryAcquire(LENT_BUFFER_BYTES) ?? null;
      this.buf = lent ?? Buffer.allocUnsafeSlow(bytes);
      this.lent = lent !== null;
      this.used = 0;
      this.pushed = false;
    }
    const region = this.buf.subarray(this.used, this.used + bytes);
    this.used += bytes;
    return region;
  }

  /** Takes a view of the latest region for output (pushed now or with the views that follow it). */
  emit(view: Buffer): void {
    const p = this.pending;
    if (p !== null && view.buffer === p.buffer && view.byteOffset === p.byteOffset + p.byteLength) {
      this.pending = Buffer.from(p.buffer, p.byteOffset, p.byteLength + view.byteLength);
      return;
    }
    this.flush();
    this.pending = view;
  }

  /** Pushes what was emitted and not pushed yet. */
  flush(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    this.pushed = true;
    this.recycler?.pushing(p.byteLength, this.lent ? this.buf : null);
    this.push(p);
  }

  /** Lets go of the current buffer: a lent one nothing was pushed from goes straight back. */
  drop(): void {
    this.pending = null;
    if (this.buf !== null && this.lent && !this.pushed) this.recycler?.giveBack(this.buf);
    this.buf = null;
  }
}

type Emit = (plain: Buffer) => void;

/** The Transform of both decrypt streams: input goes to `steps`, plaintext comes out through PlaintextBuffers. */
export class PlaintextTransform extends Transform {
  private readonly recycler: FlushRecycler | null;
  private readonly buffers: PlaintextBuffers;
  private readonly steps: { write(chunk: Buffer, emit: Emit): void; end(emit: Emit): void };
  private readonly emitPlain: Emit = (plain) => this.buffers.emit(plain);

  constructor(
    lender: BufferLender | undefined,
    makeSteps: (buffers: PlaintextBuffers) => {
      write(chunk: Buffer, emit: Emit): void;
      end(emit: Emit): void;
    },
  ) {
    super();
    this.recycler = lender === undefined ? null : new FlushRecycler(this, lender);
    this.buffers = new PlaintextBuffers(this.recycler, (chunk) => this.push(chunk));
    this.steps = makeSteps(this.buffers);
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    this.recycler?.watch(dest);
    return super.pipe(dest, options);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    runStep(callback, () => {
      this.steps.write(chunk, this.emitPlain);
      this.buffers.flush();
    });
  }

  override _flush(callback: TransformCallback): void {
    runStep(callback, () => {
      this.steps.end(this.emitPlain);
      this.buffers.flush();
    });
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.buffers.drop();
    this.recycler?.destroyed();
    callback(err);
  }
}

/**
 * The synchronous core of decryption: accepts sealed bytes in any chunking, emits
 * verified plaintext. Used by createDecryptStream and the multipart decrypt stream.
 */
export class PackageOpener {
  private readonly cipher: PackageCipher;
  private readonly buffers: PlaintextBuffers;
  private readonly staging = Buffer.allocUnsafe(PACKAGE_SEALED_BYTES);
  private staged = 0;
  private index: number;
  private readonly endIndex: number | undefined;
  private readonly totalPackages: number | undefined;
  private skip: number;
  private remaining: number;
  private sawInput = false;

  constructor(opts: DecryptStreamOptions, buffers: PlaintextBuffers) {
    this.cipher = new PackageCipher(opts);
    this.buffers = buffers;
    const range = opts.range;
    this.index = range?.firstPackageIndex ?? 0;
    this.endIndex = range === undefined ? undefined : range.firstPackageIndex + range.packageCount;
    this.totalPackages = range?.totalPackages;
    this.skip = range?.skipBytes ?? 0;
    this.remaining = range?.takeBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Takes the next sealed bytes; emits plaintext of every package it could verify. Throws CryptoError('Tampered'). */
  write(chunk: Uint8Array, emit: Emit): void {
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
    // Whole packages inside the chunk are opened in runs, all but the one the chunk ends
    // with (it may be the final one).
    let whole = Math.floor((n - pos - 1) / PACKAGE_SEALED_BYTES);
    while (whole > 0) {
      const run = Math.min(whole, RUN_PACKAGES);
      this.openRun(chunk.subarray(pos, pos + run * PACKAGE_SEALED_BYTES), false, emit);
      pos += run * PACKAGE_SEALED_BYTES;
      whole -= run;
    }
    if (pos < n) {
      this.staging.set(chunk.subarray(pos, n), 0);
      this.staged = n - pos;
    }
  }

  /** The input ended: opens what is staged and checks that nothing is missing. Throws CryptoError('Tampered'). */
  end(emit: Emit): void {
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

  private openStaged(atEnd: boolean, emit: Emit): void {
    const sealed = this.staging.subarray(0, this.staged);
    this.staged = 0;
    this.openRun(sealed, atEnd, emit);
  }

  /**
   * Opens a run of sealed packages (at most 16, all full but the last, which ends the input
   * when `atEnd`) into one output region and emits the part of it the range asks for.
   */
  private openRun(sealed: Uint8Array, atEnd: boolean, emit: Emit): void {
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
    let plain = this.buffers.region(Math.max(0, sealed.byteLength - count * TAG_BYTES));
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
