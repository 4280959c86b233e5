import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { BuiltinKms } from './builtin-kms.js';
import { isCryptoError } from './errors.js';
import { MemoryKeyStore } from './key-store.js';
import {
  describeSealedObjectKey,
  maskedETag,
  rewrapObjectKey,
  sealObjectKey,
  unsealObjectKey,
} from './object-key.js';

const target = { bucket: 'photos', key: '2026/cat.jpg' };
let kms: BuiltinKms;

beforeAll(async () => {
  kms = await BuiltinKms.open({
    store: new MemoryKeyStore(),
    rootSecret: { name: 'r', key: randomBytes(32) },
  });
  await kms.createKey('tenant-a');
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isCryptoError(err) ? err.code : `not a CryptoError: ${String(err)}`;
}

describe('SSE-S3 and SSE-KMS object keys', () => {
  it('SSE-S3 seals under the default key and opens for the same object only', async () => {
    const { objectKey, sealed } = await sealObjectKey({ mode: 'SSE-S3', kms }, target);
    expect(objectKey.byteLength).toBe(32);
    expect(describeSealedObjectKey(sealed)).toEqual({ mode: 'SSE-S3', kmsKeyName: 'strata-default' });
    expect((await unsealObjectKey(sealed, target, { kms })).equals(objectKey)).toBe(true);
    expect(await codeOf(unsealObjectKey(sealed, { ...target, key: '2026/dog.jpg' }, { kms }))).toBe(
      'KeyUnsealFailed',
    );
    expect(await codeOf(unsealObjectKey(sealed, { ...target, bucket: 'other' }, { kms }))).toBe(
      'KeyUnsealFailed',
    );
  });

  it('SSE-KMS seals under the named key with the user context, kept for response headers', async () => {
    const context = { department: 'finance', 'aws:s3:arn': 'arn:aws:s3:::photos/2026/cat.jpg' };
    const { objectKey, sealed } = await sealObjectKey(
      { mode: 'SSE-KMS', kms, keyName: 'tenant-a', context },
      target,
    );
    expect(describeSealedObjectKey(sealed)).toEqual({ mode: 'SSE-KMS', kmsKeyName: 'tenant-a', context });
    expect((await unsealObjectKey(sealed, target, { kms })).equals(objectKey)).toBe(true);
    expect(await codeOf(sealObjectKey({ mode: 'SSE-KMS', kms, keyName: 'missing' }, target))).toBe(
      'KeyNotFound',
    );
    expect(
      await codeOf(
        sealObjectKey(
          { mode: 'SSE-KMS', kms, keyName: 'tenant-a', context: { 'aws:s3:arn': 'arn:aws:s3:::x/y' } },
          target,
        ),
      ),
    ).toBe('InvalidContext');
  });

  it('detects any changed byte of a sealed key (key name, context, salt, sealed data key)', async () => {
    const { sealed } = await sealObjectKey(
      { mode: 'SSE-KMS', kms, keyName: 'tenant-a', context: { a: 'b' } },
      target,
    );
    for (let i = 0; i < sealed.byteLength; i++) {
      const bad = Buffer.from(sealed);
      bad[i] = (bad[i] ?? 0) ^ 0x20;
      const code = await codeOf(unsealObjectKey(bad, target, { kms }));
      expect(['KeyUnsealFailed', 'InvalidFormat', 'KeyNotFound', 'InvalidKeyName'], `byte ${i}`).toContain(
        code,
      );
    }
  });

  it('re-wraps after rotation without changing the object key; already-current keys are left alone', async () => {
    await kms.createKey('rewrap');
    const { objectKey, sealed } = await sealObjectKey({ mode: 'SSE-KMS', kms, keyName: 'rewrap' }, target);
    expect((await rewrapObjectKey(sealed, target, kms)).changed).toBe(false);
    await kms.rotateKey('rewrap');
    // The old sealed key still opens after rotation.
    expect((await unsealObjectKey(sealed, target, { kms })).equals(objectKey)).toBe(true);
    const rewrapped = await rewrapObjectKey(sealed, target, kms);
    expect(rewrapped.changed).toBe(true);
    expect((await unsealObjectKey(rewrapped.sealed, target, { kms })).equals(objectKey)).toBe(true);
    expect(describeSealedObjectKey(rewrapped.sealed)).toEqual(describeSealedObjectKey(sealed));
    expect((await rewrapObjectKey(rewrapped.sealed, target, kms)).changed).toBe(false);
    // Re-wrap is bound to the object like everything else.
    expect(await codeOf(rewrapObjectKey(sealed, { ...target, key: 'x' }, kms))).toBe('KeyUnsealFailed');
  });
});

describe('SSE-C object keys', () => {
  const customerKey = randomBytes(32);

  it('opens with the right customer key only; a wrong or missing key is WrongCustomerKey', async () => {
    const { objectKey, sealed } = await sealObjectKey({ mode: 'SSE-C', customerKey }, target);
    expect(describeSealedObjectKey(sealed)).toEqual({ mode: 'SSE-C' });
    expect((await unsealObjectKey(sealed, target, { customerKey })).equals(objectKey)).toBe(true);
    expect(await codeOf(unsealObjectKey(sealed, target, { customerKey: randomBytes(32) }))).toBe(
      'WrongCustomerKey',
    );
    expect(await codeOf(unsealObjectKey(sealed, target, { customerKey: customerKey.subarray(0, 16) }))).toBe(
      'WrongCustomerKey',
    );
    expect(await codeOf(unsealObjectKey(sealed, target, {}))).toBe('WrongCustomerKey');
    // The right key for another object's sealed key is not enough.
    expect(await codeOf(unsealObjectKey(sealed, { ...target, key: 'other' }, { customerKey }))).toBe(
      'KeyUnsealFailed',
    );
    expect((await rewrapObjectKey(sealed, target, kms)).changed).toBe(false);
  });

  it('stores no trace of the customer key: only a salted HMAC, different for every object', async () => {
    const a = await sealObjectKey({ mode: 'SSE-C', customerKey }, target);
    const b = await sealObjectKey({ mode: 'SSE-C', customerKey }, target);
    for (const { sealed } of [a, b]) {
      expect(sealed.includes(customerKey)).toBe(false);
      expect(sealed.includes(createHash('md5').update(customerKey).digest())).toBe(false);
      expect(sealed.includes(createHash('sha256').update(customerKey).digest())).toBe(false);
      expect(sealed.byteLength).toBe(2 + 32 + 48 + 32);
    }
    // Same key, same object: the check values differ (random salt), so equal keys are not linkable.
    expect(a.sealed.subarray(82).equals(b.sealed.subarray(82))).toBe(false);
  });
});

describe('maskedETag', () => {
  it('is 32 hex characters, stable per object key, and not the plaintext MD5', () => {
    const md5 = createHash('md5').update('hello').digest('hex');
    const key = randomBytes(32);
    const etag = maskedETag(key, md5);
    expect(etag).toMatch(/^[0-9a-f]{32}$/);
    expect(etag).not.toBe(md5);
    expect(maskedETag(key, md5)).toBe(etag);
    expect(maskedETag(randomBytes(32), md5)).not.toBe(etag);
  });
});
