import { describe, expect, it } from 'vitest';
import { isCryptoError } from './errors.js';
import { generateRootSecret, parseRootSecret, rootSecretFromEnv } from './root-secret.js';

const KEY_B64 = Buffer.alloc(32, 7).toString('base64');

function errorOf(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}

describe('root secret', () => {
  it('parses name:base64 of 32 bytes, surrounding whitespace (a trailing newline of a file) ignored', () => {
    const secret = parseRootSecret(`my-key:${KEY_B64}\n`);
    expect(secret.name).toBe('my-key');
    expect(secret.key.equals(Buffer.alloc(32, 7))).toBe(true);
    const generated = generateRootSecret('k8s');
    expect(parseRootSecret(generated).name).toBe('k8s');
  });

  it.each([
    ['no colon', KEY_B64],
    ['empty name', `:${KEY_B64}`],
    ['bad name', `my key:${KEY_B64}`],
    ['16 bytes', `k:${Buffer.alloc(16).toString('base64')}`],
    ['33 bytes', `k:${Buffer.alloc(33).toString('base64')}`],
    ['not base64', `k:${'!'.repeat(43)}=`],
    ['url-safe alphabet', `k:${Buffer.alloc(32, 0xff).toString('base64url')}=`],
  ])('refuses %s with a message naming the variable and never the value', (_label, value) => {
    const err = errorOf(() => parseRootSecret(value));
    expect(isCryptoError(err, 'InvalidRootSecret')).toBe(true);
    expect(err.message).toContain('STRATA_KMS_SECRET_KEY');
    const secretPart = value.split(':')[1] ?? value;
    if (secretPart.length > 8) expect(err.message).not.toContain(secretPart);
  });

  it('reads STRATA_KMS_SECRET_KEY, or the file STRATA_KMS_SECRET_KEY_FILE names, not both', () => {
    expect(rootSecretFromEnv({})).toBeUndefined();
    expect(rootSecretFromEnv({ STRATA_KMS_SECRET_KEY: '' })).toBeUndefined();
    expect(rootSecretFromEnv({ STRATA_KMS_SECRET_KEY: `a:${KEY_B64}` })?.name).toBe('a');
    const files: Record<string, string> = { '/run/secrets/kms': `b:${KEY_B64}\n` };
    const read = (path: string): string => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    };
    expect(rootSecretFromEnv({ STRATA_KMS_SECRET_KEY_FILE: '/run/secrets/kms' }, read)?.name).toBe('b');
    const missing = errorOf(() => rootSecretFromEnv({ STRATA_KMS_SECRET_KEY_FILE: '/nope' }, read));
    expect(missing.message).toContain('STRATA_KMS_SECRET_KEY_FILE');
    const both = errorOf(() =>
      rootSecretFromEnv({ STRATA_KMS_SECRET_KEY: `a:${KEY_B64}`, STRATA_KMS_SECRET_KEY_FILE: '/x' }, read),
    );
    expect(isCryptoError(both, 'InvalidRootSecret')).toBe(true);
    files['/bad'] = 'b:short';
    expect(errorOf(() => rootSecretFromEnv({ STRATA_KMS_SECRET_KEY_FILE: '/bad' }, read)).message).toContain(
      '/bad',
    );
  });
});
