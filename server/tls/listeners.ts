import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { CertificateStore } from './certificate-store.js';

/** Where to listen: `host` as listen() takes it (IPv6 without brackets); port 0 picks a free port. */
export interface ListenAt {
  host: string;
  port: number;
}

export interface ListenOptions {
  /** The S3 address: HTTPS when `certificates` is given (the app must be built with their serverOptions()), else HTTP. */
  address: ListenAt;
  /** An extra plain-HTTP listener serving the same app (STRATA_HTTP_ADDRESS). */
  httpAddress?: ListenAt | undefined;
  certificates?: CertificateStore | undefined;
}

export interface BoundListener {
  protocol: 'https' | 'http';
  address: AddressInfo;
}

export interface Listeners {
  /** The S3 address as bound. */
  readonly main: BoundListener;
  /** The extra plain-HTTP listener, when configured. */
  readonly plain: BoundListener | undefined;
  /**
   * Graceful close: stops accepting connections on every listener at once, closes idle
   * keep-alive connections now and each busy one as soon as its response is sent; requests
   * arriving meanwhile on open connections get 503 (Fastify's return503OnClosing). After
   * `timeoutMs` every remaining connection is destroyed (their requests abort, uploads
   * commit nothing). Resolves when app.close() has finished (its onClose hooks included).
   */
  close(timeoutMs: number): Promise<{ forced: boolean }>;
}

/**
 * Starts `app` listening on the S3 address (HTTPS or HTTP) and, if asked, on an extra
 * plain-HTTP address. Both feed the same Fastify app, so there is one set of hooks,
 * observers and handlers: the extra listener is a node:http server whose requests go
 * to `app.routing` (Fastify's own request handler) and whose `Expect: 100-continue`
 * requests go through app.server's `checkContinue` listener (server/app.ts), which
 * defers the 100 and hands the request to Fastify. Throws an Error naming the address
 * that could not be bound.
 */
export async function listen(app: FastifyInstance, opts: ListenOptions): Promise<Listeners> {
  const servers: HttpServer[] = [app.server];
  const sockets = new Set<Socket>();
  let draining = false;
  const closeIdle = (): void => {
    for (const server of servers) server.closeIdleConnections();
  };
  // Once draining, a keep-alive connection whose response just went out is idle: close it
  // now rather than when the client or the keep-alive timeout does.
  app.addHook('onResponse', (_request, _reply, done) => {
    if (draining) setImmediate(closeIdle);
    done();
  });

  if (opts.certificates !== undefined) {
    if (!(app.server instanceof TlsServer)) {
      throw new Error('certificates were given but the app was not built with their serverOptions()');
    }
    opts.certificates.attach(app.server);
  }
  trackSockets(app.server, sockets);
  await bind(opts.address, () => app.listen({ host: opts.address.host, port: opts.address.port }));
  const main: BoundListener = {
    protocol: opts.certificates === undefined ? 'http' : 'https',
    address: app.server.address() as AddressInfo,
  };

  let plain: HttpServer | undefined;
  if (opts.httpAddress !== undefined) {
    const at = opts.httpAddress;
    const server = createServer((req, res) => app.routing(req, res));
    // The same connection limits Fastify gave its own server (no request timeout: uploads are long).
    server.keepAliveTimeout = app.server.keepAliveTimeout;
    server.requestTimeout = app.server.requestTimeout;
    server.headersTimeout = app.server.headersTimeout;
    server.maxRequestsPerSocket = app.server.maxRequestsPerSocket;
    server.timeout = app.server.timeout;
    server.on('checkContinue', (req, res) => app.server.emit('checkContinue', req, res));
    trackSockets(server, sockets);
    await bind(
      at,
      () =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(at.port, at.host, () => {
            server.off('error', reject);
            resolve();
          });
        }),
    );
    servers.push(server);
    plain = server;
  }

  return {
    main,
    plain: plain === undefined ? undefined : { protocol: 'http', address: plain.address() as AddressInfo },
    close: async (timeoutMs) => {
      draining = true;
      let forced = false;
      const timer = setTimeout(() => {
        forced = true;
        for (const server of servers) server.closeAllConnections();
        // Also connections that are not HTTP yet (a TLS handshake in progress).
        for (const socket of sockets) socket.destroy();
      }, timeoutMs);
      try {
        const plainClosed =
          plain === undefined ? undefined : new Promise<void>((resolve) => plain.close(() => resolve()));
        // Fastify marks itself closing first, so requests reaching either listener get 503.
        await Promise.all([app.close(), plainClosed]);
      } finally {
        clearTimeout(timer);
      }
      return { forced };
    },
  };
}

/** Every raw connection of `server` until it closes, so a deadline can destroy them all. */
function trackSockets(
  server: { on(event: 'connection', listener: (socket: Socket) => void): unknown },
  sockets: Set<Socket>,
): void {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

async function bind(at: ListenAt, start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    const where = at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
    throw new Error(`cannot listen on ${where}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
