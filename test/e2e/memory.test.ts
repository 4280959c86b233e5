/**
 * Streaming end to end: a large PUT and GET do not grow the server process by more
 * than a bounded amount, whatever the object size (issue: a 5 GiB PutObject must not
 * grow the process by more than a few tens of MiB; 1 GiB keeps the suite fast).
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { generatedStream, sha256OfBody } from '../helpers/data.js';
import { createBucket } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;
const OBJECT_BYTES = 1024 * MiB;
/** Allowed growth of the server's resident memory over its idle baseline. */
const MAX_GROWTH_BYTES = 96 * MiB;
const SAMPLE_EVERY_MS = 25;

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  // Anonymous memory only: file-backed pages (LMDB's memory map, the binary) are
  // page cache the kernel can drop, not memory the process holds.
  const kb = /RssAnon:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no RssAnon for pid ${pid}`);
  return Number(kb) * 1024;
}

/** Samples the RSS of `pid` while `work` runs; returns the peak. */
async function peakRssDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = await rssBytes(pid);
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, await rssBytes(pid).catch(() => 0));
      await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS));
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await sampler;
  }
  return peak;
}

describe('bounded memory', () => {
  const server = useStrataServer();

  it('a 1 GiB streamed PutObject and GetObject keep server memory within a bounded budget', async () => {
    const s = server();
    const pid = s.pid;
    if (pid === undefined) throw new Error('no server pid');
    const s3 = s.client();
    const bucket = uniqueBucketName('memory');
    await createBucket(s3, bucket);
    // Warm up the paths once so lazily loaded code and pools count in the baseline.
    const warm = generatedStream(8 * MiB, 'warm');
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'warm', Body: warm.stream, ContentLength: 8 * MiB }),
    );
    await sha256OfBody((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'warm' }))).Body);
    const baseline = await rssBytes(pid);

    const { stream, digest } = generatedStream(OBJECT_BYTES, 'memory-1g');
    const putPeak = await peakRssDuring(pid, async () => {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'big/1 GiB', Body: stream, ContentLength: OBJECT_BYTES }),
      );
    });
    const sent = await digest;
    let got = { sha256: '', sizeBytes: 0 };
    const getPeak = await peakRssDuring(pid, async () => {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/1 GiB' }));
      got = await sha256OfBody(r.Body);
    });
    expect(got).toEqual({ sha256: sent, sizeBytes: OBJECT_BYTES });
    const growth = { put: (putPeak - baseline) / MiB, get: (getPeak - baseline) / MiB };
    expect(putPeak - baseline, `RSS growth in MiB: ${JSON.stringify(growth)}`).toBeLessThan(MAX_GROWTH_BYTES);
    expect(getPeak - baseline, `RSS growth in MiB: ${JSON.stringify(growth)}`).toBeLessThan(MAX_GROWTH_BYTES);
  }, 180_000);
});
