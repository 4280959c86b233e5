/**
 * Graceful shutdown of a real server process on SIGTERM: listeners stop accepting at once,
 * an upload in flight finishes, idle keep-alive connections do not hold the exit, and the
 * process exits 0; with a short STRATA_SHUTDOWN_TIMEOUT_SECONDS a stuck upload is cut,
 * the process still exits 0 and nothing of that upload is visible after a restart.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa, writePair } from '../../server/tls/test-certificates.js';
import { signHeaders } from '../helpers/raw-request.js';
import { createBucket, expectStatus, getBytes } from '../helpers/s3.js';
import {
  dumpServerOutputOnFailure,
  pollUntil,
  StrataServer,
  uniqueBucketName,
} from '../helpers/strata-server.js';

/** Far below Fastify's 72 s keep-alive timeout: an exit this fast means idle connections were closed. */
const PROMPT_EXIT_MS = 5_000;
const CHUNK_BYTES = 64 * 1024;

let root: string;
let ca: TestCa;
let certsDir: string;
let server: StrataServer | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-shutdown-'));
  ca = await createTestCa(root);
  certsDir = join(root, 'certs');
  await mkdir(certsDir);
  await writePair(certsDir, await ca.issue('server', { dns: ['localhost'], ips: ['127.0.0.1'] }));
});

afterEach(async () => {
  await server?.destroy();
  server = undefined;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

dumpServerOutputOnFailure(() => server);

/** The plain-HTTP listener's URL from the banner. */
function plainEndpoint(s: StrataServer): string {
  const m = /Plain HTTP:\s*(http:\/\/127\.0\.0\.1:\d+)/.exec(s.output());
  if (m?.[1] === undefined) throw new Error('no "Plain HTTP:" line in the banner');
  return m[1];
}

/** Resolves true once a TCP connection to `port` is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

interface SlowPut {
  req: ClientRequest;
  /** Resolves when the server asked for the body (100 Continue): the handler is running. */
  continued: Promise<void>;
  response: Promise<{ status: number; body: string }>;
}

/**
 * A signed PUT of `body` that sends only its headers (Expect: 100-continue) until the test
 * writes the body itself, on a keep-alive connection of `agent`.
 */
async function slowPut(endpoint: string, path: string, body: Buffer, agent: HttpAgent): Promise<SlowPut> {
  const url = new URL(endpoint);
  const headers = await signHeaders(endpoint, {
    method: 'PUT',
    path,
    headers: { expect: '100-continue', 'content-length': String(body.length) },
    body,
  });
  const req = httpRequest({
    host: url.hostname,
    port: Number(url.port),
    method: 'PUT',
    path,
    headers,
    agent,
  });
  const continued = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  req.flushHeaders();
  return { req, continued, response };
}

function write(req: ClientRequest, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => req.write(chunk, (err) => (err ? reject(err) : resolve())));
}

/** A GET over `agent` (keeps its connection open afterwards). */
function httpsGet(port: number, path: string, agent: HttpsAgent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('shutdown on SIGTERM', () => {
  it('stops accepting on every listener, lets an upload in flight finish with 200, closes idle keep-alive connections and exits 0', async () => {
    server = await StrataServer.start({
      env: { STRATA_CERTS_DIR: certsDir, STRATA_HTTP_ADDRESS: '127.0.0.1:0' },
      ca: ca.cert,
    });
    const s = server;
    const plain = plainEndpoint(s);
    const bucket = uniqueBucketName('drain');
    await createBucket(s.client(), bucket);

    // An idle keep-alive HTTPS connection: it must not hold the exit for the keep-alive timeout.
    const idleAgent = new HttpsAgent({ keepAlive: true, ca: ca.cert });
    const putAgent = new HttpAgent({ keepAlive: true });
    try {
      expect(await httpsGet(s.port, '/_strata/health/live', idleAgent)).toBe(200);

      const body = Buffer.alloc(4 * CHUNK_BYTES, 'drain-');
      const put = await slowPut(plain, `/${bucket}/in-flight`, body, putAgent);
      await put.continued;
      await write(put.req, body.subarray(0, CHUNK_BYTES));

      const pid = s.pid;
      if (pid === undefined) throw new Error('no server pid');
      process.kill(pid, 'SIGTERM');
      const plainPort = Number(new URL(plain).port);
      await pollUntil('the HTTPS listener refuses new connections', () => refused(s.port), 10_000, 20);
      await pollUntil(
        'the plain-HTTP listener refuses new connections',
        () => refused(plainPort),
        10_000,
        20,
      );
      expect(s.running).toBe(true); // still draining: the upload is not done

      for (let offset = CHUNK_BYTES; offset < body.length; offset += CHUNK_BYTES) {
        await write(put.req, body.subarray(offset, offset + CHUNK_BYTES));
      }
      put.req.end();
      const answered = Date.now();
      expect(await put.response).toMatchObject({ status: 200 });

      expect(await s.waitForExit(PROMPT_EXIT_MS)).toEqual({ code: 0, signal: null });
      expect(Date.now() - answered).toBeLessThan(PROMPT_EXIT_MS);
      expect(s.output()).not.toContain('shutdown deadline passed');

      await s.startAgain();
      expect((await getBytes(s.client(), bucket, 'in-flight')).equals(body)).toBe(true);
    } finally {
      idleAgent.destroy();
      putAgent.destroy();
    }
  });

  it('cuts an upload still running at STRATA_SHUTDOWN_TIMEOUT_SECONDS, exits 0, and stores none of it', async () => {
    server = await StrataServer.start({ env: { STRATA_SHUTDOWN_TIMEOUT_SECONDS: '1' } });
    const s = server;
    const bucket = uniqueBucketName('cut');
    await createBucket(s.client(), bucket);

    const agent = new HttpAgent({ keepAlive: false });
    try {
      const body = Buffer.alloc(40 * CHUNK_BYTES, 'stuck-'); // more than one 1 MiB block
      const put = await slowPut(s.endpoint, `/${bucket}/stuck`, body, agent);
      const outcome = put.response.then(
        (res) => `answered ${res.status}`,
        (err: NodeJS.ErrnoException) => `failed ${err.code ?? err.message}`,
      );
      await put.continued;
      await write(put.req, body.subarray(0, 20 * CHUNK_BYTES)); // past the first block, then stuck

      const pid = s.pid;
      if (pid === undefined) throw new Error('no server pid');
      const signalled = Date.now();
      process.kill(pid, 'SIGTERM');
      expect(await s.waitForExit(10_000)).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(900); // it waited for the deadline
      expect(await outcome).toMatch(/^failed (ECONNRESET|socket hang up)/);
      expect(s.output()).toContain('shutdown deadline passed');

      await s.startAgain();
      await expectStatus(s.client().send(new HeadObjectCommand({ Bucket: bucket, Key: 'stuck' })), 404);
      const listed = await s.client().send(new ListObjectsV2Command({ Bucket: bucket }));
      expect(listed.KeyCount).toBe(0);
    } finally {
      agent.destroy();
    }
  });
});
