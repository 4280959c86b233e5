import { finished, type Readable } from 'node:stream';

/** Lends reusable buffers (storage's BufferPool satisfies it). */
export interface BufferLender {
  /** A buffer of exactly `size` bytes now, or null when none may be lent now. */
  tryAcquire(size: number): Buffer | null;
  /** Takes a lent buffer back for reuse; the borrower must not touch it afterwards. */
  release(buf: Buffer): void;
  /** Writes a lent buffer off (someone may still read it): it becomes ordinary garbage. */
  forget(buf: Buffer): void;
}

/** The part of a Writable that tells how many written bytes it has not flushed yet. */
interface FlushingDestination extends NodeJS.WritableStream {
  readonly writableLength: number;
}

function isFlushingDestination(dest: NodeJS.WritableStream): dest is FlushingDestination {
  return typeof (dest as { writableLength?: unknown }).writableLength === 'number';
}

/**
 * Gives the lent buffers a Readable pushed views of back to their lender once the
 * destination it is piped into has flushed those bytes: once `pushed − readableLength −
 * dest.writableLength` has passed a buffer's last byte (for an HTTP response: the socket
 * handed them to the kernel), or when the destination finishes. Reusing the same memory
 * spares V8 and the kernel a fresh buffer (page faults, external-memory GCs) per chunk.
 *
 * Only sound for a destination that lets go of a chunk once it counts it as flushed, and
 * that is the first and only one the source is piped into: the source calls `watch` from
 * its pipe(). Without one (async iteration, 'data' listeners), after an unpipe or an error,
 * nothing is recycled: buffers already pushed are forgotten (left to the GC, as chunks may
 * be held for any time) and `tryAcquire` returns null, so the source allocates fresh ones.
 */
export class FlushRecycler {
  private readonly source: Readable;
  private readonly lender: BufferLender;
  private dest: FlushingDestination | null = null;
  private recycling = true;
  private pushedBytes = 0;
  /** Lent buffers with pushed views, with the pushed byte count their last view ends at. */
  private readonly owned: { buf: Buffer; endBytes: number }[] = [];

  constructor(source: Readable, lender: BufferLender) {
    this.source = source;
    this.lender = lender;
  }

  /** True while pushed buffers can come back: piped into a flushing destination, no failure. */
  get active(): boolean {
    return this.recycling && this.dest !== null;
  }

  /** Call from the source's pipe(dest) before piping. */
  watch(dest: NodeJS.WritableStream): void {
    if (this.dest !== null || !this.recycling || !isFlushingDestination(dest)) {
      this.stop();
      return;
    }
    this.dest = dest;
    // pipe() unpipes itself once the source ended (pipeline does): the destination still
    // flushes what it got. Unpiped before the end, someone else may read what follows.
    const onUnpipe = (source: unknown): void => {
      if (source === this.source && !this.source.readableEnded) this.stop();
    };
    dest.on('unpipe', onUnpipe);
    finished(dest, (err) => {
      dest.off('unpipe', onUnpipe);
      // Finished: every byte was handed on. Otherwise a write may still be in flight.
      if (err) this.stop();
      else this.reclaim(true);
    });
  }

  /** A lent buffer of `size` bytes when recycling and one is free now (after reclaiming), else null. */
  tryAcquire(size: number): Buffer | null {
    if (!this.active) return null;
    this.reclaim(false);
    return this.lender.tryAcquire(size);
  }

  /**
   * Records `bytes` about to be pushed; `lent`: the lent buffer they are views of, if any
   * (the same buffer may be pushed from several times). A lent buffer recorded while not
   * recycling is forgotten at once.
   */
  pushing(bytes: number, lent: Buffer | null): void {
    this.pushedBytes += bytes;
    if (lent === null) return;
    if (!this.recycling) {
      this.lender.forget(lent);
      return;
    }
    const last = this.owned[this.owned.length - 1];
    if (last !== undefined && last.buf === lent) last.endBytes = this.pushedBytes;
    else this.owned.push({ buf: lent, endBytes: this.pushedBytes });
  }

  /** Returns the owned buffers whose bytes the destination has flushed (all, when it finished). */
  reclaim(all: boolean): void {
    const dest = this.dest;
    if (!this.recycling || dest === null) return;
    const flushed = all
      ? Number.POSITIVE_INFINITY
      : this.pushedBytes - this.source.readableLength - dest.writableLength;
    while (this.owned.length > 0) {
      const head = this.owned[0] as { buf: Buffer; endBytes: number };
      if (head.endBytes > flushed) break;
      this.owned.shift();
      this.lender.release(head.buf);
    }
  }

  /** Returns a buffer from tryAcquire that was never pushed from. */
  giveBack(buf: Buffer): void {
    this.lender.release(buf);
  }

  /** Call from the source's _destroy: what was flushed goes back; the rest when the destination finishes. */
  destroyed(): void {
    if (this.dest === null) this.stop();
    else this.reclaim(false);
  }

  /** Pushed buffers may be referenced by a consumer we cannot follow: they leave the lender. */
  stop(): void {
    this.recycling = false;
    for (const { buf } of this.owned.splice(0)) this.lender.forget(buf);
  }
}
