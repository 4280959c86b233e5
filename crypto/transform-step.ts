import type { TransformCallback } from 'node:stream';

/** Runs a synchronous Transform step and reports to `callback`: its throw as the stream's error. */
export function runStep(callback: TransformCallback, step: () => void): void {
  try {
    step();
  } catch (err) {
    callback(err as Error);
    return;
  }
  callback();
}
