import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BuiltinKms } from './builtin-kms.js';
import { isCryptoError } from './errors.js';
import { exportKeyStore, importKeyStore, MemoryKeyStore } from './key-store.js';
import { kmsContract } from './kms-contract.js';
import { ObjectLayerKeyStore } from './object-layer-key-store.js';
import type { RootSecret } from './root-secret.js';
import { MemoryObjectStore } from './test-helpers.js';

const root: RootSecret = { name: 'ops-2026', key: randomBytes(32) };
const context = { 'aws:s3:arn': 'arn:aws:s3:::b/k' };

kmsContract('BuiltinKms over MemoryKeyStore', () =>
  BuiltinKms.open({ store: new MemoryKeyStore(), rootSecret: root }),
);
kmsContract('BuiltinKms over ObjectLayerKeyStore', () =>
  BuiltinKms.open({ store: new ObjectLayerKeyStore(new MemoryObjectStore()), rootSecret: root }),
);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isCryptoError(err) ? err.code : String(err);
}

describe('BuiltinKms', () => {
  it('keeps keys in the store: a second KMS over it (a restart, another node) opens old data keys', async () => {
    const store = new MemoryKeyStore();
    const first = await BuiltinKms.open({ store, rootSecret: root });
    await first.createKey('tenant');
    const dk = await first.generateDataKey('tenant', context);
    const second = await BuiltinKms.open({ store, rootSecret: root });
    expect((await second.decryptDataKey('tenant', dk.sealed, context)).equals(dk.plaintext)).toBe(true);
    // A rotation on one instance is seen by the other when a sealed key names the new version.
    await second.rotateKey('tenant');
    const newer = await second.generateDataKey('tenant', context);
    expect((await first.decryptDataKey('tenant', newer.sealed, context)).equals(newer.plaintext)).toBe(true);
    expect((await first.rotateKey('tenant')).latestVersion).toBe(3);
  });

  it('stores master keys only sealed: no record contains the key material or opens without the root secret', async () => {
    const store = new MemoryKeyStore();
    const kms = await BuiltinKms.open({ store, rootSecret: root });
    const ids = await store.list('');
    expect(ids).toEqual(['keys/strata-default/0000000001']);
    const record = Buffer.from((await store.get(ids[0] ?? '')) ?? []);
    expect(record.length).toBe(2 + root.name.length + 12 + 40 + 16);
    expect(record.includes(Buffer.from(root.key))).toBe(false);
    expect((await kms.keyStatus(kms.defaultKeyName)).roundTripOk).toBe(true);
  });

  it('refuses to open with another root secret, naming it when the name differs', async () => {
    const store = new MemoryKeyStore();
    await BuiltinKms.open({ store, rootSecret: root });
    const sameName = { name: root.name, key: randomBytes(32) };
    const otherName = { name: 'other', key: Buffer.from(root.key) };
    const errSame = await BuiltinKms.open({ store, rootSecret: sameName }).catch((e) => e);
    expect(isCryptoError(errSame, 'WrongRootSecret')).toBe(true);
    const errName = await BuiltinKms.open({ store, rootSecret: otherName }).catch((e) => e);
    expect(isCryptoError(errName, 'WrongRootSecret')).toBe(true);
    expect((errName as Error).message).toContain('"ops-2026"');
  });

  it('detects a record moved to another id (e.g. version 1 of one key presented as another key)', async () => {
    const store = new MemoryKeyStore();
    const kms = await BuiltinKms.open({ store, rootSecret: root });
    await kms.createKey('a');
    const record = (await store.get('keys/a/0000000001')) ?? new Uint8Array();
    await store.create('keys/b/0000000001', record);
    expect(await codeOf(kms.generateDataKey('b', context))).toBe('WrongRootSecret');
  });

  it('uses the configured default key name, and survives a lost race creating it', async () => {
    const store = new MemoryKeyStore();
    const [a, b] = await Promise.all([
      BuiltinKms.open({ store, rootSecret: root, defaultKeyName: 'sse-s3' }),
      BuiltinKms.open({ store, rootSecret: root, defaultKeyName: 'sse-s3' }),
    ]);
    const dk = await a.generateDataKey('sse-s3', context);
    expect((await b.decryptDataKey('sse-s3', dk.sealed, context)).equals(dk.plaintext)).toBe(true);
    expect(await store.list('')).toEqual(['keys/sse-s3/0000000001']);
  });

  it('round-trips its store through a backup file', async () => {
    const store = new MemoryKeyStore();
    const kms = await BuiltinKms.open({ store, rootSecret: root });
    await kms.rotateKey(kms.defaultKeyName);
    const dk = await kms.generateDataKey(kms.defaultKeyName, context);
    const restored = new MemoryKeyStore();
    expect(await importKeyStore(restored, await exportKeyStore(store))).toBe(2);
    const reopened = await BuiltinKms.open({ store: restored, rootSecret: root });
    expect((await reopened.decryptDataKey(kms.defaultKeyName, dk.sealed, context)).equals(dk.plaintext)).toBe(
      true,
    );
    expect(await codeOf(importKeyStore(restored, '{"format":"other"}'))).toBe('InvalidFormat');
  });

  it('records creation times from its clock', async () => {
    const now = new Date('2026-11-26T12:00:00.123Z');
    const kms = await BuiltinKms.open({ store: new MemoryKeyStore(), rootSecret: root, now: () => now });
    const [info] = await kms.listKeys();
    expect(info?.versions).toEqual([{ version: 1, createdAt: now }]);
  });
});
