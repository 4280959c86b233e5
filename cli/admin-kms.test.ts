import { describe, expect, it } from 'vitest';
import { parseRootSecret } from '../crypto/index.js';
import { useCannedServer } from '../test/helpers/canned-server.js';
import { adminKms, generateSecret, resolveAdminKmsConfig } from './admin-kms.js';

const ENV = { STRATA_ROOT_USER: 'rootuser', STRATA_ROOT_PASSWORD: 'rootpassword' };
const REPORT = {
  bucketsScanned: 2,
  versionsScanned: 9,
  rewrapped: 3,
  unchanged: 2,
  notEncrypted: 2,
  skippedSseC: 1,
  skippedChanged: 0,
  failed: 1,
  uploadsOnOldKeyVersion: 1,
  failures: [{ bucket: 'b', key: 'k', versionId: 'null', code: 'KeyUnsealFailed' }],
};

const serve = useCannedServer();

describe('adminKms', () => {
  it('creates a key with a signed POST naming it in the query', async () => {
    const { url, received } = await serve(200, {
      name: 'tenant-a',
      latestVersion: 1,
      versions: [{ version: 1, createdAt: '2026-01-02T03:04:05.000Z' }],
    });
    const result = await adminKms(resolveAdminKmsConfig({ endpoint: url }, ENV), {
      action: 'key-create',
      name: 'tenant-a',
    });
    expect(result).toEqual({ output: `Created KMS key tenant-a (version 1) on ${url}.\n`, ok: true });
    expect(received[0]?.method).toBe('POST');
    expect(received[0]?.url).toBe('/_strata/admin/v1/kms/key/create?name=tenant-a');
    expect(received[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=rootuser\//);
  });

  it('lists keys and marks the default one', async () => {
    const { url, received } = await serve(200, {
      defaultKey: 'strata-default',
      keys: [
        { name: 'strata-default', latestVersion: 1, versions: [{ version: 1, createdAt: 'T1' }] },
        {
          name: 'tenant-a',
          latestVersion: 2,
          versions: [
            { version: 1, createdAt: 'T1' },
            { version: 2, createdAt: 'T2' },
          ],
        },
      ],
    });
    const { output } = await adminKms(resolveAdminKmsConfig({ endpoint: url }, ENV), { action: 'key-list' });
    expect(received[0]?.method).toBe('GET');
    expect(output).toMatch(/^ {2}strata-default +1 +1 +T1 +\(default: SSE-S3\)$/m);
    expect(output).toMatch(/^ {2}tenant-a +2 +2 +T2$/m);
  });

  it('prints the re-wrap counts and failures, and is not ok when a version failed', async () => {
    const { url, received } = await serve(200, REPORT);
    const { output, ok } = await adminKms(resolveAdminKmsConfig({ endpoint: url }, ENV), {
      action: 'rewrap',
      bucket: 'b',
    });
    expect(received[0]?.url).toBe('/_strata/admin/v1/kms/rewrap?bucket=b');
    expect(ok).toBe(false);
    expect(output).toContain(`Re-wrap of bucket b on ${url}`);
    expect(output).toMatch(/rewrapped: +3/);
    expect(output).toMatch(/skipped SSE-C: +1/);
    expect(output).toContain('failed: b/k (version null): KeyUnsealFailed');
    expect(output).toContain('1 open multipart upload(s) use an older key version');
    expect(output).toContain('Re-wrap incomplete');
  });

  it("reports the server's error code and message", async () => {
    const { url } = await serve(409, { code: 'KeyExists', message: 'KMS key "a" exists', requestId: 'r' });
    await expect(
      adminKms(resolveAdminKmsConfig({ endpoint: url }, ENV), { action: 'key-create', name: 'a' }),
    ).rejects.toThrow(/answered 409: KeyExists \(KMS key "a" exists\)/);
  });

  it('rejects an answer without the report counts', async () => {
    const { url } = await serve(200, { rewrapped: 1 });
    await expect(
      adminKms(resolveAdminKmsConfig({ endpoint: url }, ENV), { action: 'rewrap', bucket: undefined }),
    ).rejects.toThrow(/no count "bucketsScanned"/);
  });
});

describe('generateSecret', () => {
  it('prints a fresh NAME:base64 root secret that the server accepts', () => {
    const first = generateSecret(undefined);
    expect(first).toMatch(/^strata-root:[A-Za-z0-9+/]{43}=\n$/);
    expect(parseRootSecret(first).key).toHaveLength(32);
    expect(generateSecret(undefined)).not.toBe(first);
    expect(parseRootSecret(generateSecret('prod-root')).name).toBe('prod-root');
  });

  it('refuses a name the server would refuse, as a usage error', () => {
    expect(() => generateSecret('bad name')).toThrow(expect.objectContaining({ code: 'UsageError' }));
  });
});
