/**
 * Serializes writers of one key. An interface, so a distributed lock (one per
 * deployment, over RemoteDrives) can replace the in-process one without touching
 * the erasure set.
 */
export interface KeyLock {
  /**
   * Waits until the caller holds the lock on `key` and resolves with its release
   * function. Waiters are served in arrival order. The release function must be
   * called exactly once (in a `finally`); extra calls are ignored.
   */
  acquire(key: string): Promise<() => void>;
}

/** KeyLock for one process: a FIFO chain of promises per key, removed when idle. */
export class InProcessKeyLock implements KeyLock {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key);
    let releaseNext!: () => void;
    const mine = new Promise<void>((resolve) => {
      releaseNext = resolve;
    });
    // The tail waits for us; whoever comes next chains after `tail`.
    const tail = previous ? previous.then(() => mine) : mine;
    this.tails.set(key, tail);
    if (previous) await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseNext();
      // Last one out removes the key so the map does not grow with every key ever written.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  /** Keys currently locked or awaited (tests). */
  get size(): number {
    return this.tails.size;
  }
}
