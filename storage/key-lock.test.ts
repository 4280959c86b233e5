import { describe, expect, it } from 'vitest';
import { InProcessKeyLock } from './key-lock.js';

describe('InProcessKeyLock', () => {
  it('serializes holders of one key in arrival order', async () => {
    const lock = new InProcessKeyLock();
    const events: string[] = [];
    const run = async (name: string, delayMs: number) => {
      const release = await lock.acquire('k');
      events.push(`${name}:in`);
      await new Promise((r) => setTimeout(r, delayMs));
      events.push(`${name}:out`);
      release();
    };
    await Promise.all([run('a', 20), run('b', 1), run('c', 5)]);
    expect(events).toEqual(['a:in', 'a:out', 'b:in', 'b:out', 'c:in', 'c:out']);
    expect(lock.size).toBe(0);
  });

  it('lets different keys proceed concurrently', async () => {
    const lock = new InProcessKeyLock();
    const r1 = await lock.acquire('x');
    const r2 = await lock.acquire('y');
    r1();
    r2();
    expect(lock.size).toBe(0);
  });

  it('ignores a second release', async () => {
    const lock = new InProcessKeyLock();
    const r1 = await lock.acquire('k');
    const p2 = lock.acquire('k');
    r1();
    r1();
    const r2 = await p2;
    const p3 = lock.acquire('k');
    let got3 = false;
    void p3.then(() => {
      got3 = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(got3).toBe(false);
    r2();
    (await p3)();
    expect(lock.size).toBe(0);
  });
});
