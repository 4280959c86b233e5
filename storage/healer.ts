import type { Logger } from '../common/index.js';

/**
 * The background heal queue: reads that saw a missing or corrupt shard (or a drive
 * missing the record) enqueue the object; a few workers heal queued objects one at a
 * time each. Entries are deduplicated while queued; when the queue is full new
 * entries are dropped (the next read or a full heal finds them again), so a failing
 * drive cannot grow memory without bound.
 */

/** Objects waiting to be healed, at most. */
export const HEAL_QUEUE_MAX_ENTRIES = 10_000;
/** Objects healed at once: healing reads k shards and writes the rest, so keep it small next to client traffic. */
export const HEAL_CONCURRENCY = 2;

export interface HealerOptions {
  /** Heals one object; a rejection is logged and the entry dropped. */
  healObject: (bucket: string, key: string) => Promise<unknown>;
  logger: Logger;
  maxEntries?: number;
  concurrency?: number;
}

interface Entry {
  bucket: string;
  key: string;
}

export class Healer {
  private readonly healObject: (bucket: string, key: string) => Promise<unknown>;
  private readonly logger: Logger;
  private readonly maxEntries: number;
  private readonly concurrency: number;
  private readonly queue: Entry[];
  private readonly queued: Set<string>;
  private running: number;
  private idleWaiters: Array<() => void>;
  private closed: boolean;

  constructor(opts: HealerOptions) {
    this.healObject = opts.healObject;
    this.logger = opts.logger;
    this.maxEntries = opts.maxEntries ?? HEAL_QUEUE_MAX_ENTRIES;
    this.concurrency = opts.concurrency ?? HEAL_CONCURRENCY;
    this.queue = [];
    this.queued = new Set();
    this.running = 0;
    this.idleWaiters = [];
    this.closed = false;
  }

  /** Queues an object for healing. Returns false when it was dropped (closed or full). */
  enqueue(bucket: string, key: string): boolean {
    if (this.closed) return false;
    const id = `${bucket}/${key}`;
    if (this.queued.has(id)) return true;
    if (this.queue.length >= this.maxEntries) {
      this.logger.warn({ bucket, key }, 'heal queue full; dropping entry');
      return false;
    }
    this.queued.add(id);
    this.queue.push({ bucket, key });
    this.pump();
    return true;
  }

  /** Number of entries waiting or being healed. */
  get pending(): number {
    return this.queue.length + this.running;
  }

  /** Resolves when nothing is queued or running. */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops queued entries, waits for running heals. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.queue) this.queued.delete(`${entry.bucket}/${entry.key}`);
    this.queue.length = 0;
    await this.drain();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const entry = this.queue.shift();
      if (!entry) break;
      // Leaves the dedupe set when it starts: a fault seen during this heal queues it again.
      this.queued.delete(`${entry.bucket}/${entry.key}`);
      this.running++;
      void this.run(entry);
    }
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async run(entry: Entry): Promise<void> {
    try {
      await this.healObject(entry.bucket, entry.key);
    } catch (err) {
      this.logger.warn({ bucket: entry.bucket, key: entry.key, err }, 'heal failed');
    } finally {
      this.running--;
      this.pump();
    }
  }
}
