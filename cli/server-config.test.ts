import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Env,
  resolveAuditConfig,
  resolveExtraUsers,
  resolveServerConfig,
  type ServerFlags,
} from './server-config.js';

const CWD = '/srv/strata';
const STRONG: Env = { STRATA_ROOT_USER: 'admin', STRATA_ROOT_PASSWORD: 'correct horse battery' };

function config(flags: Partial<ServerFlags>, env: Env = STRONG) {
  return resolveServerConfig({ drives: ['/d{1...4}'], ...flags }, env, CWD);
}

describe('resolveServerConfig', () => {
  it('applies the defaults and warns about the default credentials', () => {
    const c = resolveServerConfig({ drives: ['./data/drive{1...4}'] }, {}, CWD);
    expect(c).toEqual({
      address: { host: '0.0.0.0', port: 9000 },
      drives: [1, 2, 3, 4].map((n) => resolve(CWD, `data/drive${n}`)),
      parityShards: undefined,
      region: 'us-east-1',
      domains: [],
      rootUser: 'strataadmin',
      rootPassword: 'strataadmin',
      defaultCredentials: true,
      extraUsers: [],
      logLevel: 'info',
      audit: {
        file: undefined,
        webhook: undefined,
        elastic: undefined,
        queueDir: resolve(CWD, 'data/drive1/.strata-audit'),
        queueMaxBytes: 1024 ** 3,
        batchSize: 100,
        batchIntervalMs: 1000,
      },
      certsDir: undefined,
      httpAddress: undefined,
      shutdownTimeoutSeconds: 30,
      prometheusAuthType: 'jwt',
      sse: { rootSecret: undefined, autoEncrypt: false, aead: 'AES-256-GCM', allowSsecOverHttp: false },
    });
  });

  it('reads STRATA_* variables', () => {
    const c = resolveServerConfig(
      { drives: [] },
      {
        ...STRONG,
        STRATA_ADDRESS: '127.0.0.1:9100',
        STRATA_REGION: 'eu-west-3',
        STRATA_DOMAIN: 'S3.example.com, s3.local,,s3.example.com',
        STRATA_PARITY: '1',
        STRATA_DRIVES: '/a{1...2} /b',
        STRATA_LOG_LEVEL: 'DEBUG',
      },
      CWD,
    );
    expect(c.address).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(c.region).toBe('eu-west-3');
    expect(c.domains).toEqual(['s3.example.com', 's3.local']);
    expect(c.parityShards).toBe(1);
    expect(c.drives).toEqual(['/a1', '/a2', '/b']);
    expect(c.logLevel).toBe('debug');
    expect(c.rootUser).toBe('admin');
    expect(c.defaultCredentials).toBe(false);
  });

  it('lets flags win over variables', () => {
    const c = config(
      { address: ':0', parity: '2', region: 'ap-south-1', domains: ['flag.example'] },
      {
        ...STRONG,
        STRATA_ADDRESS: ':1',
        STRATA_PARITY: '1',
        STRATA_REGION: 'x',
        STRATA_DOMAIN: 'env.example',
      },
    );
    expect(c.address.port).toBe(0);
    expect(c.parityShards).toBe(2);
    expect(c.region).toBe('ap-south-1');
    expect(c.domains).toEqual(['flag.example']);
  });

  it('takes the root password exactly as given', () => {
    expect(config({}, { STRATA_ROOT_PASSWORD: '  spaced secret  ' }).rootPassword).toBe('  spaced secret  ');
  });

  it.each<[string, Partial<ServerFlags>, Env, RegExp]>([
    ['short user', {}, { ...STRONG, STRATA_ROOT_USER: 'ab' }, /STRATA_ROOT_USER must be at least 3/],
    ['user with a slash', {}, { ...STRONG, STRATA_ROOT_USER: 'a/b/c' }, /STRATA_ROOT_USER must not contain/],
    [
      'short password',
      {},
      { ...STRONG, STRATA_ROOT_PASSWORD: 'short' },
      /STRATA_ROOT_PASSWORD must be at least 8/,
    ],
    ['bad address flag', { address: 'nope' }, STRONG, /--address "nope"/],
    [
      'bad address variable',
      {},
      { ...STRONG, STRATA_ADDRESS: ':99999' },
      /STRATA_ADDRESS ":99999".*out of range/,
    ],
    ['no drives', { drives: [] }, STRONG, /no drives given/],
    ['too many drives', { drives: ['/d{1...17}'] }, STRONG, /17 drives given; a server takes 1 to 16/],
    ['duplicate drives', { drives: ['/d1', '/x/../d1'] }, STRONG, /drive "\/x\/..\/d1" is given twice/],
    ['duplicate after expansion', { drives: ['/d{1...2}', '/d2'] }, STRONG, /given twice/],
    ['parity above half', { parity: '3' }, STRONG, /--parity 3 is too high for 4 drives: at most 2/],
    [
      'parity on one drive',
      { drives: ['/d'] },
      { ...STRONG, STRATA_PARITY: '1' },
      /STRATA_PARITY 1 is too high for 1 drive: at most 0/,
    ],
    ['parity not a number', { parity: 'two' }, STRONG, /--parity "two" is not a whole number/],
    ['bad region', { region: 'US East' }, STRONG, /region "US East" is not valid/],
    [
      'bad domain',
      {},
      { ...STRONG, STRATA_DOMAIN: 'http://s3.example.com' },
      /domain "http:\/\/s3.example.com"/,
    ],
    ['bad log level', {}, { ...STRONG, STRATA_LOG_LEVEL: 'loud' }, /STRATA_LOG_LEVEL "loud"/],
    ['bad ellipsis', { drives: ['/d{4...1}'] }, STRONG, /start is greater than the end/],
  ])('rejects %s with a UsageError', (_name, flags, env, message) => {
    let thrown: unknown;
    try {
      config(flags, env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'UsageError', exitCode: 2 });
    expect((thrown as Error).message).toMatch(message);
  });

  it('accepts parity 0 and exactly half the drives', () => {
    expect(config({ parity: '0' }).parityShards).toBe(0);
    expect(config({ parity: '2' }).parityShards).toBe(2);
    expect(config({ drives: ['/d{1...16}'], parity: '8' }).drives).toHaveLength(16);
  });
});

describe('TLS and shutdown (STRATA_CERTS_DIR, STRATA_HTTP_ADDRESS, STRATA_SHUTDOWN_TIMEOUT_SECONDS)', () => {
  it('reads the certificate directory (relative to the working directory), the HTTP address and the timeout', () => {
    const c = config(
      {},
      {
        ...STRONG,
        STRATA_CERTS_DIR: 'certs',
        STRATA_HTTP_ADDRESS: '127.0.0.1:9080',
        STRATA_SHUTDOWN_TIMEOUT_SECONDS: '5',
      },
    );
    expect(c.certsDir).toBe(resolve(CWD, 'certs'));
    expect(c.httpAddress).toEqual({ host: '127.0.0.1', port: 9080 });
    expect(c.shutdownTimeoutSeconds).toBe(5);
  });

  it('lets --certs-dir win over STRATA_CERTS_DIR and refuses an empty one', () => {
    expect(
      config({ certsDir: '/etc/strata/certs' }, { ...STRONG, STRATA_CERTS_DIR: '/other' }).certsDir,
    ).toBe('/etc/strata/certs');
    expect(() => config({ certsDir: ' ' })).toThrow(/--certs-dir/);
  });

  it('accepts a zero timeout (cut at once) and refuses anything but whole seconds', () => {
    expect(config({}, { ...STRONG, STRATA_SHUTDOWN_TIMEOUT_SECONDS: '0' }).shutdownTimeoutSeconds).toBe(0);
    for (const bad of ['-1', '1.5', 'ten', '100000']) {
      expect(() => config({}, { ...STRONG, STRATA_SHUTDOWN_TIMEOUT_SECONDS: bad })).toThrow(
        /STRATA_SHUTDOWN_TIMEOUT_SECONDS/,
      );
    }
  });

  it('refuses a bad STRATA_HTTP_ADDRESS and one equal to the S3 address', () => {
    expect(() => config({}, { ...STRONG, STRATA_HTTP_ADDRESS: 'nowhere' })).toThrow(/STRATA_HTTP_ADDRESS/);
    expect(() => config({ address: ':9000' }, { ...STRONG, STRATA_HTTP_ADDRESS: ':9000' })).toThrow(
      /STRATA_HTTP_ADDRESS ":9000" is the same as --address/,
    );
  });
});

describe('resolveExtraUsers (STRATA_EXTRA_USERS)', () => {
  it('parses comma-separated KEY:SECRET pairs, secrets taken exactly', () => {
    expect(resolveExtraUsers('altuser:alt-secret-1,tenant:ten:ant=secret', 'root')).toEqual([
      { accessKeyId: 'altuser', secretAccessKey: 'alt-secret-1' },
      { accessKeyId: 'tenant', secretAccessKey: 'ten:ant=secret' },
    ]);
  });

  it('is empty when unset or blank', () => {
    expect(resolveExtraUsers(undefined, 'root')).toEqual([]);
    expect(resolveExtraUsers('', 'root')).toEqual([]);
  });

  it('refuses short secrets, bad keys, missing secrets and duplicates (including the root key)', () => {
    expect(() => resolveExtraUsers('altuser:short', 'root')).toThrow(
      /secret of "altuser" must be at least 8/,
    );
    expect(() => resolveExtraUsers('al:alt-secret-1', 'root')).toThrow(/not a valid access key/);
    expect(() => resolveExtraUsers('alt user:alt-secret-1', 'root')).toThrow(/not a valid access key/);
    expect(() => resolveExtraUsers('altuser', 'root')).toThrow(/secret of "altuser"/);
    expect(() => resolveExtraUsers('altuser:alt-secret-1,altuser:alt-secret-2', 'root')).toThrow(
      /given twice/,
    );
    expect(() => resolveExtraUsers('rootuser:alt-secret-1', 'rootuser')).toThrow(/given twice/);
  });

  it('reaches the server configuration', () => {
    const config = resolveServerConfig(
      { drives: ['/d1'] } as ServerFlags,
      {
        STRATA_EXTRA_USERS: 'altuser:alt-secret-1',
      } as Env,
    );
    expect(config.extraUsers).toEqual([{ accessKeyId: 'altuser', secretAccessKey: 'alt-secret-1' }]);
  });
});

describe('resolveAuditConfig (STRATA_AUDIT_*)', () => {
  const drives = ['/srv/d1', '/srv/d2'];

  it('configures every target and the queue from the variables', () => {
    expect(
      resolveAuditConfig(
        {
          STRATA_AUDIT_FILE: 'logs/audit.log',
          STRATA_AUDIT_FILE_MAX_BYTES: '10MiB',
          STRATA_AUDIT_FILE_KEEP: '0',
          STRATA_AUDIT_WEBHOOK_URL: 'https://hooks.example/audit',
          STRATA_AUDIT_WEBHOOK_AUTH: 'Bearer  exact ',
          STRATA_AUDIT_ELASTIC_URL: 'http://es:9200',
          STRATA_AUDIT_ELASTIC_INDEX: 'audit-prod',
          STRATA_AUDIT_ELASTIC_AUTH: 'ApiKey abc',
          STRATA_AUDIT_QUEUE_DIR: '/var/lib/strata-audit',
          STRATA_AUDIT_QUEUE_MAX_BYTES: '2147483648',
          STRATA_AUDIT_BATCH_SIZE: '500',
          STRATA_AUDIT_BATCH_INTERVAL_MS: '250',
        },
        drives,
        CWD,
      ),
    ).toEqual({
      file: { path: '/srv/strata/logs/audit.log', maxBytes: 10 * 1024 * 1024, keep: 0 },
      webhook: { url: 'https://hooks.example/audit', authorization: 'Bearer  exact ' },
      elastic: { url: 'http://es:9200', index: 'audit-prod', authorization: 'ApiKey abc' },
      queueDir: '/var/lib/strata-audit',
      queueMaxBytes: 2 * 1024 ** 3,
      batchSize: 500,
      batchIntervalMs: 250,
    });
  });

  it('defaults: file limits, index name, queue inside the first drive', () => {
    const c = resolveAuditConfig(
      { STRATA_AUDIT_FILE: '/a.log', STRATA_AUDIT_ELASTIC_URL: 'http://es:9200' },
      drives,
      CWD,
    );
    expect(c.file).toEqual({ path: '/a.log', maxBytes: 100 * 1024 * 1024, keep: 5 });
    expect(c.elastic).toEqual({ url: 'http://es:9200', index: 'strata-audit', authorization: undefined });
    expect(c.webhook).toBeUndefined();
    expect(c.queueDir).toBe('/srv/d1/.strata-audit');
  });

  it('reaches the server configuration', () => {
    expect(config({}, { ...STRONG, STRATA_AUDIT_FILE: '/x/audit.log' }).audit.file?.path).toBe(
      '/x/audit.log',
    );
  });

  it.each<[string, Env, RegExp]>([
    [
      'a bad size',
      { STRATA_AUDIT_FILE: '/a', STRATA_AUDIT_FILE_MAX_BYTES: '10MB' },
      /STRATA_AUDIT_FILE_MAX_BYTES "10MB"/,
    ],
    [
      'a tiny queue',
      { STRATA_AUDIT_QUEUE_MAX_BYTES: '100' },
      /STRATA_AUDIT_QUEUE_MAX_BYTES "100" is not a size/,
    ],
    [
      'a negative keep',
      { STRATA_AUDIT_FILE: '/a', STRATA_AUDIT_FILE_KEEP: '-1' },
      /STRATA_AUDIT_FILE_KEEP "-1"/,
    ],
    [
      'batch size 0',
      { STRATA_AUDIT_BATCH_SIZE: '0' },
      /STRATA_AUDIT_BATCH_SIZE "0" is not a whole number from 1/,
    ],
    ['a short interval', { STRATA_AUDIT_BATCH_INTERVAL_MS: '1' }, /STRATA_AUDIT_BATCH_INTERVAL_MS "1"/],
    [
      'a URL that is not http',
      { STRATA_AUDIT_WEBHOOK_URL: 'ftp://x' },
      /STRATA_AUDIT_WEBHOOK_URL must be an http/,
    ],
    [
      'a relative URL',
      { STRATA_AUDIT_ELASTIC_URL: 'es:9200/x y' },
      /STRATA_AUDIT_ELASTIC_URL must be an http/,
    ],
    [
      'an index with upper case',
      { STRATA_AUDIT_ELASTIC_URL: 'http://es', STRATA_AUDIT_ELASTIC_INDEX: 'Audit' },
      /not a valid Elasticsearch index/,
    ],
    [
      'an auth without URL',
      { STRATA_AUDIT_WEBHOOK_AUTH: 'Bearer x' },
      /STRATA_AUDIT_WEBHOOK_AUTH is set but STRATA_AUDIT_WEBHOOK_URL is not/,
    ],
    [
      'an elastic auth without URL',
      { STRATA_AUDIT_ELASTIC_AUTH: 'x' },
      /STRATA_AUDIT_ELASTIC_AUTH is set but/,
    ],
  ])('rejects %s with a UsageError', (_name, env, message) => {
    expect(() => resolveAuditConfig(env, drives, CWD)).toThrow(message);
  });

  it('never echoes a URL (it may carry credentials) in an error', () => {
    expect(() => resolveAuditConfig({ STRATA_AUDIT_WEBHOOK_URL: 'ftp://user:hunter2@x' }, drives)).toThrow(
      /^((?!hunter2).)*$/,
    );
  });
});

describe('metrics (STRATA_PROMETHEUS_AUTH_TYPE)', () => {
  it('defaults to jwt, accepts jwt and public in any case, refuses anything else', () => {
    expect(config({}).prometheusAuthType).toBe('jwt');
    expect(config({}, { ...STRONG, STRATA_PROMETHEUS_AUTH_TYPE: 'public' }).prometheusAuthType).toBe(
      'public',
    );
    expect(config({}, { ...STRONG, STRATA_PROMETHEUS_AUTH_TYPE: 'JWT' }).prometheusAuthType).toBe('jwt');
    expect(() => config({}, { ...STRONG, STRATA_PROMETHEUS_AUTH_TYPE: 'none' })).toThrow(
      'STRATA_PROMETHEUS_AUTH_TYPE "none" must be jwt or public',
    );
  });
});

describe('server-side encryption (STRATA_KMS_*, STRATA_SSE_*)', () => {
  const secret = `main:${Buffer.alloc(32, 1).toString('base64')}`;

  it('reads the root secret, auto-encryption, the AEAD and the SSE-C over HTTP switch', () => {
    const c = config(
      {},
      {
        ...STRONG,
        STRATA_KMS_SECRET_KEY: secret,
        STRATA_KMS_AUTO_ENCRYPTION: 'on',
        STRATA_SSE_AEAD: 'chacha20-poly1305',
        STRATA_SSEC_ALLOW_HTTP: '1',
      },
    );
    expect(c.sse.rootSecret?.name).toBe('main');
    expect(c.sse.rootSecret?.key.equals(Buffer.alloc(32, 1))).toBe(true);
    expect(c.sse).toMatchObject({ autoEncrypt: true, aead: 'ChaCha20-Poly1305', allowSsecOverHttp: true });
  });

  it('refuses auto-encryption without a KMS, unknown AEADs and switches, and bad secrets (without echoing them)', () => {
    expect(() => config({}, { ...STRONG, STRATA_KMS_AUTO_ENCRYPTION: 'on' })).toThrow(/needs the KMS/);
    expect(() => config({}, { ...STRONG, STRATA_SSE_AEAD: 'AES-128-CBC' })).toThrow(/STRATA_SSE_AEAD/);
    expect(() => config({}, { ...STRONG, STRATA_SSEC_ALLOW_HTTP: 'maybe' })).toThrow(/must be on or off/);
    const bad = `main:${Buffer.alloc(16, 9).toString('base64')}`;
    let message = '';
    try {
      config({}, { ...STRONG, STRATA_KMS_SECRET_KEY: bad });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/STRATA_KMS_SECRET_KEY/);
    expect(message).not.toContain(bad.split(':')[1]);
  });
});
