import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noopLogger } from '../../../common/index.js';
import { ALL_DELIVERED, type AuditTarget, type SendResult } from './audit-target.js';
import { DiskQueue } from './disk-queue.js';
import { QueueSender } from './queue-sender.js';

let dir: string;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-sender-'));
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await rm(dir, { recursive: true, force: true });
});

/** A target scripted per call: answer(lines, call) returns a result or throws. */
class ScriptedTarget implements AuditTarget {
  readonly name = 'webhook';
  readonly describe = 'test target';
  readonly calls: { at: number; lines: string[] }[] = [];
  /** Entries the target took, in the order it took them. */
  readonly received: number[] = [];
  constructor(
    private readonly answer: (
      lines: readonly string[],
      call: number,
      signal: AbortSignal,
    ) => Promise<SendResult>,
  ) {}
  async send(lines: readonly string[], signal: AbortSignal): Promise<SendResult> {
    const call = this.calls.length;
    this.calls.push({ at: Date.now(), lines: [...lines] });
    const result = await this.answer(lines, call, signal);
    const refused = new Set([...result.retry, ...result.rejected.map((r) => r.index)]);
    lines.forEach((line, i) => {
      if (!refused.has(i)) this.received.push((JSON.parse(line) as { n: number }).n);
    });
    return result;
  }
}

async function setup(target: AuditTarget, opts: { batchSize?: number; closeGraceMs?: number } = {}) {
  let sender: QueueSender | undefined;
  const queue = await DiskQueue.open({
    dir,
    maxBytes: 1024 * 1024,
    flushIntervalMs: 60_000,
    onReadable: () => sender?.wake(),
  });
  sender = new QueueSender({
    queue,
    target,
    batchSize: opts.batchSize ?? 5,
    logger: noopLogger,
    retryBaseMs: 10,
    retryMaxMs: 40,
    closeGraceMs: opts.closeGraceMs ?? 100,
  });
  sender.start();
  const s = sender;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await s.close();
    await queue.close();
  };
  cleanup.push(close);
  return { queue, sender: s, close };
}

const entry = (n: number) => JSON.stringify({ n });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('QueueSender', () => {
  it('delivers in order through a target that fails several times, nothing lost or duplicated', async () => {
    const target = new ScriptedTarget(async (_lines, call) => {
      if (call < 4) throw new Error('connect ECONNREFUSED');
      return ALL_DELIVERED;
    });
    const { queue, sender } = await setup(target);
    for (const n of range(0, 23)) queue.append(entry(n));
    await queue.flush();
    await expect.poll(() => target.received.length, { timeout: 5000 }).toBe(23);
    expect(target.received).toEqual(range(0, 23));
    expect(sender.stats()).toEqual({ delivered: 23, failedAttempts: 4, rejected: 0 });
    expect(queue.stats().queuedRecords).toBe(0);
    // Batches never exceed batchSize.
    expect(Math.max(...target.calls.map((c) => c.lines.length))).toBe(5);
  });

  it('backs off exponentially between attempts, capped at retryMaxMs', async () => {
    const target = new ScriptedTarget(async (_lines, call) => {
      if (call < 6) throw new Error('HTTP 503');
      return ALL_DELIVERED;
    });
    const { queue } = await setup(target);
    queue.append(entry(1));
    await queue.flush();
    await expect.poll(() => target.received.length, { timeout: 5000 }).toBe(1);
    const gaps = target.calls.slice(1).map((c, i) => c.at - (target.calls[i] as { at: number }).at);
    const expected = [10, 20, 40, 40, 40, 40];
    expect(gaps).toHaveLength(expected.length);
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual((expected[i] as number) - 2);
  });

  it('resends only the entries a target refused for now, then acknowledges the batch', async () => {
    const target = new ScriptedTarget(async (_lines, call) =>
      call === 0 ? { retry: [1, 3], rejected: [] } : ALL_DELIVERED,
    );
    const { queue, sender } = await setup(target);
    for (const n of range(0, 5)) queue.append(entry(n));
    await queue.flush();
    await expect.poll(() => target.received.length, { timeout: 5000 }).toBe(5);
    expect(target.calls[1]?.lines).toEqual([entry(1), entry(3)]);
    expect(target.received).toEqual([0, 2, 4, 1, 3]);
    expect(sender.stats()).toEqual({ delivered: 5, failedAttempts: 1, rejected: 0 });
    await expect.poll(() => queue.stats().queuedRecords).toBe(0);
  });

  it('drops an entry refused for good after three tries, and goes on with the rest', async () => {
    const target = new ScriptedTarget(async (lines) => {
      const bad = lines.indexOf(entry(2));
      return bad === -1
        ? ALL_DELIVERED
        : { retry: [], rejected: [{ index: bad, reason: '400 mapper_parsing' }] };
    });
    const { queue, sender } = await setup(target);
    for (const n of range(0, 8)) queue.append(entry(n));
    await queue.flush();
    await expect.poll(() => sender.stats().delivered, { timeout: 5000 }).toBe(7);
    expect(target.received).toEqual([0, 1, 3, 4, 5, 6, 7]);
    expect(sender.stats()).toMatchObject({ rejected: 1, failedAttempts: 2 });
  });

  it('skips damaged lines instead of sending them', async () => {
    const target = new ScriptedTarget(async () => ALL_DELIVERED);
    const { queue, sender } = await setup(target);
    queue.append(entry(1));
    queue.append('not json');
    queue.append(entry(2));
    await queue.flush();
    await expect.poll(() => target.received, { timeout: 5000 }).toEqual([1, 2]);
    expect(sender.stats().rejected).toBe(1);
  });

  it('sends a batch interrupted by shutdown again after the restart (at-least-once)', async () => {
    const first = new ScriptedTarget(
      (_lines, _call, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    const a = await setup(first, { closeGraceMs: 20 });
    for (const n of range(0, 3)) a.queue.append(entry(n));
    await a.queue.flush();
    await expect.poll(() => first.calls.length, { timeout: 5000 }).toBe(1);
    await a.close();
    expect(a.queue.stats().queuedRecords).toBe(3);

    const second = new ScriptedTarget(async () => ALL_DELIVERED);
    const b = await setup(second);
    b.sender.wake();
    await expect.poll(() => second.received, { timeout: 5000 }).toEqual([0, 1, 2]);
  });

  it('keeps a batch the target accepted during the shutdown grace as delivered', async () => {
    const target = new ScriptedTarget(async () => {
      await new Promise((r) => setTimeout(r, 30));
      return ALL_DELIVERED;
    });
    const a = await setup(target, { closeGraceMs: 2000 });
    a.queue.append(entry(1));
    await a.queue.flush();
    await expect.poll(() => target.calls.length, { timeout: 5000 }).toBe(1);
    await a.close();
    expect(a.queue.stats().queuedRecords).toBe(0);
    const b = await setup(new ScriptedTarget(async () => ALL_DELIVERED));
    expect(b.queue.stats().queuedRecords).toBe(0);
  });

  it('waits quietly while the queue is empty and wakes when entries are written', async () => {
    const target = new ScriptedTarget(async () => ALL_DELIVERED);
    const { queue } = await setup(target);
    await new Promise((r) => setTimeout(r, 50));
    expect(target.calls).toHaveLength(0);
    queue.append(entry(9));
    await queue.flush();
    await expect.poll(() => target.received, { timeout: 5000 }).toEqual([9]);
  });
});
