/**
 * HTTPS from a certificate directory (STRATA_CERTS_DIR), against a real server process:
 * S3 over TLS, certificates rotated while serving (a Kubernetes Secret's `..data` swap
 * and files renamed into a per-domain folder), SNI, a broken pair that must not be
 * taken, TLS 1.1 refused, and plain HTTP served at the same time (STRATA_HTTP_ADDRESS).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestCa,
  swapSecretData,
  type TestCa,
  type TestPair,
  writePair,
} from '../../server/tls/test-certificates.js';
import { signHeaders } from '../helpers/raw-request.js';
import { createBucket, getBytes } from '../helpers/s3.js';
import {
  dumpServerOutputOnFailure,
  pollUntil,
  StrataServer,
  uniqueBucketName,
} from '../helpers/strata-server.js';

/** New connections must present a rotated certificate within this (watch ~0.3 s, poll 10 s). */
const ROTATION_DEADLINE_MS = 15_000;
const SNI_NAME = 'sni.strata.test';

let root: string;
let certsDir: string;
let ca: TestCa;
let first: TestPair;
let second: TestPair;
let third: TestPair;
let sniFirst: TestPair;
let sniSecond: TestPair;
let server: StrataServer | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-tls-'));
  ca = await createTestCa(root);
  const local = { dns: ['localhost'], ips: ['127.0.0.1'] };
  first = await ca.issue('first', local);
  second = await ca.issue('second', local);
  third = await ca.issue('third', local);
  sniFirst = await ca.issue('sni-first', { dns: [SNI_NAME, `*.${SNI_NAME}`] });
  sniSecond = await ca.issue('sni-second', { dns: [SNI_NAME, `*.${SNI_NAME}`] });
  // The default pair as a mounted Secret (symlinks into ..data), a per-domain folder as plain files.
  certsDir = join(root, 'certs');
  await mkdir(certsDir);
  await swapSecretData(certsDir, 'v1', first);
  await writePair(join(certsDir, SNI_NAME), sniFirst);
  server = await StrataServer.start({
    env: { STRATA_CERTS_DIR: certsDir, STRATA_HTTP_ADDRESS: '127.0.0.1:0' },
    ca: ca.cert,
  });
});

afterAll(async () => {
  await server?.destroy();
  await rm(root, { recursive: true, force: true });
});

dumpServerOutputOnFailure(() => server);

function s(): StrataServer {
  if (server === undefined) throw new Error('server not started');
  return server;
}

/** The plain-HTTP listener's URL from the banner. */
function plainEndpoint(): string {
  const m = /Plain HTTP:\s*(http:\/\/127\.0\.0\.1:\d+)/.exec(s().output());
  if (m?.[1] === undefined) throw new Error('no "Plain HTTP:" line in the banner');
  return m[1];
}

/** Opens a new TLS connection and returns what the server presented (the chain is verified against the test CA). */
function handshake(
  options: ConnectionOptions = {},
): Promise<{ fingerprint256: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: s().port,
      ca: ca.cert,
      // The chain is what matters here; names are checked by the SDK tests.
      checkServerIdentity: () => undefined,
      ...options,
    });
    socket.once('secureConnect', () => {
      resolve({ fingerprint256: socket.getPeerCertificate().fingerprint256, protocol: socket.getProtocol() });
      socket.end();
    });
    socket.once('error', reject);
  });
}

function handshakeError(options: ConnectionOptions): Promise<NodeJS.ErrnoException> {
  return handshake(options).then(
    () => {
      throw new Error('the handshake succeeded');
    },
    (err: NodeJS.ErrnoException) => err,
  );
}

/** GET over `agent`: status, whether the connection was reused, and the certificate that connection saw. */
function getOver(
  agent: HttpsAgent,
  path: string,
): Promise<{ status: number; reused: boolean; fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: s().port, path, agent }, (res) => {
      const fingerprint256 = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, fingerprint256 }),
      );
    });
    req.once('error', reject);
    req.end();
  });
}

describe('HTTPS from STRATA_CERTS_DIR', () => {
  it('prints an https:// endpoint and serves S3 over TLS (SDK verifying against the CA)', async () => {
    expect(s().endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = s().client();
    const bucket = uniqueBucketName('tls');
    await createBucket(client, bucket);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'über/😀', Body: 'over TLS' }));
    expect((await getBytes(client, bucket, 'über/😀')).toString()).toBe('over TLS');
    expect(await handshake()).toEqual({ fingerprint256: first.fingerprint256, protocol: 'TLSv1.3' });
  });

  it('serves plain HTTP on STRATA_HTTP_ADDRESS at the same time, from the same handlers and storage', async () => {
    const bucket = uniqueBucketName('plain');
    await createBucket(s().client(), bucket);
    const plain = s().newClient({ endpoint: plainEndpoint() });
    try {
      await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'via plain HTTP' }));
      expect((await getBytes(s().client(), bucket, 'k')).toString()).toBe('via plain HTTP');
      const got = await plain.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
      expect(await got.Body?.transformToString()).toBe('via plain HTTP');
    } finally {
      plain.destroy();
    }

    // Expect: 100-continue works on the extra listener too (it goes through app.server's checkContinue).
    const url = new URL(plainEndpoint());
    const body = 'after 100 Continue';
    const headers = await signHeaders(plainEndpoint(), {
      method: 'PUT',
      path: `/${bucket}/continued`,
      headers: { expect: '100-continue', 'content-length': String(body.length) },
      body,
    });
    const result = await new Promise<{ continued: boolean; status: number }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest({
        host: url.hostname,
        port: Number(url.port),
        method: 'PUT',
        path: `/${bucket}/continued`,
        headers,
        agent: false,
      });
      req.once('continue', () => {
        continued = true;
        req.end(body);
      });
      req.once('response', (res) => {
        res.resume();
        res.once('end', () => resolve({ continued, status: res.statusCode ?? 0 }));
      });
      req.once('error', reject);
    });
    expect(result).toEqual({ continued: true, status: 200 });
    expect((await getBytes(s().client(), bucket, 'continued')).toString()).toBe(body);
  });

  it('refuses TLS 1.1 (a client that can speak it, as a control server shows) and accepts TLS 1.2', async () => {
    const oldClient: ConnectionOptions = {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    };
    const err = await handshakeError(oldClient);
    expect(err.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'); // the server's alert, not a client refusal

    const control = createTlsServer({
      cert: first.cert,
      key: first.key,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    control.on('secureConnection', (socket) => socket.end());
    await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
    try {
      const port = (control.address() as { port: number }).port;
      const protocol = await new Promise<string | null>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca: ca.cert, ...oldClient });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol());
          socket.destroy();
        });
        socket.once('error', reject);
      });
      expect(protocol).toBe('TLSv1.1');
    } finally {
      control.close();
    }

    expect((await handshake({ maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2');
  });

  it('presents the per-domain certificate to clients asking for its name (exact and wildcard), the default otherwise', async () => {
    expect((await handshake({ servername: SNI_NAME })).fingerprint256).toBe(sniFirst.fingerprint256);
    expect((await handshake({ servername: `bucket.${SNI_NAME}` })).fingerprint256).toBe(
      sniFirst.fingerprint256,
    );
    expect((await handshake({ servername: 'localhost' })).fingerprint256).toBe(first.fingerprint256);
    expect((await handshake({ servername: 'elsewhere.test' })).fingerprint256).toBe(first.fingerprint256);
    expect((await handshake()).fingerprint256).toBe(first.fingerprint256); // by IP: no SNI
  });

  it('new connections get a certificate swapped in like a Secret update; an open keep-alive connection keeps working', async () => {
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: ca.cert });
    try {
      const before = await getOver(agent, '/_strata/health/live');
      expect(before).toMatchObject({ status: 200, fingerprint256: first.fingerprint256 });

      await swapSecretData(certsDir, 'v2', second);
      await rm(join(certsDir, '..v1'), { recursive: true }); // the kubelet removes the old version
      await pollUntil(
        'a new TLS connection presents the rotated certificate',
        async () => (await handshake()).fingerprint256 === second.fingerprint256,
        ROTATION_DEADLINE_MS,
      );

      const after = await getOver(agent, '/_strata/health/live');
      expect(after).toEqual({ status: 200, reused: true, fingerprint256: first.fingerprint256 });

      // The SDK (new connections, verifying names) still works after the swap.
      const fresh = s().newClient();
      try {
        const bucket = uniqueBucketName('rotated');
        await createBucket(fresh, bucket);
        await fresh.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'after rotation' }));
        expect((await getBytes(fresh, bucket, 'k')).toString()).toBe('after rotation');
      } finally {
        fresh.destroy();
      }
    } finally {
      agent.destroy();
    }
  });

  it('picks up files renamed into a per-domain folder', async () => {
    await writePair(join(certsDir, SNI_NAME), sniSecond);
    await pollUntil(
      'a new SNI connection presents the rotated per-domain certificate',
      async () => (await handshake({ servername: SNI_NAME })).fingerprint256 === sniSecond.fingerprint256,
      ROTATION_DEADLINE_MS,
    );
    expect((await handshake()).fingerprint256).toBe(second.fingerprint256);
  });

  it('keeps serving the current certificate when a broken pair is dropped in, and takes the next good one', async () => {
    const rejectedBefore = s().output().split('keeping the certificate served so far').length;
    await swapSecretData(certsDir, 'v3', { cert: third.cert, key: first.key }); // key of another certificate
    await pollUntil(
      'the server logs that it rejected the pair',
      () => s().output().split('keeping the certificate served so far').length > rejectedBefore,
      ROTATION_DEADLINE_MS,
    );
    expect((await handshake()).fingerprint256).toBe(second.fingerprint256);
    expect((await handshake({ servername: SNI_NAME })).fingerprint256).toBe(sniSecond.fingerprint256);

    await swapSecretData(certsDir, 'v4', third);
    await pollUntil(
      'the next good pair is served',
      async () => (await handshake()).fingerprint256 === third.fingerprint256,
      ROTATION_DEADLINE_MS,
    );
  });
});
