import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CryptoError } from './errors.js';

/**
 * The operator's root secret: it seals every master key of the built-in KMS. Given as
 * `STRATA_KMS_SECRET_KEY=name:base64-of-32-bytes` (like MinIO's MINIO_KMS_SECRET_KEY), or
 * in a file named by `STRATA_KMS_SECRET_KEY_FILE` (a mounted Kubernetes Secret). The name
 * is stored with each sealed record, so a different secret is told apart from a damaged
 * record.
 */
export interface RootSecret {
  name: string;
  /** 32 bytes. Never log it. */
  key: Buffer;
}

export const ROOT_SECRET_ENV = 'STRATA_KMS_SECRET_KEY';
export const ROOT_SECRET_FILE_ENV = 'STRATA_KMS_SECRET_KEY_FILE';

const ROOT_SECRET_BYTES = 32;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64_RE = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Parses `name:base64` (32 bytes, standard base64 with padding). `source` names the
 * variable or file in error messages; the value itself is never echoed.
 * Throws CryptoError('InvalidRootSecret').
 */
export function parseRootSecret(value: string, source: string = ROOT_SECRET_ENV): RootSecret {
  const text = value.trim();
  const colon = text.indexOf(':');
  if (colon < 0) {
    throw new CryptoError('InvalidRootSecret', `${source} must be "name:base64-of-32-bytes"; no ":" found`);
  }
  const name = text.slice(0, colon);
  const encoded = text.slice(colon + 1);
  if (!NAME_RE.test(name)) {
    throw new CryptoError(
      'InvalidRootSecret',
      `${source}: the name before ":" must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  if (!BASE64_RE.test(encoded)) {
    throw new CryptoError(
      'InvalidRootSecret',
      `${source}: the value after ":" must be 32 bytes in standard base64 (44 characters; e.g. "openssl rand -base64 32")`,
    );
  }
  return { name, key: Buffer.from(encoded, 'base64') };
}

/**
 * The root secret configured in `env`, or undefined when neither variable is set (the
 * KMS, and with it SSE-S3/SSE-KMS, is then off). Setting both is an error, as is an
 * unreadable file. Throws CryptoError('InvalidRootSecret') with a message naming the variable.
 */
export function rootSecretFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): RootSecret | undefined {
  const value = env[ROOT_SECRET_ENV];
  const file = env[ROOT_SECRET_FILE_ENV];
  if (value !== undefined && value !== '' && file !== undefined && file !== '') {
    throw new CryptoError('InvalidRootSecret', `set ${ROOT_SECRET_ENV} or ${ROOT_SECRET_FILE_ENV}, not both`);
  }
  if (value !== undefined && value !== '') return parseRootSecret(value, ROOT_SECRET_ENV);
  if (file === undefined || file === '') return undefined;
  let contents: string;
  try {
    contents = readFile(file);
  } catch (err) {
    throw new CryptoError(
      'InvalidRootSecret',
      `${ROOT_SECRET_FILE_ENV}: cannot read ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseRootSecret(contents, `${ROOT_SECRET_FILE_ENV} (${file})`);
}

/** A new random root secret in the `name:base64` form, for operators' set-up. */
export function generateRootSecret(name: string): string {
  if (!NAME_RE.test(name)) throw new CryptoError('InvalidRootSecret', `invalid root secret name "${name}"`);
  return `${name}:${randomBytes(ROOT_SECRET_BYTES).toString('base64')}`;
}
