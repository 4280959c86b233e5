import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, type ClientRequest, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ObjectLayer, openStorage } from '../../storage/index.js';
import { bucketAclConfig, cannedAcl } from '../acl.js';
import { buildServer } from '../app.js';
import { type Listeners, listen } from './listeners.js';

/**
 * listen() and Listeners.close() over a real app and real storage, anonymous requests
 * into a public-read-write bucket (no signing needed), both listeners plain HTTP.
 */
let dir: string;
let storage: ObjectLayer;
let app: FastifyInstance;
let listeners: Listeners;
let logLines: string[];
const BUCKET = 'open-bucket';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-listeners-'));
  logLines = [];
  const { objectLayer, admin } = await openStorage({
    drives: [1, 2].map((i) => join(dir, `d${i}`)),
    logger: pino({ level: 'silent' }),
  });
  storage = objectLayer;
  await storage.makeBucket(BUCKET, { location: 'us-east-1' });
  await storage.putBucketConfig(BUCKET, 'acl', bucketAclConfig(cannedAcl('public-read-write')));
  app = await buildServer({
    objectLayer,
    admin,
    credentials: () => undefined,
    region: 'us-east-1',
    domains: [],
    logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
  });
  listeners = await listen(app, {
    address: { host: '127.0.0.1', port: 0 },
    httpAddress: { host: '127.0.0.1', port: 0 },
  });
});

afterEach(async () => {
  await listeners.close(0);
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

function get(port: number, path: string, agent: Agent | false = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

/**
 * An anonymous PUT of `length` bytes on its own keep-alive connection that sends only its
 * headers (Expect: 100-continue); `continued` resolves once the handler asks for the body.
 */
function startPut(
  port: number,
  key: string,
  length: number,
): { req: ClientRequest; continued: Promise<void>; response: Promise<number>; agent: Agent } {
  const agent = new Agent({ keepAlive: true });
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'PUT',
    path: `/${BUCKET}/${key}`,
    headers: { 'content-length': String(length), expect: '100-continue' },
    agent,
  });
  const continued = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const response = new Promise<number>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
  });
  req.flushHeaders();
  return { req, continued, response, agent };
}

describe('listen', () => {
  it('serves the same app on the S3 address and the extra plain-HTTP address', async () => {
    expect(listeners.main.protocol).toBe('http');
    expect(listeners.plain?.protocol).toBe('http');
    expect(await get(listeners.main.address.port, '/_strata/health/live')).toBe(200);
    expect(await get(listeners.plain?.address.port ?? 0, '/_strata/health/live')).toBe(200);
  });

  it('names the address it cannot bind', async () => {
    const other = await buildServer({
      objectLayer: storage,
      admin: {} as never,
      credentials: () => undefined,
      region: 'us-east-1',
      domains: [],
      logger: pino({ level: 'silent' }),
    });
    const taken = listeners.main.address.port;
    await expect(listen(other, { address: { host: '127.0.0.1', port: taken } })).rejects.toThrow(
      `cannot listen on 127.0.0.1:${taken}`,
    );
    await other.close();
  });
});

describe('Listeners.close', () => {
  it('stops accepting, lets an upload in flight finish, and resolves once its connection and the idle ones are closed', async () => {
    const idle = new Agent({ keepAlive: true });
    const mainPort = listeners.main.address.port;
    const plainPort = listeners.plain?.address.port ?? 0;
    expect(await get(mainPort, '/_strata/health/live', idle)).toBe(200);
    const put = startPut(plainPort, 'in-flight', 10);
    await put.continued;
    put.req.write('01234');

    let closed = false;
    const closing = listeners.close(60_000).then((result) => {
      closed = true;
      return result;
    });
    await expect(get(mainPort, '/_strata/health/live')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(get(plainPort, '/_strata/health/live')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(closed).toBe(false);

    put.req.end('56789');
    expect(await put.response).toBe(200);
    // Both keep-alive connections (the idle one and the upload's) are closed by the server,
    // not left to the 72 s keep-alive timeout.
    expect(await closing).toEqual({ forced: false });
    expect((await storage.getObjectInfo(BUCKET, 'in-flight')).sizeBytes).toBe(10);
    idle.destroy();
    put.agent.destroy();
  });

  it('cuts what is still running at the deadline and resolves only after its handler has unwound', async () => {
    const put = startPut(listeners.main.address.port, 'stuck', 10);
    await put.continued;
    put.req.write('01234');
    const failed = put.response.then(
      () => 'answered',
      () => 'cut',
    );

    expect(await listeners.close(100)).toEqual({ forced: true });
    expect(await failed).toBe('cut');
    // The handler saw the connection go and finished before close() resolved.
    expect(logLines.some((l) => l.includes('client closed the connection'))).toBe(true);
    await expect(storage.getObjectInfo(BUCKET, 'stuck')).rejects.toThrow();
    put.agent.destroy();
  });
});
