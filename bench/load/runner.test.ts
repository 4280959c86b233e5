import { describe, expect, it } from 'vitest';
import { Meter, runWorkers } from './runner.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('runWorkers', () => {
  it('stops after maxOps steps across all workers', async () => {
    const meter = new Meter();
    let steps = 0;
    const timing = await runWorkers({ concurrency: 4, durationMs: 60_000, maxOps: 10 }, meter, async () => {
      steps++;
      await meter.timed('PutObject', tick, () => ({ bytes: 5 }));
    });
    expect(steps).toBe(10);
    expect(timing.steps).toBe(10);
    expect(timing.stoppedBy).toBe('max-ops');
    expect(meter.stats('PutObject').bytes).toBe(50);
  });

  it('stops at the duration and lets steps in flight finish', async () => {
    const meter = new Meter();
    const timing = await runWorkers({ concurrency: 2, durationMs: 50, maxOps: 0 }, meter, async () => {
      await meter.timed('GetObject', () => new Promise<void>((r) => setTimeout(r, 20)));
    });
    expect(timing.stoppedBy).toBe('duration');
    expect(timing.elapsedMs).toBeGreaterThanOrEqual(50);
    expect(meter.stats('GetObject').ok).toBe(timing.steps);
  });

  it('stops when aborted', async () => {
    const meter = new Meter();
    const controller = new AbortController();
    const timing = await runWorkers(
      { concurrency: 3, durationMs: 60_000, maxOps: 0, signal: controller.signal },
      meter,
      async () => {
        await tick();
        if (meter.stats('x').ok++ >= 20) controller.abort();
      },
    );
    expect(timing.stoppedBy).toBe('interrupted');
  });

  it('counts failures with their messages and gives up after a long streak of them', async () => {
    const meter = new Meter();
    const timing = await runWorkers({ concurrency: 2, durationMs: 60_000, maxOps: 0 }, meter, async () => {
      await meter.timed('PutObject', () => Promise.reject(new Error('connect ECONNREFUSED')));
    });
    expect(timing.stoppedBy).toBe('errors');
    expect(meter.stats('PutObject').errors).toBe(timing.steps);
    expect(meter.errorSamples()).toEqual([
      { message: 'PutObject: connect ECONNREFUSED', count: timing.steps },
    ]);
    expect(meter.stopReason).toMatch(/in a row failed/);
  });

  it('keeps synthetic operations out of the totals', () => {
    const meter = new Meter();
    meter.recordSynthetic('MultipartUpload', 10, 100);
    expect(meter.total().ok).toBe(0);
    expect(meter.syntheticStats()[0]?.[1].bytes).toBe(100);
  });
});
