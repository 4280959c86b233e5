/**
 * No secret reaches the logs or the audit trail: a real server at trace level (the
 * most verbose, so debug is covered too) gets
 * signed requests, presigned URLs, a session token, SSE-C keys and failed
 * authentications; then everything it printed (stdout and stderr) and its audit file
 * are searched for the secrets and signatures. The root password is printed once, on
 * the banner's RootPass line, by design (cli/banner.ts); it is in no log line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawRequest, type RawResponse, sendRaw, signHeaders } from '../helpers/raw-request.js';
import {
  dumpServerOutputOnFailure,
  pollUntil,
  ROOT_SECRET_KEY,
  StrataServer,
  uniqueBucketName,
} from '../helpers/strata-server.js';

const USER = 'log-secrets-user';
const USER_SECRET = `user-secret-${randomBytes(12).toString('hex')}`;
const SESSION_TOKEN = `session-token-${randomBytes(24).toString('base64url')}`;
const SSE_C_KEY = randomBytes(32);
const SSE_C_KEY_B64 = SSE_C_KEY.toString('base64');
const SSE_C_KEY_MD5 = createHash('md5').update(SSE_C_KEY).digest('base64');

describe('secrets in logs and audit entries', () => {
  let server: StrataServer | undefined;
  let scratch: string;
  let auditFile: string;
  /** Every value that must never be printed or audited. */
  const secrets = new Map<string, string>([
    ['user secret', USER_SECRET],
    ['session token', SESSION_TOKEN],
    ['SSE-C key', SSE_C_KEY_B64],
  ]);
  /** x-amz-request-id of every response. */
  const requestIds: string[] = [];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'strata-log-secrets-'));
    auditFile = join(scratch, 'audit.log');
    server = await StrataServer.start({
      env: {
        STRATA_LOG_LEVEL: 'trace',
        STRATA_EXTRA_USERS: `${USER}:${USER_SECRET}`,
        STRATA_AUDIT_FILE: auditFile,
        STRATA_AUDIT_BATCH_INTERVAL_MS: '50',
      },
    });
  });

  afterAll(async () => {
    await server?.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  dumpServerOutputOnFailure(() => server);

  const s = () => server as StrataServer;

  /** Signs as USER (unless overridden), remembers the signature, sends. */
  async function signed(req: RawRequest, secretAccessKey = USER_SECRET): Promise<RawResponse> {
    const headers = await signHeaders(s().endpoint, req, { accessKeyId: USER, secretAccessKey });
    const signature = /Signature=([0-9a-f]{64})/.exec(headers.authorization ?? '')?.[1];
    expect(signature).toBeDefined();
    secrets.set(`signature of ${req.method} ${req.path}`, signature as string);
    return remember(await sendRaw(s().endpoint, { ...req, headers }));
  }

  function remember(res: RawResponse): RawResponse {
    const id = res.headers['x-amz-request-id'];
    if (typeof id === 'string') requestIds.push(id);
    return res;
  }

  /** Remembers a presigned URL's signature and credential, fetches it. */
  async function presigned(url: string, init: RequestInit = {}): Promise<Response> {
    const q = new URL(url).searchParams;
    secrets.set(`presigned signature ${secrets.size}`, q.get('X-Amz-Signature') as string);
    secrets.set(`presigned credential ${secrets.size}`, q.get('X-Amz-Credential') as string);
    secrets.set(
      `presigned credential (encoded) ${secrets.size}`,
      encodeURIComponent(q.get('X-Amz-Credential') as string),
    );
    const res = await fetch(url, init);
    await res.arrayBuffer();
    const id = res.headers.get('x-amz-request-id');
    if (id !== null) requestIds.push(id);
    return res;
  }

  it('serves signed, presigned, token, SSE-C and failed requests', async () => {
    const bucket = uniqueBucketName('secrets');
    expect((await signed({ method: 'PUT', path: `/${bucket}` })).status).toBe(200);
    expect((await signed({ method: 'PUT', path: `/${bucket}/plain`, body: 'hello' })).status).toBe(200);
    expect((await signed({ method: 'GET', path: `/${bucket}/plain` })).text).toBe('hello');

    // A session token the server does not know: refused, fine.
    const withToken = await signed({
      method: 'GET',
      path: `/${bucket}/plain`,
      headers: { 'x-amz-security-token': SESSION_TOKEN },
    });
    expect(withToken.status).toBeGreaterThanOrEqual(200);

    // SSE-C: whatever the answer, the key must not be printed.
    const sseHeaders = {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': SSE_C_KEY_B64,
      'x-amz-server-side-encryption-customer-key-md5': SSE_C_KEY_MD5,
    };
    await signed({ method: 'PUT', path: `/${bucket}/sse-c`, headers: sseHeaders, body: 'secret data' });
    await signed({ method: 'GET', path: `/${bucket}/sse-c`, headers: sseHeaders });
    await signed({
      method: 'PUT',
      path: `/${bucket}/sse-c-copy`,
      headers: {
        'x-amz-copy-source': `/${bucket}/plain`,
        'x-amz-copy-source-server-side-encryption-customer-algorithm': 'AES256',
        'x-amz-copy-source-server-side-encryption-customer-key': SSE_C_KEY_B64,
        'x-amz-copy-source-server-side-encryption-customer-key-md5': SSE_C_KEY_MD5,
      },
    });

    // Failed authentication: a wrong secret (its signature is a secret too), an unknown
    // key, a malformed Authorization header.
    const wrong = await signed({ method: 'GET', path: `/${bucket}/plain` }, 'not-the-secret-at-all');
    expect(wrong.status).toBe(403);
    const garbled = remember(
      await sendRaw(s().endpoint, {
        method: 'GET',
        path: `/${bucket}/plain`,
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${USER}/garbage, Signature=${'ab'.repeat(32)}`,
        },
      }),
    );
    expect(garbled.status).toBeGreaterThanOrEqual(400);
    secrets.set('garbled signature', 'ab'.repeat(32));
    // Token and SSE-C key signed with a wrong secret: the error answer carries the
    // canonical request (as AWS's does); the log must not.
    const refused = await signed(
      {
        method: 'PUT',
        path: `/${bucket}/both`,
        headers: { 'x-amz-security-token': SESSION_TOKEN, ...sseHeaders },
      },
      'also-not-the-secret',
    );
    expect(refused.status).toBe(403);

    // A request Node's HTTP parser refuses: its error carries the raw bytes, Fastify
    // logs it at trace level.
    const rawSignature = 'ef'.repeat(32);
    secrets.set('signature of an unparsable request', rawSignature);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(s().port, '127.0.0.1', () => {
        socket.write(
          `GET /${bucket}/plain?X-Amz-Signature=${rawSignature} HTTP/1.1\r\nHost: x\r\n` +
            `Authorization: AWS4-HMAC-SHA256 Credential=${USER}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${rawSignature}\r\n` +
            `x-amz-server-side-encryption-customer-key: ${SSE_C_KEY_B64}\r\nBad Header\r\n\r\n`,
        );
      });
      socket.on('data', () => {});
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });

    // Presigned URLs: GET, PUT, a tampered signature, and one carrying a session token.
    const client = s().newClient({ credentials: { accessKeyId: USER, secretAccessKey: USER_SECRET } });
    const tokenClient = s().newClient({
      credentials: { accessKeyId: USER, secretAccessKey: USER_SECRET, sessionToken: SESSION_TOKEN },
    });
    try {
      const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: 'plain' }), {
        expiresIn: 300,
      });
      expect((await presigned(getUrl)).status).toBe(200);
      const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: 'pre' }), {
        expiresIn: 300,
      });
      expect((await presigned(putUrl, { method: 'PUT', body: 'presigned body' })).status).toBe(200);
      const tampered = new URL(getUrl);
      const badSignature = 'cd'.repeat(32);
      tampered.searchParams.set('X-Amz-Signature', badSignature);
      secrets.set('tampered presigned signature', badSignature);
      expect((await presigned(tampered.href)).status).toBe(403);
      const tokenUrl = await getSignedUrl(
        tokenClient,
        new GetObjectCommand({ Bucket: bucket, Key: 'plain' }),
        { expiresIn: 300 },
      );
      expect(new URL(tokenUrl).searchParams.get('X-Amz-Security-Token')).toBe(SESSION_TOKEN);
      await presigned(tokenUrl);
    } finally {
      client.destroy();
      tokenClient.destroy();
    }

    // The SDK's own header signing, for good measure.
    const sdk = new S3Client({
      endpoint: s().endpoint,
      region: s().region,
      forcePathStyle: true,
      credentials: { accessKeyId: USER, secretAccessKey: USER_SECRET },
    });
    try {
      const out = await sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'sdk', Body: 'sdk body' }));
      requestIds.push(out.$metadata.requestId as string);
    } finally {
      sdk.destroy();
    }

    await pollUntil('audit entries written', async () => {
      const text = await readFile(auditFile, 'utf8').catch(() => '');
      return requestIds.every((id) => text.includes(id));
    });
  });

  it('prints none of them, in the logs, the banner or the audit file', async () => {
    await s().stop(); // everything flushed: pino's buffer and the audit file
    const output = s().output();
    expect(output).toContain('RootPass:'); // the capture starts at the banner: nothing was cut off
    const audit = await readFile(auditFile, 'utf8');
    expect(audit.split('\n').filter((l) => l !== '').length).toBeGreaterThanOrEqual(requestIds.length);

    expect(output).toMatch(/"msg":"client error"/); // the unparsable request was logged
    expect(audit).toContain(`"accessKey":"${USER}"`); // the audit file is the real thing

    const leaks: string[] = [];
    for (const [what, value] of secrets) {
      expect(value.length).toBeGreaterThanOrEqual(16);
      // Also as a serialized Buffer ({"type":"Buffer","data":[...]}).
      const asBytes = [...Buffer.from(value)].join(',');
      if (output.includes(value) || output.includes(asBytes)) leaks.push(`${what} in the output`);
      if (audit.includes(value) || audit.includes(asBytes)) leaks.push(`${what} in the audit file`);
    }
    expect(leaks).toEqual([]);

    // A configured root password is never printed, not even on the banner.
    expect(output).not.toContain(ROOT_SECRET_KEY);
    expect(audit).not.toContain(ROOT_SECRET_KEY);
  });

  it('puts the request id on every log line about a request', () => {
    const lines = s()
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const completed = new Set(lines.filter((l) => l.msg === 'request completed').map((l) => l.reqId));
    for (const id of requestIds)
      expect(completed.has(id), `request ${id} has a 'request completed' line`).toBe(true);
    // Background components (storage heals, audit delivery) log without a request.
    const aboutARequest = lines.filter(
      (l) => !('component' in l) && ['op', 'bucket', 'method', 'status'].some((k) => k in l),
    );
    expect(aboutARequest.length).toBeGreaterThanOrEqual(requestIds.length);
    for (const line of aboutARequest) expect(line.reqId, JSON.stringify(line)).toMatch(/^[0-9A-F]{16}$/);
  });
});
