import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { useCannedServer } from '../test/helpers/canned-server.js';
import { adminHeal, formatHealCounts, resolveAdminHealConfig } from './admin-heal.js';

const REPORT = {
  objectsScanned: 10,
  objectsHealed: 2,
  shardsRepaired: 5,
  objectsFailed: 0,
  bucketsHealed: 1,
};
const ENV = {
  STRATA_ROOT_USER: 'rootuser',
  STRATA_ROOT_PASSWORD: 'rootpassword',
  STRATA_REGION: 'eu-west-1',
};

const serve = useCannedServer();

/** Recomputes the signature from the request as the server saw it: what a SigV4 verifier does. */
async function expectedAuthorization(req: IncomingMessage, secret: string, region: string): Promise<string> {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const amzDate = String(req.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials: { accessKeyId: 'rootuser', secretAccessKey: secret },
    sha256: Sha256,
    uriEscapePath: false,
  });
  const signed = await signer.sign(
    {
      method: req.method ?? '',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {
        host: String(req.headers.host),
        'x-amz-content-sha256': String(req.headers['x-amz-content-sha256']),
      },
    },
    { signingDate },
  );
  return String(signed.headers.authorization);
}

describe('adminHeal', () => {
  it('sends a SigV4-signed POST for one bucket and returns the counts', async () => {
    const { url, received } = await serve(200, JSON.stringify(REPORT));
    const config = resolveAdminHealConfig({ endpoint: url, bucket: 'photos.2024' }, ENV);

    await expect(adminHeal(config)).resolves.toEqual(REPORT);

    const req = received[0];
    expect(req).toBeDefined();
    if (req === undefined) return;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/_strata/admin/v1/heal?bucket=photos.2024');
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=rootuser\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=[^,]*host[^,]*x-amz-date/,
    );
    expect(req.headers.authorization).toBe(await expectedAuthorization(req, 'rootpassword', 'eu-west-1'));
  });

  it('heals everything when no bucket is given', async () => {
    const { url, received } = await serve(200, JSON.stringify(REPORT));
    await adminHeal(resolveAdminHealConfig({ endpoint: url }, ENV));
    expect(received[0]?.url).toBe('/_strata/admin/v1/heal');
  });

  it('reports the S3 error code of a refused request', async () => {
    const { url } = await serve(
      403,
      '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>The signature does not match.</Message></Error>',
    );
    await expect(adminHeal(resolveAdminHealConfig({ endpoint: url }, ENV))).rejects.toThrow(
      /answered 403: SignatureDoesNotMatch \(The signature does not match.\)/,
    );
  });

  it('reports the code of a JSON error answer', async () => {
    const { url } = await serve(403, '{"code":"AccessDenied","message":"Access Denied.","requestId":"r1"}');
    await expect(adminHeal(resolveAdminHealConfig({ endpoint: url }, ENV))).rejects.toThrow(
      /answered 403: AccessDenied \(Access Denied.\)/,
    );
  });

  it('rejects a report without the counts', async () => {
    const { url } = await serve(200, '{"objectsScanned":1}');
    await expect(adminHeal(resolveAdminHealConfig({ endpoint: url }, ENV))).rejects.toThrow(/no count/);
  });

  it('says when the server cannot be reached', async () => {
    const { url, close } = await serve(200, '{}');
    await close();
    await expect(adminHeal(resolveAdminHealConfig({ endpoint: url }, ENV))).rejects.toThrow(
      /cannot reach .*is strata server running there\?/,
    );
  });
});

describe('resolveAdminHealConfig', () => {
  it('defaults to loopback on the port of STRATA_ADDRESS', () => {
    expect(resolveAdminHealConfig({}, {}).endpoint.href).toBe('http://127.0.0.1:9000/');
    expect(resolveAdminHealConfig({}, { STRATA_ADDRESS: ':9100' }).endpoint.href).toBe(
      'http://127.0.0.1:9100/',
    );
    expect(resolveAdminHealConfig({}, { STRATA_ENDPOINT: 'https://s3.example.com' }).endpoint.href).toBe(
      'https://s3.example.com/',
    );
  });

  it('rejects bad endpoints with a UsageError', () => {
    expect(() => resolveAdminHealConfig({ endpoint: 'not a url' }, {})).toThrow(/is not a URL/);
    expect(() => resolveAdminHealConfig({ endpoint: 'ftp://x' }, {})).toThrow(/http:\/\/ or https:\/\//);
  });
});

describe('formatHealCounts', () => {
  it('prints every count', () => {
    const text = formatHealCounts(REPORT, { endpoint: new URL('http://127.0.0.1:9000'), bucket: undefined });
    expect(text).toContain('Heal of all buckets on http://127.0.0.1:9000');
    expect(text).toMatch(/objects scanned: +10/);
    expect(text).toMatch(/shards repaired: +5/);
    expect(text).toContain('Heal complete.');
  });
});
