/**
 * A loopback HTTP server that answers every request with one canned JSON answer and records
 * the requests: for the CLI's admin commands' unit tests. Closed after each test.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export type ServeCanned = (
  status: number,
  body: string | object,
) => Promise<{ url: string; received: IncomingMessage[]; close: () => Promise<void> }>;

/**
 * Call at file level; the returned `serve` starts the server for one test (a string body is sent
 * as is); `close` stops it early (an unreachable server).
 */
export function useCannedServer(): ServeCanned {
  let server: Server | undefined;
  const close = async (): Promise<void> => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };
  afterEach(close);
  return async (status, body) => {
    const received: IncomingMessage[] = [];
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    server = createServer((req, res) => {
      received.push(req);
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, received, close };
  };
}
