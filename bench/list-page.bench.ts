/**
 * Listing cost does not grow with the bucket (issue 2: "a page costs the same in a
 * bucket of 10 keys or 10 million"): pages are LMDB range scans from the marker.
 *
 *   npm run build && npx tsx bench/list-page.bench.ts [bigKeys=100000]
 *
 * Fills one bucket with 1,010 keys and another with `bigKeys` tiny objects (inline,
 * 16 in flight) on 4 temp drives, then times 1,000-key pages from random start keys
 * in both and prints the median per page.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { noopLogger } from '../common/index.js';
import { type ObjectLayer, openStorage } from '../storage/index.js';

const IN_FLIGHT = 16;
const PAGES = 50;
const bigKeys = Number(process.argv[2] ?? '100000');

const keyAt = (i: number): string => `dir${i % 97}/obj-${i.toString().padStart(9, '0')}`;

async function fill(layer: ObjectLayer, bucket: string, count: number): Promise<void> {
  await layer.makeBucket(bucket, { location: '' });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await layer.putObject(bucket, keyAt(i), Readable.from([Buffer.from('x')]), {
        sizeBytes: 1,
        metadata: {},
        finalize: () => ({ etag: '9dd4e461268c8034f5c8564e155c67a6' }),
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function medianPageMs(layer: ObjectLayer, bucket: string, count: number): Promise<number> {
  const times: number[] = [];
  for (let p = 0; p < PAGES; p++) {
    const startAfter = keyAt(Math.floor(Math.random() * Math.max(1, count - 1000)));
    const t0 = performance.now();
    const page = await layer.listObjects(bucket, { prefix: '', delimiter: '', startAfter, maxKeys: 1000 });
    times.push(performance.now() - t0);
    if (page.objects.length === 0) throw new Error('empty page');
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

const root = await mkdtemp(join(tmpdir(), 'strata-list-bench-'));
try {
  const { objectLayer } = await openStorage({
    drives: [1, 2, 3, 4].map((i) => join(root, `drive${i}`)),
    logger: noopLogger,
  });
  const t0 = performance.now();
  await fill(objectLayer, 'small', 1010);
  await fill(objectLayer, 'big', bigKeys);
  const fillSeconds = (performance.now() - t0) / 1000;
  console.log(`filled ${bigKeys + 1010} objects in ${fillSeconds.toFixed(0)} s`);
  console.log(
    `median 1,000-key page, bucket of 1,010 keys:   ${(await medianPageMs(objectLayer, 'small', 1010)).toFixed(1)} ms`,
  );
  console.log(
    `median 1,000-key page, bucket of ${bigKeys} keys: ${(await medianPageMs(objectLayer, 'big', bigKeys)).toFixed(1)} ms`,
  );
  await objectLayer.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
