/**
 * The Prometheus metrics endpoint of a real server: bearer-token auth with the token
 * `strata admin prometheus generate` prints (and public mode), request counters after S3
 * calls, per-bucket usage after puts, overwrites and deletes, no object key anywhere in
 * the output, `promtool check metrics` on the output, and a real Prometheus (Debian's
 * `prometheus` package; CI installs it) scraping the server and answering a PromQL query.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generateScrapeConfig, MINIO_METRICS_PATH, sampleValue, scrape } from '../helpers/metrics.js';
import { createBucket, sdkError } from '../helpers/s3.js';
import { pollUntil, type StrataServer, uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

/** The absolute path of an executable on PATH, or undefined. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const PROMETHEUS = onPath('prometheus');
const PROMTOOL = onPath('promtool');
if (PROMETHEUS === undefined || PROMTOOL === undefined) {
  process.stderr.write(
    `\nmetrics e2e: SKIPPING the real-Prometheus and promtool tests: ${PROMETHEUS === undefined ? 'prometheus' : 'promtool'} is not on PATH (install Debian's "prometheus" package; .ci/run does)\n`,
  );
}

/** Runs promtool with `input` on stdin; resolves with its exit code and output. */
function promtool(args: string[], input?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL ?? 'promtool', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(input ?? '');
  });
}

/** A TCP port free on loopback right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A metric's value as the server reports it now (with the given token). */
async function current(s: StrataServer, token: string, name: string, labels: Record<string, string> = {}) {
  const r = await scrape(s, token);
  expect(r.status).toBe(200);
  return sampleValue(r.text, name, labels) ?? 0;
}

describe('metrics endpoint (bearer token)', () => {
  const server = useStrataServer();
  let token = '';
  beforeAll(async () => {
    token = (await generateScrapeConfig(server())).job.bearer_token;
  });

  it('refuses a scrape without a token or with a forged one (403), and serves the CLI token on both paths', async () => {
    const s = server();
    const missing = await scrape(s);
    expect(missing.status).toBe(403);
    expect(JSON.parse(missing.text)).toMatchObject({ code: 'AccessDenied' });
    expect((await scrape(s, 'not-a-token')).status).toBe(403);
    // The right claims signed with another secret.
    const [header, payload] = token.split('.');
    expect((await scrape(s, `${header}.${payload}.${'A'.repeat(86)}`)).status).toBe(403);

    const { config, job } = await generateScrapeConfig(s, ['--job', 'strata-e2e']);
    expect(job).toMatchObject({
      job_name: 'strata-e2e',
      metrics_path: '/strata/v1/metrics',
      scheme: 'http',
      static_configs: [{ targets: [`127.0.0.1:${s.port}`] }],
    });
    expect(config.scrape_configs).toHaveLength(1);
    for (const path of ['/strata/v1/metrics', MINIO_METRICS_PATH]) {
      const r = await scrape(s, job.bearer_token, path);
      expect(r.status, path).toBe(200);
      expect(r.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(r.text).toContain('# TYPE strata_s3_requests_total counter');
    }
  });

  it('counts S3 calls by operation, status class and error code, with bytes received and sent', async () => {
    const s = server();
    const bucket = uniqueBucketName('metrics-calls');
    await createBucket(s.client(), bucket);
    const before = {
      puts: await current(s, token, 'strata_s3_requests_total', { api: 'PutObject', status_class: '2xx' }),
      gets: await current(s, token, 'strata_s3_requests_total', { api: 'GetObject', status_class: '2xx' }),
      noSuchKey: await current(s, token, 'strata_s3_errors_total', { api: 'GetObject', code: 'NoSuchKey' }),
      head404: await current(s, token, 'strata_s3_requests_total', {
        api: 'HeadObject',
        status_class: '4xx',
      }),
      received: await current(s, token, 'strata_s3_received_bytes_total', { api: 'PutObject' }),
      sent: await current(s, token, 'strata_s3_sent_bytes_total', { api: 'GetObject' }),
      durations: await current(s, token, 'strata_s3_request_duration_seconds_count', { api: 'PutObject' }),
    };
    for (const [i, size] of [1000, 2000, 3000].entries()) {
      await s
        .client()
        .send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: Buffer.alloc(size, 1) }));
    }
    for (const key of ['k0', 'k1']) {
      const got = await s.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await got.Body?.transformToByteArray();
    }
    expect(
      (await sdkError(s.client().send(new GetObjectCommand({ Bucket: bucket, Key: 'nope' })))).status,
    ).toBe(404);
    expect(
      (await sdkError(s.client().send(new HeadObjectCommand({ Bucket: bucket, Key: 'nope' })))).status,
    ).toBe(404);

    const r = await scrape(s, token);
    const value = (name: string, labels: Record<string, string>) => sampleValue(r.text, name, labels) ?? 0;
    expect(value('strata_s3_requests_total', { api: 'PutObject', status_class: '2xx' }) - before.puts).toBe(
      3,
    );
    expect(value('strata_s3_requests_total', { api: 'GetObject', status_class: '2xx' }) - before.gets).toBe(
      2,
    );
    expect(value('strata_s3_errors_total', { api: 'GetObject', code: 'NoSuchKey' }) - before.noSuchKey).toBe(
      1,
    );
    expect(
      value('strata_s3_requests_total', { api: 'HeadObject', status_class: '4xx' }) - before.head404,
    ).toBe(1);
    expect(value('strata_s3_received_bytes_total', { api: 'PutObject' }) - before.received).toBe(6000);
    expect(value('strata_s3_sent_bytes_total', { api: 'GetObject' }) - before.sent).toBeGreaterThanOrEqual(
      3000,
    );
    expect(value('strata_s3_request_duration_seconds_count', { api: 'PutObject' }) - before.durations).toBe(
      3,
    );
    expect(value('strata_s3_ttfb_seconds_count', { api: 'GetObject' })).toBeGreaterThanOrEqual(3);
    expect(value('strata_s3_requests_inflight', { api: 'PutObject' })).toBe(0);
    // The scrapes themselves are not S3 traffic.
    expect(r.text).not.toContain('api="Internal"');
    expect(value('strata_drives_total', {})).toBe(4);
    expect(value('strata_drives_online', {})).toBe(4);
    expect(value('strata_erasure_set_write_quorum_ok', {})).toBe(1);
    expect(value('strata_lmdb_size_bytes', { drive: s.drives[0] as string })).toBeGreaterThan(0);
    expect(value('strata_drive_free_bytes', { drive: s.drives[0] as string })).toBeGreaterThan(0);
    expect(r.text).toMatch(/^strata_process_resident_memory_bytes \d+/m);
  });

  it('keeps per-bucket usage current across puts, overwrites, versions and deletes', async () => {
    const s = server();
    const usage = async (bucket: string) => {
      const r = await scrape(s, token);
      return {
        bytes: sampleValue(r.text, 'strata_bucket_usage_bytes', { bucket }),
        objects: sampleValue(r.text, 'strata_bucket_objects', { bucket }),
        versions: sampleValue(r.text, 'strata_bucket_versions', { bucket }),
        markers: sampleValue(r.text, 'strata_bucket_delete_markers', { bucket }),
      };
    };
    const plain = uniqueBucketName('usage-plain');
    await createBucket(s.client(), plain);
    expect(await usage(plain)).toEqual({ bytes: 0, objects: 0, versions: 0, markers: 0 });
    const put = (bucket: string, key: string, size: number) =>
      s.client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(size, 7) }));
    await put(plain, 'a', 100);
    await put(plain, 'b', 200_000);
    await put(plain, 'a', 300); // overwrite
    expect(await usage(plain)).toEqual({ bytes: 200_300, objects: 2, versions: 2, markers: 0 });
    await s.client().send(new DeleteObjectCommand({ Bucket: plain, Key: 'b' }));
    expect(await usage(plain)).toEqual({ bytes: 300, objects: 1, versions: 1, markers: 0 });

    const versioned = uniqueBucketName('usage-versioned');
    await createBucket(s.client(), versioned);
    await s
      .client()
      .send(
        new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }),
      );
    await put(versioned, 'k', 100);
    await put(versioned, 'k', 50);
    await s.client().send(new DeleteObjectCommand({ Bucket: versioned, Key: 'k' }));
    expect(await usage(versioned)).toEqual({ bytes: 150, objects: 0, versions: 2, markers: 1 });

    // After a restart the one start-up count finds the same numbers.
    await s.restart();
    token = (await generateScrapeConfig(s)).job.bearer_token;
    await pollUntil(
      'usage count after restart',
      async () => (await current(s, token, 'strata_bucket_usage_complete')) === 1,
    );
    expect(await usage(plain)).toEqual({ bytes: 300, objects: 1, versions: 1, markers: 0 });
    expect(await usage(versioned)).toEqual({ bytes: 150, objects: 0, versions: 2, markers: 1 });
  });

  it('never shows an object key, and promtool check metrics passes on the output', async () => {
    const s = server();
    const bucket = uniqueBucketName('metrics-keys');
    await createBucket(s.client(), bucket);
    const keys = ['confidential-report/2026 ünïcödé.pdf', 'zzkeymarker', 'dir/sub/another-private-name'];
    for (const key of keys)
      await s.client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    await sdkError(s.client().send(new GetObjectCommand({ Bucket: bucket, Key: 'missing-secret-key-name' })));
    const { text } = await scrape(s, token);
    for (const needle of [
      'confidential-report',
      'zzkeymarker',
      'another-private-name',
      'missing-secret-key-name',
    ]) {
      expect(text).not.toContain(needle);
    }
    expect(text).toContain(`bucket="${bucket}"`);
    if (PROMTOOL === undefined) return;
    const checked = await promtool(['check', 'metrics'], text);
    expect(checked.output.trim()).toBe('');
    expect(checked.code).toBe(0);
  });
});

describe('metrics endpoint (STRATA_PROMETHEUS_AUTH_TYPE=public)', () => {
  const server = useStrataServer({ env: { STRATA_PROMETHEUS_AUTH_TYPE: 'public' }, driveCount: 1 });

  it('serves anyone without a token', async () => {
    const r = await scrape(server());
    expect(r.status).toBe(200);
    expect(sampleValue(r.text, 'strata_drives_total')).toBe(1);
  });
});

describe.skipIf(PROMETHEUS === undefined || PROMTOOL === undefined)(
  'a real Prometheus scraping Strata',
  () => {
    const server = useStrataServer();
    let dir = '';
    let prometheus: ChildProcess | undefined;
    let exited: Promise<void> = Promise.resolve();
    let output = '';
    let api = '';

    afterAll(async () => {
      // By PID, also when a test failed; then wait until it is gone.
      const pid = prometheus?.pid;
      if (pid !== undefined && prometheus?.exitCode === null && prometheus.signalCode === null) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('scrapes the server with the CLI token and answers the PutObject count by PromQL', async () => {
      const s = server();
      dir = await mkdtemp(join(tmpdir(), 'strata-prometheus-'));
      const { config } = await generateScrapeConfig(s, ['--job', 'strata']);
      const job = config.scrape_configs[0];
      if (job === undefined) throw new Error('no scrape job');
      job.scrape_interval = '1s';
      job.scrape_timeout = '1s';
      const promYml = join(dir, 'prom.yml');
      await writeFile(
        promYml,
        stringify({ global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: [job] }),
      );
      const configCheck = await promtool(['check', 'config', promYml]);
      expect(configCheck.code, configCheck.output).toBe(0);

      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      const child = spawn(
        PROMETHEUS as string,
        [
          `--config.file=${promYml}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      prometheus = child;
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      const keep = (chunk: Buffer) => {
        output = `${output}${chunk.toString('utf8')}`.slice(-20_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      try {
        await pollUntil(
          'prometheus ready',
          async () => {
            if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
            return (await fetch(`${api}/-/ready`)).ok;
          },
          30_000,
          200,
        );

        const bucket = uniqueBucketName('prometheus');
        await createBucket(s.client(), bucket);
        const puts = 5;
        for (let i = 0; i < puts; i++) {
          await s
            .client()
            .send(new PutObjectCommand({ Bucket: bucket, Key: `object-${i}`, Body: `body ${i}` }));
        }

        // The target is up and scraped with the token (a 403 would make up 0).
        const query = async (promql: string): Promise<string | undefined> => {
          const r = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
          const body = (await r.json()) as {
            status: string;
            data?: { result?: { value?: [number, string] }[] };
          };
          return body.status === 'success' ? body.data?.result?.[0]?.value?.[1] : undefined;
        };
        const seen = await pollUntil(
          `sum(strata_s3_requests_total{api="PutObject"}) = ${puts}`,
          async () => {
            const value = await query('sum(strata_s3_requests_total{api="PutObject"})');
            return value === String(puts) ? value : undefined;
          },
          30_000,
          250,
        );
        expect(seen).toBe('5');
        process.stderr.write(
          `\nmetrics e2e: Prometheus answered sum(strata_s3_requests_total{api="PutObject"}) = ${seen}\n`,
        );
        expect(await query('up{job="strata"}')).toBe('1');
        expect(await query(`strata_bucket_objects{bucket="${bucket}"}`)).toBe(String(puts));
      } catch (err) {
        process.stderr.write(`\n--- prometheus output (tail) ---\n${output.slice(-6000)}\n`);
        throw err;
      }
    });
  },
);
