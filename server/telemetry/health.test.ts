import { describe, expect, it, vi } from 'vitest';
import { clusterHealth, HealthState, liveness, readiness } from './health.js';

describe('HealthState', () => {
  it('walks starting → serving → stopping, and stopping is final', () => {
    const state = new HealthState();
    expect(state.phase).toBe('starting');
    state.serving();
    expect(state.phase).toBe('serving');
    state.shuttingDown();
    expect(state.phase).toBe('stopping');
    state.serving();
    expect(state.phase).toBe('stopping');
  });

  it('may shut down before it ever served', () => {
    const state = new HealthState();
    state.shuttingDown();
    state.serving();
    expect(state.phase).toBe('stopping');
  });
});

describe('health answers', () => {
  it('liveness is always 200', () => {
    expect(liveness()).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('readiness is 503 while starting and stopping without asking storage, else follows write quorum', async () => {
    const state = new HealthState();
    const writable = vi.fn(async () => true);
    expect(await readiness(state, writable)).toEqual({ status: 503, body: { status: 'starting' } });
    state.serving();
    expect(await readiness(state, writable)).toEqual({ status: 200, body: { status: 'ready' } });
    writable.mockResolvedValueOnce(false);
    expect(await readiness(state, writable)).toEqual({ status: 503, body: { status: 'not ready' } });
    state.shuttingDown();
    expect(await readiness(state, writable)).toEqual({ status: 503, body: { status: 'shutting down' } });
    expect(writable).toHaveBeenCalledTimes(2);
  });

  it('cluster health follows write quorum only', async () => {
    expect((await clusterHealth(async () => true)).status).toBe(200);
    expect(await clusterHealth(async () => false)).toEqual({
      status: 503,
      body: { status: 'write quorum unavailable' },
    });
  });
});
