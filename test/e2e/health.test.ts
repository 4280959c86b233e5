/**
 * Health endpoints of a real server: /strata/health/{live,ready,cluster} with their
 * /minio/ and /_strata/ aliases, no auth; readiness and cluster health follow write
 * quorum as drives disappear and come back; the bucket names strata and minio are
 * reserved. (The shutting-down flag is covered by server/telemetry/health.test.ts: once
 * SIGTERM arrives no new request reaches the server anyway.)
 */
import { rename } from 'node:fs/promises';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { removeDrive } from '../helpers/drives.js';
import { sampleValue, scrape } from '../helpers/metrics.js';
import { sendRaw } from '../helpers/raw-request.js';
import { createBucket, sdkError } from '../helpers/s3.js';
import { pollUntil, type StrataServer, uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const PATHS = {
  live: ['/strata/health/live', '/minio/health/live', '/_strata/health/live'],
  ready: ['/strata/health/ready', '/minio/health/ready', '/_strata/health/ready'],
  cluster: ['/strata/health/cluster', '/minio/health/cluster', '/_strata/health/cluster'],
} as const;

async function statusOf(s: StrataServer, path: string, method = 'GET'): Promise<number> {
  return (await sendRaw(s.endpoint, { method, path })).status;
}

async function statuses(s: StrataServer, kind: keyof typeof PATHS): Promise<number[]> {
  return Promise.all(PATHS[kind].map((p) => statusOf(s, p)));
}

describe('health endpoints', () => {
  // Public metrics: the quorum gauges are read without a token here.
  const server = useStrataServer({ env: { STRATA_PROMETHEUS_AUTH_TYPE: 'public' } });

  it('answer 200 with JSON on every alias, to GET and HEAD, without credentials', async () => {
    const s = server();
    for (const kind of ['live', 'ready', 'cluster'] as const) {
      for (const path of PATHS[kind]) {
        const r = await sendRaw(s.endpoint, { method: 'GET', path });
        expect(r.status, path).toBe(200);
        expect(r.headers['content-type'], path).toMatch(/^application\/json/);
        expect(JSON.parse(r.text), path).toHaveProperty('status');
        const head = await sendRaw(s.endpoint, { method: 'HEAD', path });
        expect([head.status, head.text], `HEAD ${path}`).toEqual([200, '']);
      }
    }
    expect(await statusOf(s, '/strata/health/ready', 'PUT')).toBe(405);
  });

  it('keeps strata and minio from being created as buckets (their paths are the endpoints)', async () => {
    const s = server();
    for (const name of ['strata', 'minio']) {
      const err = await sdkError(s.client().send(new CreateBucketCommand({ Bucket: name })));
      expect([err.status, err.name], name).toEqual([400, 'InvalidBucketName']);
    }
    // Other names are untouched.
    await createBucket(s.client(), uniqueBucketName('strata-health'));
  });

  it('ready and cluster go 503 while write quorum is lost and back to 200 when the drives return; live stays 200', async () => {
    const s = server();
    const bucket = uniqueBucketName('health');
    await createBucket(s.client(), bucket);
    // Two of four drives (2 data + 2 parity, write quorum 3) unplugged: renamed away, so
    // the same directories (same format.json) can come back without a restart.
    const away = [s.drives[2], s.drives[3]] as string[];
    for (const d of away) await rename(d, `${d}.away`);
    try {
      await pollUntil(
        'readiness 503',
        async () => (await statuses(s, 'ready')).every((c) => c === 503),
        15_000,
      );
      expect(await statuses(s, 'cluster')).toEqual([503, 503, 503]);
      expect(await statuses(s, 'live')).toEqual([200, 200, 200]);
      const body = JSON.parse(
        (await sendRaw(s.endpoint, { method: 'GET', path: '/strata/health/ready' })).text,
      );
      expect(body).toEqual({ status: 'not ready' });
      const metrics = await pollUntil('metrics see two drives offline', async () => {
        const text = (await scrape(s)).text;
        return sampleValue(text, 'strata_drives_offline') === 2 ? text : undefined;
      });
      expect(sampleValue(metrics, 'strata_erasure_set_write_quorum_ok')).toBe(0);
      expect(sampleValue(metrics, 'strata_erasure_set_read_quorum_ok')).toBe(1);
      const s3 = s.newClient({ maxAttempts: 1 });
      try {
        const err = await sdkError(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' })));
        expect(err.status).toBe(503);
      } finally {
        s3.destroy();
      }
    } finally {
      for (const d of away) await rename(`${d}.away`, d);
    }
    await pollUntil(
      'readiness 200 again',
      async () => (await statuses(s, 'ready')).every((c) => c === 200),
      15_000,
    );
    expect(await statuses(s, 'cluster')).toEqual([200, 200, 200]);
    await s.client().send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }));
  });

  it('cluster health is 503 on a server whose drives lost quorum for good (three of four removed)', async () => {
    const s = server();
    for (const i of [1, 2, 3]) await removeDrive(s.drives[i] as string);
    await pollUntil(
      'cluster 503',
      async () => (await statuses(s, 'cluster')).every((c) => c === 503),
      15_000,
    );
    expect(await statuses(s, 'ready')).toEqual([503, 503, 503]);
    expect(await statuses(s, 'live')).toEqual([200, 200, 200]);
    // The metrics' drive probe is cached for a moment: poll.
    const metrics = await pollUntil('metrics see one drive online', async () => {
      const text = (await scrape(s)).text;
      return sampleValue(text, 'strata_drives_online') === 1 ? text : undefined;
    });
    expect(sampleValue(metrics, 'strata_erasure_set_read_quorum_ok')).toBe(0);
    expect(sampleValue(metrics, 'strata_erasure_set_write_quorum_ok')).toBe(0);
  });
});
