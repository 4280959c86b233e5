import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ObjectLayer, openStorage } from '../storage/index.js';
import { buildServer } from './index.js';
import type { MetricsAccess } from './internal-endpoints.js';
import { HealthState } from './telemetry/health.js';
import { Metrics } from './telemetry/metrics.js';
import { issuePrometheusToken } from './telemetry/prometheus-token.js';

/** Routing of Strata's own endpoints (health, metrics) next to S3, over a real server. */

const ROOT = { accessKeyId: 'STRATAROOTKEY', secretAccessKey: 'strata-root-secret-key' };
const EXTRA = { accessKeyId: 'STRATAEXTRAKEY', secretAccessKey: 'strata-extra-secret-key' };
const REGION = 'us-east-1';
const DOMAIN = 's3.strata.test';

let app: FastifyInstance;
let storage: ObjectLayer;
let port = 0;
let dir = '';
const health = new HealthState();
let access: MetricsAccess;

const signer = new SignatureV4({
  service: 's3',
  region: REGION,
  credentials: ROOT,
  sha256: Sha256,
  uriEscapePath: false,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-internal-test-'));
  const opened = await openStorage({
    drives: [1, 2, 3, 4].map((i) => join(dir, `d${i}`)),
    logger: pino({ level: 'silent' }),
  });
  storage = opened.objectLayer;
  const metrics = new Metrics({ registry: new Registry(), storage: opened.stats, processMetrics: false });
  access = { metrics, authType: 'jwt' };
  const keys = new Map([ROOT, EXTRA].map((c) => [c.accessKeyId, c]));
  app = await buildServer({
    objectLayer: opened.objectLayer,
    admin: opened.admin,
    credentials: (id) => keys.get(id),
    isRoot: (id) => id === ROOT.accessKeyId,
    region: REGION,
    domains: [DOMAIN],
    logger: pino({ level: 'silent' }),
    observers: [metrics.observe],
    requestStarted: metrics.requestStarted,
    health,
    metrics: access,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

afterAll(async () => {
  await app?.close();
  await storage?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function signed(method: string, path: string, host = `127.0.0.1:${port}`): Promise<Answer> {
  const req = await signer.sign(
    new HttpRequest({
      method,
      hostname: host,
      path,
      headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    }),
  );
  return request(method, path, req.headers);
}

const HEALTH_PATHS = {
  live: ['/strata/health/live', '/minio/health/live', '/_strata/health/live'],
  ready: ['/strata/health/ready', '/minio/health/ready', '/_strata/health/ready'],
  cluster: ['/strata/health/cluster', '/minio/health/cluster', '/_strata/health/cluster'],
};

describe('health endpoints', () => {
  it('answer without auth on every alias; readiness follows the lifecycle, liveness and cluster do not', async () => {
    for (const path of HEALTH_PATHS.live) expect((await request('GET', path)).status, path).toBe(200);
    for (const path of HEALTH_PATHS.cluster) expect((await request('GET', path)).status, path).toBe(200);
    for (const path of HEALTH_PATHS.ready) {
      const r = await request('GET', path);
      expect([r.status, JSON.parse(r.body)], path).toEqual([503, { status: 'starting' }]);
    }
    health.serving();
    for (const path of HEALTH_PATHS.ready) {
      expect((await request('GET', path)).status, path).toBe(200);
      const head = await request('HEAD', path);
      expect([head.status, head.body], path).toEqual([200, '']);
    }
    expect((await request('GET', '/strata/health/ready')).headers['content-type']).toMatch(
      /application\/json/,
    );
    expect((await request('POST', '/strata/health/live')).status).toBe(405);
  });

  it('are served on path-style requests only: on a virtual host the path is a key of the bucket', async () => {
    const r = await request('GET', '/strata/health/live', { host: `somebucket.${DOMAIN}` });
    expect(r.status).not.toBe(200);
    expect(r.body).toContain('<Error>');
  });
});

describe('the reserved bucket names strata and minio', () => {
  it('cannot be created, and other paths under them are no bucket', async () => {
    for (const name of ['strata', 'minio']) {
      const created = await signed('PUT', `/${name}`);
      expect(created.status, created.body).toBe(400);
      expect(created.body).toContain('<Code>InvalidBucketName</Code>');
      const other = await signed('GET', `/${name}/health/other`);
      expect(other.status, other.body).toBe(404);
      expect(other.body).toContain('<Code>NoSuchBucket</Code>');
    }
  });
});

describe('metrics endpoint', () => {
  it('refuses a missing, wrong or non-root token with 403 and serves a root token on both paths', async () => {
    const missing = await request('GET', '/strata/v1/metrics');
    expect(missing.status).toBe(403);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'AccessDenied' });
    const wrong = await issuePrometheusToken({
      accessKeyId: ROOT.accessKeyId,
      secretAccessKey: 'not-the-secret',
    });
    expect((await request('GET', '/strata/v1/metrics', { authorization: `Bearer ${wrong}` })).status).toBe(
      403,
    );
    const extra = await issuePrometheusToken(EXTRA);
    expect((await request('GET', '/strata/v1/metrics', { authorization: `Bearer ${extra}` })).status).toBe(
      403,
    );
    // A SigV4 signature is not a bearer token.
    expect((await signed('GET', '/strata/v1/metrics')).status).toBe(403);

    const token = await issuePrometheusToken(ROOT);
    for (const path of ['/strata/v1/metrics', '/minio/v2/metrics/cluster']) {
      const r = await request('GET', path, { authorization: `Bearer ${token}` });
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(r.body).toContain('# TYPE strata_s3_requests_total counter');
      expect(r.body).toMatch(/^strata_drives_online 4$/m);
    }
    expect((await request('POST', '/strata/v1/metrics', { authorization: `Bearer ${token}` })).status).toBe(
      405,
    );
  });

  it('serves anyone when the auth type is public', async () => {
    access.authType = 'public';
    try {
      expect((await request('GET', '/strata/v1/metrics')).status).toBe(200);
    } finally {
      access.authType = 'jwt';
    }
    expect((await request('GET', '/strata/v1/metrics')).status).toBe(403);
  });

  it('counts S3 requests by operation (not health or metrics calls) and ends each in-flight count', async () => {
    await signed('PUT', '/metrics-bucket');
    await signed('GET', '/metrics-bucket/missing-key');
    await request('GET', '/strata/health/live');
    access.authType = 'public';
    let text: string;
    try {
      text = (await request('GET', '/strata/v1/metrics')).body;
    } finally {
      access.authType = 'jwt';
    }
    expect(text).toMatch(/^strata_s3_requests_total\{api="CreateBucket",status_class="2xx"\} 1$/m);
    expect(text).toMatch(/^strata_s3_errors_total\{api="GetObject",code="NoSuchKey"\} 1$/m);
    expect(text).toMatch(/^strata_s3_requests_inflight\{api="GetObject"\} 0$/m);
    expect(text).not.toContain('api="Internal"');
    expect(text).not.toContain('missing-key');
  });
});

describe('KMS admin endpoints', () => {
  const extraSigner = new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: EXTRA,
    sha256: Sha256,
    uriEscapePath: false,
  });

  /** A signed request whose query string is signed too (`signed` above signs paths only). */
  async function signedWithQuery(method: string, target: string, by = signer): Promise<Answer> {
    const host = `127.0.0.1:${port}`;
    const url = new URL(target, `http://${host}`);
    const req = await by.sign(
      new HttpRequest({
        method,
        hostname: host,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      }),
    );
    return request(method, target, req.headers);
  }

  it('refuse a signer who is not root, and an unsigned request', async () => {
    const r = await signedWithQuery('POST', '/_strata/admin/v1/kms/key/create?name=tenant-x', extraSigner);
    expect(r.status, r.body).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'AccessDenied' });
    expect((await request('GET', '/_strata/admin/v1/kms/key/list')).status).toBe(403);
  });

  it('answer 501 KmsNotConfigured to root when the server has no KMS', async () => {
    for (const [method, path] of [
      ['GET', '/_strata/admin/v1/kms/key/list'],
      ['POST', '/_strata/admin/v1/kms/key/create?name=tenant-a'],
      ['GET', '/_strata/admin/v1/kms/key/status?name=tenant-a'],
      ['POST', '/_strata/admin/v1/kms/key/rotate?name=tenant-a'],
      ['POST', '/_strata/admin/v1/kms/rewrap'],
    ] as const) {
      const r = await signedWithQuery(method, path);
      expect(r.status, `${method} ${path}: ${r.body}`).toBe(501);
      expect(r.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(r.body)).toMatchObject({
        code: 'KmsNotConfigured',
        message: expect.stringContaining('STRATA_KMS_SECRET_KEY'),
        requestId: expect.any(String),
      });
    }
  });

  it('answer 405 to the wrong method and 404 to an unknown KMS path', async () => {
    const wrong = await signedWithQuery('POST', '/_strata/admin/v1/kms/key/list');
    expect(wrong.status, wrong.body).toBe(405);
    expect(JSON.parse(wrong.body)).toMatchObject({ code: 'MethodNotAllowed' });
    const unknown = await signedWithQuery('POST', '/_strata/admin/v1/kms/key/delete?name=x');
    expect(unknown.status, unknown.body).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'NotFound' });
  });
});
