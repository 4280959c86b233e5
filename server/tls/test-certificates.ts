import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CERT_FILE, KEY_FILE } from './certificate-store.js';

/**
 * For tests: a throw-away certificate authority made with the `openssl` command (EC P-256
 * keys, valid two days), issuing server certificates for DNS names and IP addresses.
 */
const run = promisify(execFile);

export interface TestPair {
  /** PEM: the leaf certificate. */
  cert: string;
  /** PEM: its private key (unencrypted). */
  key: string;
  /** SHA-256 fingerprint of the leaf, as tls' getPeerCertificate().fingerprint256 prints it. */
  fingerprint256: string;
}

export interface TestCa {
  /** PEM: the CA certificate clients trust. */
  cert: string;
  /** Issues a server certificate for `names` (DNS names, wildcards allowed) and `ips`. */
  issue(label: string, names: { dns?: string[]; ips?: string[] }): Promise<TestPair>;
}

/** Creates a CA under `dir` (which must exist). */
export async function createTestCa(dir: string): Promise<TestCa> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '2',
    '-subj',
    '/CN=Strata test CA',
  ]);
  let serial = 0;
  return {
    cert: await readFile(caCert, 'utf8'),
    issue: async (label, names) => {
      serial++;
      const base = join(dir, `${label}-${serial}`);
      const san = [...(names.dns ?? []).map((n) => `DNS:${n}`), ...(names.ips ?? []).map((ip) => `IP:${ip}`)];
      await writeFile(`${base}.ext`, `subjectAltName=${san.join(',')}\n`);
      await run('openssl', [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
        '-subj',
        `/CN=${label}`,
      ]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        caCert,
        '-CAkey',
        caKey,
        '-set_serial',
        String(1000 + serial),
        '-days',
        '2',
        '-extfile',
        `${base}.ext`,
        '-out',
        `${base}.crt`,
      ]);
      const cert = await readFile(`${base}.crt`, 'utf8');
      return {
        cert,
        key: await readFile(`${base}.key`, 'utf8'),
        fingerprint256: new X509Certificate(cert).fingerprint256,
      };
    },
  };
}

/**
 * Writes `public.crt` and `private.key` into `dir` the way a careful updater does: each
 * to a temporary name, then renamed over the old file (the certificate first).
 */
export async function writePair(dir: string, pair: { cert: string; key: string }): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `.${CERT_FILE}.tmp`), pair.cert);
  await writeFile(join(dir, `.${KEY_FILE}.tmp`), pair.key);
  await rename(join(dir, `.${CERT_FILE}.tmp`), join(dir, CERT_FILE));
  await rename(join(dir, `.${KEY_FILE}.tmp`), join(dir, KEY_FILE));
}

/**
 * Updates `dir` the way the kubelet updates a mounted Secret: the files go into a fresh
 * `..<version>` directory, a `..data_tmp` symlink to it is renamed over `..data`, and
 * `public.crt` / `private.key` are (once) symlinks to `..data/<file>`.
 */
export async function swapSecretData(
  dir: string,
  version: string,
  pair: { cert: string; key: string },
): Promise<void> {
  const versionDir = join(dir, `..${version}`);
  await mkdir(versionDir, { recursive: true });
  await writeFile(join(versionDir, CERT_FILE), pair.cert);
  await writeFile(join(versionDir, KEY_FILE), pair.key);
  await rm(join(dir, '..data_tmp'), { force: true });
  await symlink(`..${version}`, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const file of [CERT_FILE, KEY_FILE]) {
    const link = join(dir, file);
    const existing = await readlink(link).catch(() => undefined);
    if (existing === undefined) await symlink(join('..data', file), link);
  }
}
