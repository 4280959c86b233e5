import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands out buffers of the requested size and reuses released ones', async () => {
    const pool = new BufferPool({ budgetBytes: 1024 });
    const a = await pool.acquire(256);
    expect(a.byteLength).toBe(256);
    expect(pool.inUseBytes).toBe(256);
    pool.release(a);
    expect(pool.inUseBytes).toBe(0);
    expect(pool.cachedBytes).toBe(256);
    const b = await pool.acquire(256);
    expect(b).toBe(a);
    pool.release(b);
  });

  it('makes acquire wait while the budget is exhausted and serves waiters in order', async () => {
    const pool = new BufferPool({ budgetBytes: 1000 });
    const a = await pool.acquire(600);
    const order: string[] = [];
    const big = pool.acquire(700).then((buf) => {
      order.push('big');
      return buf;
    });
    const small = pool.acquire(100).then((buf) => {
      order.push('small');
      return buf;
    });
    await Promise.resolve();
    expect(pool.waitingCount).toBe(2);
    expect(order).toEqual([]);
    pool.release(a);
    const bigBuf = await big;
    const smallBuf = await small;
    // The idle 600-byte buffer was evicted to make room for the 700-byte one.
    expect(order).toEqual(['big', 'small']);
    expect(pool.inUseBytes + pool.cachedBytes).toBeLessThanOrEqual(1000);
    pool.release(bigBuf);
    pool.release(smallBuf);
    expect(pool.inUseBytes).toBe(0);
  });

  it('rejects sizes that could never be served and double releases', async () => {
    const pool = new BufferPool({ budgetBytes: 100 });
    await expect(pool.acquire(101)).rejects.toThrow(RangeError);
    await expect(pool.acquire(0)).rejects.toThrow(RangeError);
    const a = await pool.acquire(10);
    pool.release(a);
    expect(() => pool.release(a)).toThrow();
    expect(() => pool.release(Buffer.alloc(10))).toThrow();
    expect(() => new BufferPool({ budgetBytes: 0 })).toThrow(RangeError);
  });

  it('never exceeds its budget under many concurrent users', async () => {
    const pool = new BufferPool({ budgetBytes: 4096 });
    let peak = 0;
    const user = async (size: number): Promise<void> => {
      const buf = await pool.acquire(size);
      try {
        peak = Math.max(peak, pool.inUseBytes + pool.cachedBytes);
        await new Promise((r) => setImmediate(r));
      } finally {
        pool.release(buf);
      }
    };
    await Promise.all(Array.from({ length: 200 }, (_, i) => user([512, 1024, 2048][i % 3] ?? 512)));
    expect(peak).toBeLessThanOrEqual(4096);
    expect(pool.inUseBytes).toBe(0);
    expect(pool.waitingCount).toBe(0);
  });

  it('tryAcquire never waits: null while the budget is exhausted or others wait', async () => {
    const pool = new BufferPool({ budgetBytes: 1000 });
    const a = pool.tryAcquire(600);
    expect(a?.byteLength).toBe(600);
    expect(pool.tryAcquire(600)).toBeNull();
    const waiting = pool.acquire(500);
    expect(pool.tryAcquire(100)).toBeNull();
    pool.release(a as Buffer);
    pool.release(await waiting);
    expect(() => pool.tryAcquire(0)).toThrow(RangeError);
  });

  it('forget drops a buffer from the budget without reusing it', async () => {
    const pool = new BufferPool({ budgetBytes: 1000 });
    const a = await pool.acquire(800);
    const next = pool.acquire(800);
    pool.forget(a);
    const b = await next;
    expect(b).not.toBe(a);
    expect(pool.inUseBytes).toBe(800);
    expect(pool.cachedBytes).toBe(0);
    expect(() => pool.release(a)).toThrow();
    expect(() => pool.forget(a)).toThrow();
    pool.release(b);
  });
});
