import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signingKey } from './auth/index.js';
import { checkPostPolicy, decodePostPolicy, type PostPolicy, verifyPostSignature } from './post-policy.js';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const FUTURE = '2025-01-15T13:00:00.000Z';

function encode(doc: unknown): string {
  return Buffer.from(JSON.stringify(doc)).toString('base64');
}

function failure(fn: () => unknown): { code?: string; message?: string } | undefined {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message?: string };
  }
  return undefined;
}

function policy(conditions: unknown[], expiration = FUTURE): PostPolicy {
  return decodePostPolicy(encode({ expiration, conditions }));
}

function check(p: PostPolicy, fields: Record<string, string>, bucket = 'bkt') {
  return checkPostPolicy(p, { bucket, fields: new Map(Object.entries(fields)), nowMs: NOW });
}

describe('decodePostPolicy', () => {
  it('reads expiration and every condition form, operators and field names case-insensitively', () => {
    const p = policy([
      { bUcKeT: 'bkt' },
      ['StArTs-WiTh', '$KeY', 'up/'],
      ['eq', '$x-amz-meta-a', 'b'],
      ['content-length-range', 1, '10'],
    ]);
    expect(p.expirationMs).toBe(Date.parse(FUTURE));
    expect(p.conditions).toEqual([
      { kind: 'eq', field: 'bucket', value: 'bkt' },
      { kind: 'starts-with', field: 'key', value: 'up/' },
      { kind: 'eq', field: 'x-amz-meta-a', value: 'b' },
      { kind: 'content-length-range', min: 1, max: 10 },
    ]);
  });

  it.each([
    ['not base64', '!!!'],
    ['not JSON', Buffer.from('{nope').toString('base64')],
    ['no expiration', encode({ conditions: [] })],
    ['EXPIRATION in capitals', encode({ EXPIRATION: FUTURE, conditions: [] })],
    ['a malformed expiration', encode({ expiration: '2025-01-15 13:00:00+00:00', conditions: [] })],
    ['no conditions', encode({ expiration: FUTURE })],
    ['CONDITIONS in capitals', encode({ expiration: FUTURE, CONDITIONS: [] })],
    ['an empty simple condition', encode({ expiration: FUTURE, conditions: [{}] })],
    ['a range with one bound', encode({ expiration: FUTURE, conditions: [['content-length-range', 0]] })],
    ['a negative range', encode({ expiration: FUTURE, conditions: [['content-length-range', -1, 0]] })],
    ['an unknown operator', encode({ expiration: FUTURE, conditions: [['ends-with', '$key', 'x']] })],
    ['a field without $', encode({ expiration: FUTURE, conditions: [['eq', 'key', 'x']] })],
    ['a document over 20 KiB', encode({ expiration: FUTURE, conditions: [{ a: 'x'.repeat(21 * 1024) }] })],
  ])('refuses %s with InvalidPolicyDocument', (_label, b64) => {
    expect(failure(() => decodePostPolicy(b64))?.code).toBe('InvalidPolicyDocument');
  });
});

describe('checkPostPolicy', () => {
  const base = [{ bucket: 'bkt' }, ['starts-with', '$key', 'up/']];

  it('accepts a form that meets every condition and returns the length range', () => {
    const p = policy([...base, ['content-length-range', 0, 100], { acl: 'private' }]);
    expect(check(p, { key: 'up/a', acl: 'private', policy: 'x', 'x-amz-signature': 's', file: '' })).toEqual({
      min: 0,
      max: 100,
    });
  });

  it('refuses an expired policy', () => {
    const p = policy(base, '2025-01-15T11:59:59Z');
    expect(failure(() => check(p, { key: 'up/a' }))?.message).toBe(
      'Invalid according to Policy: Policy expired.',
    );
  });

  it('refuses a key outside the starts-with prefix', () => {
    const e = failure(() => check(policy(base), { key: 'down/a' }));
    expect(e?.code).toBe('AccessDenied');
    expect(e?.message).toBe(
      'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "up/"]',
    );
  });

  it('refuses another bucket and a policy without a bucket condition', () => {
    expect(failure(() => check(policy(base), { key: 'up/a' }, 'other'))?.code).toBe('AccessDenied');
    expect(failure(() => check(policy([['starts-with', '$key', '']]), { key: 'a' }))?.code).toBe(
      'AccessDenied',
    );
  });

  it('names fields no condition covers', () => {
    const e = failure(() => check(policy(base), { key: 'up/a', 'x-amz-meta-color': 'red', tagging: 't' }));
    expect(e?.message).toBe('Invalid according to Policy: Extra input fields: x-amz-meta-color, tagging');
  });

  it('exempts policy, signatures, file, x-ignore-* and checksums', () => {
    const fields = {
      key: 'up/a',
      policy: 'p',
      signature: 's',
      'x-amz-signature': 's',
      awsaccesskeyid: 'k',
      file: '',
      'x-ignore-me': '1',
      'x-amz-checksum-crc32': 'AAAAAA==',
    };
    expect(check(policy(base), fields)).toBeUndefined();
  });

  it('applies eq exactly and treats a missing field as empty', () => {
    const p = policy([...base, ['eq', '$x-amz-meta-foo', '']]);
    expect(check(p, { key: 'up/a' })).toBeUndefined();
    expect(failure(() => check(p, { key: 'up/a', 'x-amz-meta-foo': 'barclamp' }))?.code).toBe('AccessDenied');
  });

  it('lets starts-with "" allow anything', () => {
    const p = policy([{ bucket: 'bkt' }, ['starts-with', '$key', ''], ['starts-with', '$x-amz-meta-a', '']]);
    expect(check(p, { key: 'anything', 'x-amz-meta-a': 'whatever' })).toBeUndefined();
  });

  it('checks each type of a Content-Type list against the prefix', () => {
    const p = policy([...base, ['starts-with', '$Content-Type', 'image/']]);
    expect(check(p, { key: 'up/a', 'content-type': 'image/png, image/jpeg' })).toBeUndefined();
    expect(failure(() => check(p, { key: 'up/a', 'content-type': 'image/png,text/plain' }))?.code).toBe(
      'AccessDenied',
    );
  });
});

describe('verifyPostSignature', () => {
  const secret = 'secret-key';
  const lookup = (id: string) => (id === 'AKID' ? { accessKeyId: id, secretAccessKey: secret } : undefined);
  const policyB64 = encode({ expiration: FUTURE, conditions: [] });
  const v4 = (overrides: Record<string, string> = {}) => {
    const sig = createHmac('sha256', signingKey(secret, '20250115', 'us-east-1'))
      .update(policyB64)
      .digest('hex');
    return new Map(
      Object.entries({
        policy: policyB64,
        'x-amz-algorithm': 'AWS4-HMAC-SHA256',
        'x-amz-credential': 'AKID/20250115/us-east-1/s3/aws4_request',
        'x-amz-date': '20250115T120000Z',
        'x-amz-signature': sig,
        ...overrides,
      }),
    );
  };
  const opts = { lookup, region: 'us-east-1' };

  it('accepts a SigV4 signature over the base64 policy', () => {
    expect(verifyPostSignature(v4(), opts)).toEqual({ accessKeyId: 'AKID' });
  });

  it('accepts a SigV2 signature (HMAC-SHA1, base64)', () => {
    const signature = createHmac('sha1', secret).update(policyB64).digest('base64');
    const fields = new Map(Object.entries({ policy: policyB64, awsaccesskeyid: 'AKID', signature }));
    expect(verifyPostSignature(fields, opts)).toEqual({ accessKeyId: 'AKID' });
  });

  it.each([
    ['a wrong signature', { 'x-amz-signature': '0'.repeat(64) }, 'SignatureDoesNotMatch'],
    [
      'an unknown key',
      { 'x-amz-credential': 'NOPE/20250115/us-east-1/s3/aws4_request' },
      'InvalidAccessKeyId',
    ],
    ['another region', { 'x-amz-credential': 'AKID/20250115/eu-west-1/s3/aws4_request' }, 'InvalidArgument'],
    ['a date not matching the credential', { 'x-amz-date': '20250116T120000Z' }, 'InvalidArgument'],
    ['another algorithm', { 'x-amz-algorithm': 'AWS4-ECDSA-P256-SHA256' }, 'InvalidArgument'],
  ])('refuses %s', (_label, overrides, code) => {
    expect(failure(() => verifyPostSignature(v4(overrides), opts))?.code).toBe(code);
  });

  it('refuses a policy without signature (400) and a form without policy (403)', () => {
    const noSig = v4();
    noSig.delete('x-amz-signature');
    expect(failure(() => verifyPostSignature(noSig, opts))?.code).toBe('InvalidArgument');
    expect(failure(() => verifyPostSignature(new Map([['key', 'a']]), opts))?.code).toBe('AccessDenied');
  });
});
