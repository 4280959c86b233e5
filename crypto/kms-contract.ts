import { describe, expect, it } from 'vitest';
import { isCryptoError } from './errors.js';
import type { Kms } from './kms.js';

/**
 * The Kms contract, run against every implementation (builtin-kms.test.ts runs it over
 * each KeyStore). `open` returns a fresh KMS with its default key and nothing else.
 */
export function kmsContract(label: string, open: () => Promise<Kms>): void {
  const context = { 'aws:s3:arn': 'arn:aws:s3:::bucket/key' };

  async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    return isCryptoError(err) ? err.code : `not a CryptoError: ${String(err)}`;
  }

  describe(`Kms contract: ${label}`, () => {
    it('has its default key from the start', async () => {
      const kms = await open();
      expect((await kms.listKeys()).map((k) => k.name)).toEqual([kms.defaultKeyName]);
      const status = await kms.keyStatus(kms.defaultKeyName);
      expect(status).toMatchObject({ name: kms.defaultKeyName, latestVersion: 1, roundTripOk: true });
    });

    it('generates 32-byte data keys that open with the same key name and context', async () => {
      const kms = await open();
      const a = await kms.generateDataKey(kms.defaultKeyName, context);
      const b = await kms.generateDataKey(kms.defaultKeyName, context);
      expect(a.plaintext.byteLength).toBe(32);
      expect(a.plaintext.equals(b.plaintext)).toBe(false);
      expect((await kms.decryptDataKey(kms.defaultKeyName, a.sealed, context)).equals(a.plaintext)).toBe(
        true,
      );
    });

    it('refuses another context, another key name, and a flipped bit', async () => {
      const kms = await open();
      await kms.createKey('tenant-a');
      const { sealed } = await kms.generateDataKey('tenant-a', context);
      expect(
        await codeOf(kms.decryptDataKey('tenant-a', sealed, { 'aws:s3:arn': 'arn:aws:s3:::bucket/other' })),
      ).toBe('KeyUnsealFailed');
      expect(await codeOf(kms.decryptDataKey('tenant-a', sealed, {}))).toBe('KeyUnsealFailed');
      expect(await codeOf(kms.decryptDataKey(kms.defaultKeyName, sealed, context))).toBe('KeyUnsealFailed');
      for (let i = 0; i < sealed.byteLength; i += 7) {
        const bad = Uint8Array.from(sealed);
        bad[i] = (bad[i] ?? 0) ^ 1;
        expect(['KeyUnsealFailed', 'KeyNotFound', 'InvalidFormat', 'InvalidKeyName']).toContain(
          await codeOf(kms.decryptDataKey('tenant-a', bad, context)),
        );
      }
    });

    it('creates, lists and reports named (per-tenant) keys', async () => {
      const kms = await open();
      expect((await kms.createKey('tenant-b')).latestVersion).toBe(1);
      await kms.createKey('tenant-a');
      expect(await codeOf(kms.createKey('tenant-a'))).toBe('KeyExists');
      expect((await kms.listKeys()).map((k) => k.name)).toEqual(
        ['strata-default', 'tenant-a', 'tenant-b'].sort(),
      );
      expect(await codeOf(kms.keyStatus('missing'))).toBe('KeyNotFound');
      expect(await codeOf(kms.generateDataKey('missing', context))).toBe('KeyNotFound');
      expect(await codeOf(kms.createKey('bad/name'))).toBe('InvalidKeyName');
      expect(await codeOf(kms.createKey(''))).toBe('InvalidKeyName');
    });

    it('rotates: new data keys use the new version, old ones still open, re-encryption moves them', async () => {
      const kms = await open();
      await kms.createKey('rotating');
      const old = await kms.generateDataKey('rotating', context);
      const rotated = await kms.rotateKey('rotating');
      expect(rotated.latestVersion).toBe(2);
      expect(rotated.versions.map((v) => v.version)).toEqual([1, 2]);
      expect((await kms.decryptDataKey('rotating', old.sealed, context)).equals(old.plaintext)).toBe(true);

      const moved = await kms.reencryptDataKey('rotating', old.sealed, context);
      expect(moved.changed).toBe(true);
      expect(Buffer.from(moved.sealed).equals(Buffer.from(old.sealed))).toBe(false);
      expect((await kms.decryptDataKey('rotating', moved.sealed, context)).equals(old.plaintext)).toBe(true);
      const again = await kms.reencryptDataKey('rotating', moved.sealed, context);
      expect(again.changed).toBe(false);

      const fresh = await kms.generateDataKey('rotating', context);
      expect((await kms.reencryptDataKey('rotating', fresh.sealed, context)).changed).toBe(false);
      expect(await codeOf(kms.rotateKey('missing'))).toBe('KeyNotFound');
      expect((await kms.keyStatus('rotating')).latestVersion).toBe(2);
    });
  });
}
