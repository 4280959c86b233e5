import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { noopLogger } from '../../common/index.js';
import { BuiltinKms, ObjectLayerKeyStore, SYSTEM_BUCKET } from '../../crypto/index.js';
import { isValidBucketName } from '../../server/bucket-name.js';
import { openStorage } from '../../storage/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const open = (drives: string[]) => openStorage({ drives, logger: noopLogger });

describe('the built-in KMS over the real object layer (system bucket)', () => {
  it('persists master keys in strata_system across a restart; S3 names cannot reach the bucket', async () => {
    const root = await mkdtemp(join(tmpdir(), 'strata-kms-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const drives = [1, 2, 3, 4].map((i) => join(root, `d${i}`));
    const rootSecret = { name: 'ops', key: randomBytes(32) };
    const context = { 'aws:s3:arn': 'arn:aws:s3:::b/k' };

    // Storage accepts the name ('_' is allowed there); S3 requests can never address it.
    expect(isValidBucketName(SYSTEM_BUCKET)).toBe(false);
    const first = await open(drives);
    // ObjectLayer is what main.ts passes: it satisfies crypto's SystemObjectStore.
    const kms = await BuiltinKms.open({ store: new ObjectLayerKeyStore(first.objectLayer), rootSecret });
    await kms.createKey('tenant');
    await kms.rotateKey('tenant');
    const dk = await kms.generateDataKey('tenant', context);
    expect((await first.objectLayer.listBuckets()).map((b) => b.name)).toEqual([SYSTEM_BUCKET]);
    await first.objectLayer.close();

    const second = await open(drives);
    try {
      const reopened = await BuiltinKms.open({
        store: new ObjectLayerKeyStore(second.objectLayer),
        rootSecret,
      });
      expect((await reopened.decryptDataKey('tenant', dk.sealed, context)).equals(dk.plaintext)).toBe(true);
      expect((await reopened.listKeys()).map((k) => [k.name, k.latestVersion])).toEqual([
        ['strata-default', 1],
        ['tenant', 2],
      ]);
      const wrong = await BuiltinKms.open({
        store: new ObjectLayerKeyStore(second.objectLayer),
        rootSecret: { name: 'ops', key: randomBytes(32) },
      }).catch((e) => e);
      expect((wrong as { code?: string }).code).toBe('WrongRootSecret');
    } finally {
      await second.objectLayer.close();
    }
  });
});
