import { describe, expect, it } from 'vitest';
import { noopLogger } from '../common/index.js';
import { Healer } from './healer.js';

describe('Healer', () => {
  it('deduplicates queued entries and drains', async () => {
    const healed: string[] = [];
    let unblock!: () => void;
    const gate = new Promise<void>((r) => {
      unblock = r;
    });
    const healer = new Healer({
      logger: noopLogger,
      concurrency: 1,
      healObject: async (b, k) => {
        await gate;
        healed.push(`${b}/${k}`);
      },
    });
    healer.enqueue('b', 'running');
    healer.enqueue('b', 'x');
    healer.enqueue('b', 'x');
    healer.enqueue('b', 'y');
    expect(healer.pending).toBe(3);
    unblock();
    await healer.drain();
    expect(healed).toEqual(['b/running', 'b/x', 'b/y']);
  });

  it('drops entries beyond the bound and survives failing heals', async () => {
    const healer = new Healer({
      logger: noopLogger,
      concurrency: 1,
      maxEntries: 2,
      healObject: async () => {
        throw new Error('boom');
      },
    });
    const accepted = ['a', 'b', 'c', 'd'].map((k) => healer.enqueue('b', k));
    // 'a' starts right away (leaves the queue), 'b' and 'c' fill it, 'd' is dropped.
    expect(accepted).toEqual([true, true, true, false]);
    await healer.drain();
    expect(healer.pending).toBe(0);
  });

  it('accepts nothing after close', async () => {
    const healer = new Healer({ logger: noopLogger, healObject: async () => undefined });
    await healer.close();
    expect(healer.enqueue('b', 'k')).toBe(false);
  });
});
