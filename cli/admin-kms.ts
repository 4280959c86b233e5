import { generateRootSecret, isCryptoError } from '../crypto/index.js';
import type { RewrapReport } from '../server/index.js';
import { resolveAdminEndpoint } from './admin-endpoint.js';
import { type AdminTarget, adminRequest, describeError } from './admin-request.js';
import type { AdminKmsAction, AdminKmsFlags } from './parse-command.js';
import { DEFAULT_REGION, type Env, resolveRegion, resolveRootCredentials } from './server-config.js';
import { UsageError } from './usage-error.js';

/**
 * `strata admin kms ...`: the server's KMS keys and the re-wrap after a rotation, through
 * the admin API (`/_strata/admin/v1/kms/`, server/kms-admin.ts) signed with the root
 * credentials; and `generate-secret`, which makes a root secret locally.
 */

export const ADMIN_KMS_PATH = '/_strata/admin/v1/kms';

/** Name of a generated root secret when none is given (stored with every KMS record). */
export const DEFAULT_ROOT_SECRET_NAME = 'strata-root';

/** One version of a key as the server lists it. */
export interface KmsKeyVersion {
  version: number;
  createdAt: string;
}

/** A KMS key as the server answers it (crypto's KeyInfo with ISO dates). */
export interface KmsKeyInfo {
  name: string;
  latestVersion: number;
  versions: KmsKeyVersion[];
}

const REWRAP_COUNTS = [
  'bucketsScanned',
  'versionsScanned',
  'rewrapped',
  'unchanged',
  'notEncrypted',
  'skippedSseC',
  'skippedChanged',
  'failed',
  'uploadsOnOldKeyVersion',
] as const;

/** Merges flags with STRATA_ENDPOINT / STRATA_ADDRESS / STRATA_REGION / root credentials. Throws UsageError. */
export function resolveAdminKmsConfig(flags: AdminKmsFlags, env: Env): AdminTarget {
  const endpoint = resolveAdminEndpoint(flags.endpoint, env);
  const { rootUser, rootPassword } = resolveRootCredentials(env);
  return {
    endpoint,
    region: resolveRegion(env.STRATA_REGION || DEFAULT_REGION),
    accessKeyId: rootUser,
    secretAccessKey: rootPassword,
  };
}

/**
 * Runs one KMS admin call and returns what to print; `ok` is false when the call worked
 * but reports a problem (a key whose round trip failed, versions the re-wrap could not
 * re-seal). Throws Error with a message fit for the terminal when the server is
 * unreachable or refuses (e.g. `answered 409: KeyExists (...)`).
 */
export async function adminKms(
  config: AdminTarget,
  action: AdminKmsAction,
): Promise<{ output: string; ok: boolean }> {
  const origin = config.endpoint.origin;
  switch (action.action) {
    case 'key-list': {
      const body = await call(config, 'GET', '/key/list');
      const keys = arrayField(body, 'keys').map(keyInfo);
      const defaultKey = typeof body.defaultKey === 'string' ? body.defaultKey : '';
      return { output: formatKeyList(keys, defaultKey, origin), ok: true };
    }
    case 'key-create': {
      const key = keyInfo(await call(config, 'POST', '/key/create', { name: action.name }));
      return {
        output: `Created KMS key ${key.name} (version ${key.latestVersion}) on ${origin}.\n`,
        ok: true,
      };
    }
    case 'key-status': {
      const body = await call(config, 'GET', '/key/status', { name: action.name });
      const key = keyInfo(body);
      const roundTripOk = body.roundTripOk === true;
      return { output: formatKeyStatus(key, roundTripOk, origin), ok: roundTripOk };
    }
    case 'key-rotate': {
      const key = keyInfo(await call(config, 'POST', '/key/rotate', { name: action.name }));
      return { output: formatRotation(key, origin), ok: true };
    }
    case 'rewrap': {
      const query: Record<string, string> = action.bucket === undefined ? {} : { bucket: action.bucket };
      const report = rewrapReport(await call(config, 'POST', '/rewrap', query));
      return { output: formatRewrap(report, action.bucket, origin), ok: report.failed === 0 };
    }
  }
}

/** `strata admin kms generate-secret [NAME]`: a new `NAME:base64` root secret. Throws UsageError for a bad name. */
export function generateSecret(name: string | undefined): string {
  try {
    return `${generateRootSecret(name ?? DEFAULT_ROOT_SECRET_NAME)}\n`;
  } catch (err) {
    if (!isCryptoError(err)) throw err;
    throw new UsageError(
      `invalid root secret name "${name}": use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      { cause: err },
    );
  }
}

export function formatKeyList(keys: KmsKeyInfo[], defaultKey: string, origin: string): string {
  const width = Math.max(4, ...keys.map((k) => k.name.length));
  const rows = keys.map((k) => {
    const created = k.versions.find((v) => v.version === k.latestVersion)?.createdAt ?? '';
    const note = k.name === defaultKey ? '  (default: SSE-S3)' : '';
    return `  ${k.name.padEnd(width)}  ${String(k.latestVersion).padEnd(6)}  ${String(k.versions.length).padEnd(8)}  ${created}${note}`;
  });
  const header = `  ${'NAME'.padEnd(width)}  LATEST  VERSIONS  CREATED (latest version)`;
  return `KMS keys on ${origin}\n${header}\n${rows.join('\n')}\n`;
}

export function formatKeyStatus(key: KmsKeyInfo, roundTripOk: boolean, origin: string): string {
  const lines = [
    `KMS key ${key.name} on ${origin}`,
    `  latest version:  ${key.latestVersion} (new data keys are sealed under it)`,
    ...key.versions.map((v) => `  ${`version ${v.version}:`.padEnd(17)}created ${v.createdAt}`),
    roundTripOk
      ? '  round trip:      ok (a data key was generated and opened again)'
      : '  round trip:      FAILED (a data key did not open again)',
  ];
  return `${lines.join('\n')}\n`;
}

export function formatRotation(key: KmsKeyInfo, origin: string): string {
  const older = key.versions.filter((v) => v.version !== key.latestVersion).map((v) => v.version);
  const kept =
    older.length === 0
      ? ''
      : older.length === 1
        ? ` Version ${older[0]} stays readable.`
        : ` Versions ${older.join(', ')} stay readable.`;
  return (
    `Rotated KMS key ${key.name} on ${origin}: new objects use version ${key.latestVersion}.${kept}\n` +
    'Existing objects keep their keys sealed under the older version until "strata admin kms rewrap".\n'
  );
}

export function formatRewrap(report: RewrapReport, bucket: string | undefined, origin: string): string {
  const scope = bucket === undefined ? 'all buckets' : `bucket ${bucket}`;
  const rows: [string, number][] = [
    ['buckets scanned', report.bucketsScanned],
    ['versions scanned', report.versionsScanned],
    ['rewrapped', report.rewrapped],
    ['unchanged', report.unchanged],
    ['not encrypted', report.notEncrypted],
    ['skipped SSE-C', report.skippedSseC],
    ['skipped changed', report.skippedChanged],
    ['failed', report.failed],
  ];
  const lines = rows.map(([label, n]) => `  ${`${label}:`.padEnd(18)}${n}`);
  for (const f of report.failures) {
    lines.push(`  failed: ${f.bucket}/${f.key} (version ${f.versionId}): ${f.code}`);
  }
  if (report.failures.length < report.failed) {
    lines.push(`  ... and ${report.failed - report.failures.length} more`);
  }
  if (report.uploadsOnOldKeyVersion > 0) {
    lines.push(
      `${report.uploadsOnOldKeyVersion} open multipart upload(s) use an older key version: they stay readable;` +
        ' run the re-wrap again after they complete.',
    );
  }
  const verdict =
    report.failed === 0
      ? 'Re-wrap complete.'
      : `Re-wrap incomplete: ${report.failed} version(s) could not be re-wrapped (they still open with their old key version if it exists).`;
  return `Re-wrap of ${scope} on ${origin}\n${lines.join('\n')}\n${verdict}\n`;
}

async function call(
  config: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const { status, body } = await adminRequest(config, method, `${ADMIN_KMS_PATH}${path}`, query);
  if (status !== 200) {
    throw new Error(`${config.endpoint.origin} answered ${status}${describeError(body)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new Error(`the server's answer is not JSON: ${body.slice(0, 200)}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`the server's answer is not a JSON object: ${body.slice(0, 200)}`);
  }
  return value as Record<string, unknown>;
}

function arrayField(body: Record<string, unknown>, field: string): unknown[] {
  const value = body[field];
  if (!Array.isArray(value)) throw malformed(`no list "${field}"`, body);
  return value;
}

function keyInfo(value: unknown): KmsKeyInfo {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const { name, latestVersion } = record;
  if (typeof name !== 'string' || !isCount(latestVersion))
    throw malformed('a key without name or version', value);
  const versions = arrayField(record, 'versions').map((v) => {
    const { version, createdAt } = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    if (!isCount(version) || typeof createdAt !== 'string') throw malformed('a malformed key version', value);
    return { version, createdAt };
  });
  return { name, latestVersion, versions };
}

function rewrapReport(body: Record<string, unknown>): RewrapReport {
  const counts = {} as Record<(typeof REWRAP_COUNTS)[number], number>;
  for (const field of REWRAP_COUNTS) {
    const n = body[field];
    if (!isCount(n)) throw malformed(`no count "${field}"`, body);
    counts[field] = n;
  }
  const failures = arrayField(body, 'failures').map((f) => {
    const r = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
    return {
      bucket: String(r.bucket),
      key: String(r.key),
      versionId: String(r.versionId),
      code: String(r.code),
    };
  });
  return { ...counts, failures };
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}

function malformed(what: string, value: unknown): Error {
  return new Error(`the server's answer has ${what}: ${JSON.stringify(value).slice(0, 200)}`);
}
