import { join, resolve } from 'node:path';
import {
  AEAD_ALGORITHMS,
  type AeadAlgorithm,
  DEFAULT_AEAD,
  isCryptoError,
  type RootSecret,
  rootSecretFromEnv,
} from '../crypto/index.js';
import type { PrometheusAuthType } from '../server/index.js';
import { type ListenAddress, parseAddress } from './address.js';
import { expandEllipses } from './expand-ellipsis.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_ADDRESS = ':9000';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ROOT_USER = 'strataadmin';
export const DEFAULT_ROOT_PASSWORD = 'strataadmin';
export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_AUDIT_FILE_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_AUDIT_FILE_KEEP = 5;
export const DEFAULT_AUDIT_ELASTIC_INDEX = 'strata-audit';
export const DEFAULT_AUDIT_BATCH_SIZE = 100;
export const DEFAULT_AUDIT_BATCH_INTERVAL_MS = 1000;
export const DEFAULT_AUDIT_QUEUE_MAX_BYTES = 1024 * 1024 * 1024;
/** The HTTP targets' queues live here inside the first drive unless STRATA_AUDIT_QUEUE_DIR says otherwise. */
export const DEFAULT_AUDIT_QUEUE_SUBDIR = '.strata-audit';
/** STRATA_PROMETHEUS_AUTH_TYPE: the scrape endpoint needs a bearer token (`strata admin prometheus generate`). */
export const DEFAULT_PROMETHEUS_AUTH_TYPE: PrometheusAuthType = 'jwt';
const PROMETHEUS_AUTH_TYPES: readonly PrometheusAuthType[] = ['jwt', 'public'];
/** How long a SIGTERM waits for in-flight requests before cutting them. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 30;
const MAX_SHUTDOWN_TIMEOUT_SECONDS = 24 * 60 * 60;

/** One erasure set: MinIO's limit, and the largest set the parity table covers. */
export const MAX_DRIVES = 16;
const MIN_ROOT_USER_LENGTH = 3;
const MIN_ROOT_PASSWORD_LENGTH = 8;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `strata server` flags as parsed, before defaults and validation. */
export interface ServerFlags {
  address?: string | undefined;
  parity?: string | undefined;
  region?: string | undefined;
  domains?: string[] | undefined;
  certsDir?: string | undefined;
  /** Positional arguments, ellipses not yet expanded. */
  drives: string[];
}

/** Everything `strata server` needs, validated. */
export interface ServerConfig {
  address: ListenAddress;
  /** Absolute paths, in slot order. */
  drives: string[];
  /** Undefined: storage picks the default for the set size. */
  parityShards: number | undefined;
  region: string;
  /** Virtual-host-style domains (`bucket.<domain>`), lower case. */
  domains: string[];
  rootUser: string;
  rootPassword: string;
  /** True when the root password is the public default: the banner warns loudly. */
  defaultCredentials: boolean;
  /**
   * Extra static key pairs from STRATA_EXTRA_USERS. Interim, until IAM users exist: they
   * may sign S3 requests (with the same rights as root on the S3 API — there is no
   * authorization yet) but are not root for the admin API.
   */
  extraUsers: { accessKeyId: string; secretAccessKey: string }[];
  logLevel: LogLevel;
  audit: AuditConfig;
  /**
   * STRATA_CERTS_DIR / --certs-dir (absolute): `public.crt` + `private.key`, plus
   * `<domain>/public.crt|private.key` for SNI. Set: `address` serves HTTPS. Undefined: HTTP.
   */
  certsDir: string | undefined;
  /** STRATA_HTTP_ADDRESS: an extra plain-HTTP listener next to `address`. */
  httpAddress: ListenAddress | undefined;
  /** STRATA_SHUTDOWN_TIMEOUT_SECONDS: in-flight requests get this long after SIGTERM. */
  shutdownTimeoutSeconds: number;
  /**
   * STRATA_PROMETHEUS_AUTH_TYPE: `jwt` (default), the metrics endpoint needs a bearer token
   * signed with the root credentials; `public`, anyone who reaches the port may scrape.
   */
  prometheusAuthType: PrometheusAuthType;
  sse: SseConfig;
}

/** Server-side encryption (STRATA_KMS_*, STRATA_SSE_*). The root secret is a secret: never logged. */
export interface SseConfig {
  /** STRATA_KMS_SECRET_KEY or STRATA_KMS_SECRET_KEY_FILE: the built-in KMS's root secret; undefined: no KMS. */
  rootSecret: RootSecret | undefined;
  /** STRATA_KMS_AUTO_ENCRYPTION=on: SSE-S3 for every object not otherwise encrypted (needs the KMS). */
  autoEncrypt: boolean;
  /** STRATA_SSE_AEAD: AES-256-GCM (default) or ChaCha20-Poly1305 for new objects. */
  aead: AeadAlgorithm;
  /** STRATA_SSEC_ALLOW_HTTP=1: accept SSE-C keys over plain HTTP (testing only). */
  allowSsecOverHttp: boolean;
}

/**
 * The audit trail (STRATA_AUDIT_*): each target is optional; with none the server
 * writes no audit entries. The *_AUTH values are secrets: never logged or echoed.
 */
export interface AuditConfig {
  /** STRATA_AUDIT_FILE (absolute), _FILE_MAX_BYTES, _FILE_KEEP. */
  file: { path: string; maxBytes: number; keep: number } | undefined;
  /** STRATA_AUDIT_WEBHOOK_URL, _WEBHOOK_AUTH (the whole Authorization header value). */
  webhook: { url: string; authorization: string | undefined } | undefined;
  /** STRATA_AUDIT_ELASTIC_URL, _ELASTIC_INDEX, _ELASTIC_AUTH. */
  elastic: { url: string; index: string; authorization: string | undefined } | undefined;
  /** STRATA_AUDIT_QUEUE_DIR (absolute); default `<first drive>/.strata-audit`. */
  queueDir: string;
  /** STRATA_AUDIT_QUEUE_MAX_BYTES: bound of each HTTP target's queue. */
  queueMaxBytes: number;
  /** STRATA_AUDIT_BATCH_SIZE: entries per HTTP request at most. */
  batchSize: number;
  /** STRATA_AUDIT_BATCH_INTERVAL_MS: entries reach disk and a batch is sent at least this often. */
  batchIntervalMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Merges flags (which win) with STRATA_* variables and defaults and validates the result.
 * Throws UsageError with a message naming the offending flag or variable.
 */
export function resolveServerConfig(flags: ServerFlags, env: Env, cwd = process.cwd()): ServerConfig {
  const addressSource = flags.address !== undefined ? '--address' : 'STRATA_ADDRESS';
  const address = parseAddress(
    flags.address ?? nonEmpty(env.STRATA_ADDRESS) ?? DEFAULT_ADDRESS,
    addressSource,
  );

  const driveArgs = flags.drives.length > 0 ? flags.drives : splitList(env.STRATA_DRIVES, /\s+/);
  const drives = resolveDrives(driveArgs, cwd);

  const paritySource = flags.parity !== undefined ? '--parity' : 'STRATA_PARITY';
  const parityShards = resolveParity(
    flags.parity ?? nonEmpty(env.STRATA_PARITY),
    paritySource,
    drives.length,
  );

  const region = resolveRegion(flags.region ?? nonEmpty(env.STRATA_REGION) ?? DEFAULT_REGION);
  const domains = resolveDomains(flags.domains?.length ? flags.domains : splitList(env.STRATA_DOMAIN, /,/));
  const { rootUser, rootPassword } = resolveRootCredentials(env);
  const extraUsers = resolveExtraUsers(env.STRATA_EXTRA_USERS, rootUser);
  const logLevel = resolveLogLevel(env);
  const audit = resolveAuditConfig(env, drives, cwd);

  const certsDirValue = flags.certsDir ?? nonEmpty(env.STRATA_CERTS_DIR);
  if (certsDirValue !== undefined && certsDirValue.trim() === '') {
    throw new UsageError('--certs-dir needs a directory');
  }
  const certsDir = certsDirValue === undefined ? undefined : resolve(cwd, certsDirValue);
  const httpAddressValue = nonEmpty(env.STRATA_HTTP_ADDRESS);
  const httpAddress =
    httpAddressValue === undefined ? undefined : parseAddress(httpAddressValue, 'STRATA_HTTP_ADDRESS');
  if (
    httpAddress !== undefined &&
    httpAddress.port !== 0 &&
    httpAddress.port === address.port &&
    httpAddress.host === address.host
  ) {
    throw new UsageError(
      `STRATA_HTTP_ADDRESS "${httpAddressValue}" is the same as ${addressSource}: the plain-HTTP listener needs its own port`,
    );
  }
  const shutdownTimeoutSeconds = wholeNumber(
    env,
    'STRATA_SHUTDOWN_TIMEOUT_SECONDS',
    DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
    0,
    MAX_SHUTDOWN_TIMEOUT_SECONDS,
  );
  const prometheusAuthType = resolvePrometheusAuthType(env);
  const sse = resolveSseConfig(env);

  return {
    address,
    drives,
    parityShards,
    region,
    domains,
    rootUser,
    rootPassword,
    defaultCredentials: rootPassword === DEFAULT_ROOT_PASSWORD,
    extraUsers,
    logLevel,
    audit,
    certsDir,
    httpAddress,
    shutdownTimeoutSeconds,
    prometheusAuthType,
    sse,
  };
}

/** STRATA_KMS_* and STRATA_SSE_* variables, validated. */
export function resolveSseConfig(env: Env): SseConfig {
  let rootSecret: RootSecret | undefined;
  try {
    rootSecret = rootSecretFromEnv(env);
  } catch (err) {
    if (isCryptoError(err)) throw new UsageError(err.message);
    throw err;
  }
  const autoEncrypt = flag(env, 'STRATA_KMS_AUTO_ENCRYPTION');
  if (autoEncrypt && rootSecret === undefined) {
    throw new UsageError(
      'STRATA_KMS_AUTO_ENCRYPTION=on needs the KMS: set STRATA_KMS_SECRET_KEY or STRATA_KMS_SECRET_KEY_FILE',
    );
  }
  const aeadValue = nonEmpty(env.STRATA_SSE_AEAD);
  const aead =
    aeadValue === undefined
      ? DEFAULT_AEAD
      : AEAD_ALGORITHMS.find((a) => a.toLowerCase() === aeadValue.toLowerCase());
  if (aead === undefined) {
    throw new UsageError(`STRATA_SSE_AEAD "${aeadValue}" must be ${AEAD_ALGORITHMS.join(' or ')}`);
  }
  return { rootSecret, autoEncrypt, aead, allowSsecOverHttp: flag(env, 'STRATA_SSEC_ALLOW_HTTP') };
}

/** An on/off variable: on, true, 1 / off, false, 0, unset. */
function flag(env: Env, name: string): boolean {
  const value = nonEmpty(env[name])?.toLowerCase();
  if (value === undefined || value === 'off' || value === 'false' || value === '0') return false;
  if (value === 'on' || value === 'true' || value === '1') return true;
  throw new UsageError(`${name} "${env[name]}" must be on or off`);
}

function resolvePrometheusAuthType(env: Env): PrometheusAuthType {
  const value = nonEmpty(env.STRATA_PROMETHEUS_AUTH_TYPE);
  if (value === undefined) return DEFAULT_PROMETHEUS_AUTH_TYPE;
  const type = PROMETHEUS_AUTH_TYPES.find((t) => t === value.toLowerCase());
  if (type === undefined) {
    throw new UsageError(
      `STRATA_PROMETHEUS_AUTH_TYPE "${value}" must be ${PROMETHEUS_AUTH_TYPES.join(' or ')}`,
    );
  }
  return type;
}

/** STRATA_AUDIT_* variables, validated; `drives` (absolute) places the default queue directory. */
export function resolveAuditConfig(env: Env, drives: readonly string[], cwd = process.cwd()): AuditConfig {
  const filePath = nonEmpty(env.STRATA_AUDIT_FILE);
  const file =
    filePath === undefined
      ? undefined
      : {
          path: resolve(cwd, filePath),
          maxBytes: byteSize(env, 'STRATA_AUDIT_FILE_MAX_BYTES', DEFAULT_AUDIT_FILE_MAX_BYTES, 1024),
          keep: wholeNumber(env, 'STRATA_AUDIT_FILE_KEEP', DEFAULT_AUDIT_FILE_KEEP, 0, 1000),
        };

  const webhookUrl = httpUrl(env, 'STRATA_AUDIT_WEBHOOK_URL');
  const webhook =
    webhookUrl === undefined
      ? undefined
      : { url: webhookUrl, authorization: secret(env, 'STRATA_AUDIT_WEBHOOK_AUTH') };
  if (webhook === undefined && secret(env, 'STRATA_AUDIT_WEBHOOK_AUTH') !== undefined) {
    throw new UsageError('STRATA_AUDIT_WEBHOOK_AUTH is set but STRATA_AUDIT_WEBHOOK_URL is not');
  }

  const elasticUrl = httpUrl(env, 'STRATA_AUDIT_ELASTIC_URL');
  const elastic =
    elasticUrl === undefined
      ? undefined
      : {
          url: elasticUrl,
          index: elasticIndex(nonEmpty(env.STRATA_AUDIT_ELASTIC_INDEX) ?? DEFAULT_AUDIT_ELASTIC_INDEX),
          authorization: secret(env, 'STRATA_AUDIT_ELASTIC_AUTH'),
        };
  if (elastic === undefined && secret(env, 'STRATA_AUDIT_ELASTIC_AUTH') !== undefined) {
    throw new UsageError('STRATA_AUDIT_ELASTIC_AUTH is set but STRATA_AUDIT_ELASTIC_URL is not');
  }

  const queueDirValue = nonEmpty(env.STRATA_AUDIT_QUEUE_DIR);
  return {
    file,
    webhook,
    elastic,
    queueDir:
      queueDirValue !== undefined
        ? resolve(cwd, queueDirValue)
        : join(drives[0] ?? cwd, DEFAULT_AUDIT_QUEUE_SUBDIR),
    queueMaxBytes: byteSize(env, 'STRATA_AUDIT_QUEUE_MAX_BYTES', DEFAULT_AUDIT_QUEUE_MAX_BYTES, 64 * 1024),
    batchSize: wholeNumber(env, 'STRATA_AUDIT_BATCH_SIZE', DEFAULT_AUDIT_BATCH_SIZE, 1, 10_000),
    batchIntervalMs: wholeNumber(
      env,
      'STRATA_AUDIT_BATCH_INTERVAL_MS',
      DEFAULT_AUDIT_BATCH_INTERVAL_MS,
      10,
      60_000,
    ),
  };
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** A size in bytes: a whole number with an optional KiB/MiB/GiB/TiB suffix. */
function byteSize(env: Env, name: string, fallback: number, min: number): number {
  const value = nonEmpty(env[name]);
  if (value === undefined) return fallback;
  const m = /^(\d+)\s*([kmgt]ib)?$/i.exec(value);
  const n = m?.[1] === undefined ? Number.NaN : Number(m[1]) * (BYTE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `${name} "${value}" is not a size of at least ${min} bytes (a whole number of bytes, or with KiB, MiB, GiB)`,
    );
  }
  return n;
}

function wholeNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = nonEmpty(env[name]);
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} "${value}" is not a whole number from ${min} to ${max}`);
  }
  return n;
}

/** An http(s) URL. Not echoed in errors: it may carry credentials. */
function httpUrl(env: Env, name: string): string | undefined {
  const value = nonEmpty(env[name]);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name} is not a valid URL (expected e.g. http://host:port/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${name} must be an http:// or https:// URL`);
  }
  return value;
}

/** A secret taken exactly as given (not trimmed); empty means unset. */
function secret(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Elasticsearch index names: lower case, none of \ / * ? " < > | space , # :, not starting with - _ +. */
function elasticIndex(value: string): string {
  if (
    value !== value.toLowerCase() ||
    /[\\/*?"<>| ,#:]/.test(value) ||
    /^[-_+]/.test(value) ||
    value === '.' ||
    value === '..' ||
    Buffer.byteLength(value) > 255
  ) {
    throw new UsageError(
      `STRATA_AUDIT_ELASTIC_INDEX "${value}" is not a valid Elasticsearch index name (lower case, no spaces or \\ / * ? " < > | , # :, not starting with - _ +)`,
    );
  }
  return value;
}

/**
 * STRATA_EXTRA_USERS: comma-separated `ACCESS_KEY:SECRET` pairs (e.g. the alt and tenant
 * users the S3 compatibility suite needs). Same rules as the root user's key and secret.
 */
export function resolveExtraUsers(
  value: string | undefined,
  rootUser: string,
): { accessKeyId: string; secretAccessKey: string }[] {
  const users: { accessKeyId: string; secretAccessKey: string }[] = [];
  const seen = new Set([rootUser]);
  for (const entry of splitList(value, /,/)) {
    const colon = entry.indexOf(':');
    const accessKeyId = colon === -1 ? entry : entry.slice(0, colon);
    const secretAccessKey = colon === -1 ? '' : entry.slice(colon + 1);
    if (
      accessKeyId.length < MIN_ROOT_USER_LENGTH ||
      /[\s/:,=]/.test(accessKeyId) ||
      hasControlCharacter(accessKeyId)
    ) {
      throw new UsageError(
        `STRATA_EXTRA_USERS: "${accessKeyId}" is not a valid access key (at least ${MIN_ROOT_USER_LENGTH} characters, no spaces, control characters or / : , =); use KEY:SECRET,KEY:SECRET`,
      );
    }
    if (secretAccessKey.length < MIN_ROOT_PASSWORD_LENGTH) {
      throw new UsageError(
        `STRATA_EXTRA_USERS: the secret of "${accessKeyId}" must be at least ${MIN_ROOT_PASSWORD_LENGTH} characters long`,
      );
    }
    if (seen.has(accessKeyId))
      throw new UsageError(`STRATA_EXTRA_USERS: access key "${accessKeyId}" is given twice`);
    seen.add(accessKeyId);
    users.push({ accessKeyId, secretAccessKey });
  }
  return users;
}

/** Root credentials from STRATA_ROOT_USER / STRATA_ROOT_PASSWORD, defaults when unset. */
export function resolveRootCredentials(env: Env): { rootUser: string; rootPassword: string } {
  // Not trimmed: a secret is taken exactly as given.
  const rootUser = orDefault(env.STRATA_ROOT_USER, DEFAULT_ROOT_USER);
  const rootPassword = orDefault(env.STRATA_ROOT_PASSWORD, DEFAULT_ROOT_PASSWORD);
  if (rootUser.length < MIN_ROOT_USER_LENGTH) {
    throw new UsageError(`STRATA_ROOT_USER must be at least ${MIN_ROOT_USER_LENGTH} characters long`);
  }
  if (/[\s/:,=]/.test(rootUser) || hasControlCharacter(rootUser)) {
    throw new UsageError('STRATA_ROOT_USER must not contain spaces, control characters or any of / : , =');
  }
  if (rootPassword.length < MIN_ROOT_PASSWORD_LENGTH) {
    throw new UsageError(`STRATA_ROOT_PASSWORD must be at least ${MIN_ROOT_PASSWORD_LENGTH} characters long`);
  }
  return { rootUser, rootPassword };
}

/** The region from STRATA_REGION (or a flag), validated. */
export function resolveRegion(value: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(value)) {
    throw new UsageError(
      `region "${value}" is not valid: use lower-case letters, digits and dashes (e.g. us-east-1)`,
    );
  }
  return value;
}

function resolveDrives(args: string[], cwd: string): string[] {
  const expanded = expandEllipses(args);
  if (expanded.length === 0) {
    throw new UsageError(
      'no drives given: pass one or more directories, e.g. strata server ./data/drive{1...4}',
    );
  }
  if (expanded.length > MAX_DRIVES) {
    throw new UsageError(`${expanded.length} drives given; a server takes 1 to ${MAX_DRIVES}`);
  }
  const seen = new Map<string, string>();
  return expanded.map((arg) => {
    if (arg.trim() === '') {
      throw new UsageError('a drive path is empty');
    }
    const path = resolve(cwd, arg);
    const previous = seen.get(path);
    if (previous !== undefined) {
      throw new UsageError(
        `drive "${arg}" is given twice (also as "${previous}"): each drive must be its own directory`,
      );
    }
    seen.set(path, arg);
    return path;
  });
}

function resolveParity(value: string | undefined, source: string, driveCount: number): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`${source} "${value}" is not a whole number`);
  }
  const parity = Number.parseInt(value, 10);
  const max = Math.floor(driveCount / 2);
  if (parity > max) {
    throw new UsageError(
      `${source} ${parity} is too high for ${driveCount} drive${driveCount === 1 ? '' : 's'}: at most ${max} (half the drives)`,
    );
  }
  return parity;
}

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

function resolveDomains(values: string[]): string[] {
  const domains = values.map((d) => d.trim().toLowerCase()).filter((d) => d !== '');
  for (const domain of domains) {
    if (!DOMAIN.test(domain)) {
      throw new UsageError(
        `domain "${domain}" is not a valid host name (STRATA_DOMAIN takes host names without scheme or port, comma-separated)`,
      );
    }
  }
  return [...new Set(domains)];
}

function resolveLogLevel(env: Env): LogLevel {
  const value = nonEmpty(env.STRATA_LOG_LEVEL)?.toLowerCase() ?? DEFAULT_LOG_LEVEL;
  const level = LOG_LEVELS.find((l) => l === value);
  if (level === undefined) {
    throw new UsageError(`STRATA_LOG_LEVEL "${value}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function orDefault(value: string | undefined, fallback: string): string {
  return value === undefined || value === '' ? fallback : value;
}

function splitList(value: string | undefined, separator: RegExp): string[] {
  return (nonEmpty(value) ?? '').split(separator).filter((s) => s !== '');
}

function hasControlCharacter(value: string): boolean {
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) {
      return true;
    }
  }
  return false;
}
