import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../common/index.js';
import { CERT_FILE, CertificateStore, KEY_FILE, type TlsPairOptions } from './certificate-store.js';
import { createTestCa, swapSecretData, type TestPair, writePair } from './test-certificates.js';

let root: string;
let first: TestPair;
let second: TestPair;
let third: TestPair;
let sni: TestPair;
let other: TestPair;
const stores: CertificateStore[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-certs-'));
  const ca = await createTestCa(root);
  first = await ca.issue('first', { dns: ['localhost'], ips: ['127.0.0.1'] });
  second = await ca.issue('second', { dns: ['localhost'], ips: ['127.0.0.1'] });
  third = await ca.issue('third', { dns: ['localhost'], ips: ['127.0.0.1'] });
  sni = await ca.issue('sni', { dns: ['s3.example.test', '*.s3.example.test'] });
  other = await ca.issue('other', { dns: ['other.test'] });
});

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirCounter = 0;
async function freshDir(): Promise<string> {
  dirCounter++;
  const dir = join(root, `certs-${dirCounter}`);
  await mkdir(dir);
  return dir;
}

function capturingLogger(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const at =
    (level: number) =>
    (_obj: object, msg?: string): void => {
      lines.push({ level, msg: msg ?? '' });
    };
  const logger: Logger = {
    debug: at(20),
    info: at(30),
    warn: at(40),
    error: at(50),
    child: () => logger,
  };
  return { logger, lines: () => lines };
}

async function open(dir: string, pollIntervalMs = 60_000, logger = capturingLogger().logger) {
  const store = await CertificateStore.open({ dir, logger, pollIntervalMs });
  stores.push(store);
  return store;
}

async function pollUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('CertificateStore', () => {
  it('serves the default pair without SNI and for unknown names, a per-domain pair by folder name and DNS names', async () => {
    const dir = await freshDir();
    await writePair(dir, first);
    await writePair(join(dir, 's3.example.test'), sni);
    await writePair(join(dir, 'by-san-only'), other);
    const store = await open(dir);

    expect(store.certificateFor().fingerprint256).toBe(first.fingerprint256);
    expect(store.certificateFor('unknown.test').fingerprint256).toBe(first.fingerprint256);
    expect(store.certificateFor('s3.example.test').fingerprint256).toBe(sni.fingerprint256);
    expect(store.certificateFor('S3.Example.Test.').fingerprint256).toBe(sni.fingerprint256);
    expect(store.certificateFor('bucket.s3.example.test').fingerprint256).toBe(sni.fingerprint256);
    // A wildcard covers one label only.
    expect(store.certificateFor('a.b.s3.example.test').fingerprint256).toBe(first.fingerprint256);
    expect(store.certificateFor('other.test').fingerprint256).toBe(other.fingerprint256);
    expect(store.certificateFor('s3.example.test').dnsNames).toEqual([
      's3.example.test',
      '*.s3.example.test',
    ]);
    expect(store.serverOptions()).toMatchObject({ minVersion: 'TLSv1.2' });
  });

  it('refuses to open without a valid default pair', async () => {
    const empty = await freshDir();
    await expect(open(empty)).rejects.toThrow(/cannot read public\.crt and private\.key/);

    const mismatched = await freshDir();
    await writePair(mismatched, { cert: first.cert, key: second.key });
    await expect(open(mismatched)).rejects.toThrow(/private\.key does not belong to the certificate/);

    const garbage = await freshDir();
    await writePair(garbage, { cert: 'not a certificate', key: first.key });
    await expect(open(garbage)).rejects.toThrow(/public\.crt is not a PEM certificate/);

    await expect(open(join(root, 'missing-dir'))).rejects.toThrow(/cannot read the certificate directory/);
  });

  it('skips an invalid per-domain pair at start and logs it', async () => {
    const dir = await freshDir();
    await writePair(dir, first);
    await writePair(join(dir, 's3.example.test'), { cert: sni.cert, key: other.key });
    const log = capturingLogger();
    const store = await open(dir, 60_000, log.logger);
    expect(store.certificateFor('s3.example.test').fingerprint256).toBe(first.fingerprint256);
    expect(log.lines().some((l) => l.level === 50 && /invalid per-domain/.test(l.msg))).toBe(true);
  });

  it('reload() swaps in a changed valid pair and hands it, with TLS 1.2+, to attached servers', async () => {
    const dir = await freshDir();
    await writePair(dir, first);
    const store = await open(dir);
    const given: TlsPairOptions[] = [];
    store.attach({ setSecureContext: (options) => given.push(options) });

    await store.reload();
    expect(given).toEqual([]); // same bytes: nothing to do

    await writePair(dir, second);
    await store.reload();
    expect(store.certificateFor().fingerprint256).toBe(second.fingerprint256);
    expect(given).toHaveLength(1);
    expect(given[0]?.minVersion).toBe('TLSv1.2');
    expect(String(given[0]?.cert)).toBe(second.cert);
  });

  it('keeps the served pair when the new one is broken, logs that once, and takes the next good one', async () => {
    const dir = await freshDir();
    await writePair(dir, first);
    await writePair(join(dir, 's3.example.test'), sni);
    const log = capturingLogger();
    const store = await open(dir, 60_000, log.logger);
    const errors = () => log.lines().filter((l) => l.level === 50);

    await writePair(dir, { cert: second.cert, key: first.key }); // mismatched
    await writeFile(join(dir, 's3.example.test', KEY_FILE), 'garbage');
    await store.reload();
    await store.reload();
    expect(store.certificateFor().fingerprint256).toBe(first.fingerprint256);
    expect(store.certificateFor('s3.example.test').fingerprint256).toBe(sni.fingerprint256);
    expect(errors()).toHaveLength(2); // one per pair, not one per reload

    await rm(join(dir, CERT_FILE)); // half-way through a swap
    await store.reload();
    expect(store.certificateFor().fingerprint256).toBe(first.fingerprint256);

    await writePair(dir, third);
    await store.reload();
    expect(store.certificateFor().fingerprint256).toBe(third.fingerprint256);
  });

  it('forgets a per-domain pair whose folder is removed', async () => {
    const dir = await freshDir();
    await writePair(dir, first);
    await writePair(join(dir, 's3.example.test'), sni);
    const store = await open(dir);
    await rm(join(dir, 's3.example.test'), { recursive: true });
    await store.reload();
    expect(store.certificateFor('s3.example.test').fingerprint256).toBe(first.fingerprint256);
  });

  it('notices files renamed into place without reload() being called (fs.watch)', async () => {
    const dir = await freshDir();
    await writePair(dir, first);
    await writePair(join(dir, 's3.example.test'), sni);
    const store = await open(dir, 60_000); // the poll would be too late: only the watch can do it
    await writePair(dir, second);
    await pollUntil(
      'the new default pair',
      () => store.certificateFor().fingerprint256 === second.fingerprint256,
    );
    await writePair(join(dir, 's3.example.test'), other);
    await pollUntil(
      'the new per-domain pair',
      () => store.certificateFor('s3.example.test').fingerprint256 === other.fingerprint256,
    );
  });

  it('follows a Kubernetes Secret update (..data symlink swap)', async () => {
    const dir = await freshDir();
    await swapSecretData(dir, 'v1', first);
    const store = await open(dir, 60_000); // the rename of ..data_tmp is a watch event too
    expect(store.certificateFor().fingerprint256).toBe(first.fingerprint256);
    await swapSecretData(dir, 'v2', second);
    await pollUntil(
      'the swapped pair',
      () => store.certificateFor().fingerprint256 === second.fingerprint256,
    );
    await rm(join(dir, '..v1'), { recursive: true }); // the kubelet removes the old version
    await swapSecretData(dir, 'v3', third);
    await pollUntil(
      'the next swapped pair',
      () => store.certificateFor().fingerprint256 === third.fingerprint256,
    );
  });

  it('stops reloading once closed', async () => {
    const dir = await freshDir();
    await writePair(dir, first);
    const store = await open(dir, 50);
    store.close();
    await writePair(dir, second);
    await new Promise((r) => setTimeout(r, 400));
    expect(store.certificateFor().fingerprint256).toBe(first.fingerprint256);
  });
});

it('CERT_FILE and KEY_FILE are MinIO names', () => {
  expect([CERT_FILE, KEY_FILE]).toEqual(['public.crt', 'private.key']);
});
