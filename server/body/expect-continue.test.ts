import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deferContinue } from './expect-continue.js';

interface Outcome {
  continued: boolean;
  status: number;
  body: string;
  connection: string | undefined;
}

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server that defers 100 Continue and answers with `handler`. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  server = createServer(handler);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    deferContinue(req, res);
    server?.emit('request', req, res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** PUTs `body` with Expect: 100-continue, sending it only after 100 Continue. */
function put(port: number, body: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request({
      port,
      host: '127.0.0.1',
      method: 'PUT',
      path: '/',
      headers: { expect: '100-continue', 'content-length': Buffer.byteLength(body) },
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          continued,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          connection: res.headers.connection,
        }),
      );
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('deferContinue', () => {
  it('sends 100 Continue when the handler starts reading the body', async () => {
    const port = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(`got ${Buffer.concat(chunks).toString()}`));
    });
    expect(await put(port, 'hello')).toMatchObject({ continued: true, status: 200, body: 'got hello' });
  });

  it('sends no 100 Continue when the request is answered before its body is read', async () => {
    const port = await listen((_req, res) => {
      res.statusCode = 403;
      res.end('denied');
    });
    expect(await put(port, 'hello')).toEqual({
      continued: false,
      status: 403,
      body: 'denied',
      connection: 'close',
    });
  });

  it('sends no 100 Continue when the body is drained after an early answer', async () => {
    const port = await listen((req, res) => {
      res.statusCode = 403;
      res.end('denied', () => req.resume());
    });
    expect(await put(port, 'hello')).toMatchObject({ continued: false, status: 403 });
  });
});
