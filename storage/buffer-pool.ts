/**
 * A bounded pool of large Buffers for the data path (erasure stripes), in the spirit of
 * MinIO's bpool: memory stays under a byte budget however many requests run, and
 * same-size buffers are reused instead of churning the GC.
 *
 * Usage: `const buf = await pool.acquire(size); try { ... } finally { pool.release(buf); }`.
 * A caller must never wait for a second buffer while holding one whose release depends
 * on that wait, or concurrent callers can deadlock at the budget.
 */
export class BufferPool {
  /** Upper bound on bytes handed out plus bytes kept for reuse. */
  readonly budgetBytes: number;
  private inUse = 0;
  private cached = 0;
  /** Idle buffers by exact size. */
  private readonly free = new Map<number, Buffer[]>();
  /** Callers waiting for budget, served first-come first-served so large requests do not starve. */
  private readonly waiters: { size: number; resolve: (buf: Buffer) => void }[] = [];
  /** Buffers currently handed out, so a foreign or double release is caught. */
  private readonly outstanding = new WeakSet<Buffer>();

  /** Throws RangeError unless budgetBytes is a positive integer. */
  constructor(opts: { budgetBytes: number }) {
    if (!Number.isInteger(opts.budgetBytes) || opts.budgetBytes <= 0) {
      throw new RangeError(`budgetBytes must be a positive integer, got ${opts.budgetBytes}`);
    }
    this.budgetBytes = opts.budgetBytes;
  }

  /** Bytes currently handed out. */
  get inUseBytes(): number {
    return this.inUse;
  }

  /** Bytes of idle buffers kept for reuse (counted against the budget; evicted on demand). */
  get cachedBytes(): number {
    return this.cached;
  }

  /** Number of acquire calls waiting for budget. */
  get waitingCount(): number {
    return this.waiters.length;
  }

  /**
   * Resolves with a Buffer of exactly `size` bytes (contents undefined: a reused buffer
   * holds old data) once the budget allows; waits, first-come first-served, while it does
   * not. The caller owns the buffer until it passes it to release(). Rejects with RangeError
   * when size is not a positive integer or exceeds the whole budget (it could never be served).
   */
  acquire(size: number): Promise<Buffer> {
    if (!Number.isInteger(size) || size <= 0) {
      return Promise.reject(new RangeError(`buffer size must be a positive integer, got ${size}`));
    }
    if (size > this.budgetBytes) {
      return Promise.reject(
        new RangeError(`buffer of ${size} bytes exceeds the pool budget of ${this.budgetBytes}`),
      );
    }
    if (this.waiters.length === 0) {
      const buf = this.tryTake(size);
      if (buf !== null) return Promise.resolve(buf);
    }
    return new Promise<Buffer>((resolve) => {
      this.waiters.push({ size, resolve });
    });
  }

  /**
   * A buffer of exactly `size` bytes right now, or null when the budget does not allow it
   * (or others are already waiting): for callers that have a fallback and must never wait,
   * such as reads whose buffers are only given back when a consumer has flushed them.
   * Throws RangeError for a size that is not a positive integer.
   */
  tryAcquire(size: number): Buffer | null {
    if (!Number.isInteger(size) || size <= 0) {
      throw new RangeError(`buffer size must be a positive integer, got ${size}`);
    }
    if (size > this.budgetBytes || this.waiters.length > 0) return null;
    return this.tryTake(size);
  }

  /**
   * Gives up a buffer obtained from acquire() without returning it for reuse: it leaves the
   * budget and becomes ordinary garbage. For a buffer that someone else may still read
   * (a stream consumer that went away mid-write). Throws like release() for a foreign buffer.
   */
  forget(buf: Buffer): void {
    if (!this.outstanding.has(buf)) throw new Error('BufferPool.forget: buffer not acquired from this pool');
    this.outstanding.delete(buf);
    this.inUse -= buf.byteLength;
    this.serveWaiters();
  }

  /**
   * Returns a buffer obtained from acquire(); the caller must not touch it afterwards.
   * Throws if the buffer is not currently handed out by this pool (double release).
   */
  release(buf: Buffer): void {
    if (!this.outstanding.has(buf)) throw new Error('BufferPool.release: buffer not acquired from this pool');
    this.outstanding.delete(buf);
    this.inUse -= buf.byteLength;
    let list = this.free.get(buf.byteLength);
    if (list === undefined) {
      list = [];
      this.free.set(buf.byteLength, list);
    }
    list.push(buf);
    this.cached += buf.byteLength;
    this.serveWaiters();
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters[0];
      if (head === undefined) return;
      const buf = this.tryTake(head.size);
      if (buf === null) return;
      this.waiters.shift();
      head.resolve(buf);
    }
  }

  /** A reused or fresh buffer if the budget allows now, evicting idle buffers of other sizes; else null. */
  private tryTake(size: number): Buffer | null {
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.cached -= size;
      return this.handOut(reused);
    }
    if (this.inUse + size > this.budgetBytes) return null;
    // Idle buffers of other sizes give way to this one: dropping them lets the GC reclaim them.
    for (const [otherSize, others] of this.free) {
      while (this.inUse + this.cached + size > this.budgetBytes && others.length > 0) {
        others.pop();
        this.cached -= otherSize;
      }
      if (others.length === 0) this.free.delete(otherSize);
      if (this.inUse + this.cached + size <= this.budgetBytes) break;
    }
    return this.handOut(Buffer.allocUnsafeSlow(size));
  }

  private handOut(buf: Buffer): Buffer {
    this.inUse += buf.byteLength;
    this.outstanding.add(buf);
    return buf;
  }
}
