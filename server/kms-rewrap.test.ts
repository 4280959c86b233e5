import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BuiltinKms,
  encodeObjectEncryption,
  ObjectLayerKeyStore,
  type SealObjectKeyRequest,
  SSE_METADATA,
  SYSTEM_BUCKET,
  sealObjectKey,
  unsealObjectKey,
} from '../crypto/index.js';
import { type ObjectLayer, openStorage } from '../storage/index.js';
import { rewrapObjectKeys } from './kms-rewrap.js';

/**
 * The re-wrap over real storage. Only sealed keys matter here, so the versions' bodies are
 * short plaintext and their metadata carries a real sealed object key.
 */

let dir = '';
let storage: ObjectLayer;
let kms: BuiltinKms;
const ROOT_SECRET = { name: 'test-root', key: Buffer.alloc(32, 3) };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-rewrap-test-'));
  storage = (
    await openStorage({
      drives: [1, 2, 3, 4].map((i) => join(dir, `d${i}`)),
      logger: pino({ level: 'silent' }),
    })
  ).objectLayer;
  // Master keys in the storage's system bucket, as in production.
  kms = await BuiltinKms.open({ store: new ObjectLayerKeyStore(storage), rootSecret: ROOT_SECRET });
});

afterAll(async () => {
  await storage?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Stores `key` with a sealed object key for `request`; returns its version id and object key. */
async function putSealed(
  bucket: string,
  key: string,
  request: SealObjectKeyRequest | undefined,
): Promise<{ versionId: string; objectKey: Buffer | undefined; sealed: Buffer | undefined }> {
  const sealed = request === undefined ? undefined : await sealObjectKey(request, { bucket, key });
  const metadata =
    sealed === undefined
      ? {}
      : encodeObjectEncryption({
          aead: 'AES-256-GCM',
          sealedKey: sealed.sealed,
          nonceBase: Buffer.alloc(12, 1),
          plainSizeBytes: 4,
        });
  const info = await storage.putObject(bucket, key, Readable.from([Buffer.from('body')]), {
    sizeBytes: 4,
    metadata,
    finalize: () => ({ etag: 'e' }),
  });
  return { versionId: info.versionId, objectKey: sealed?.objectKey, sealed: sealed?.sealed };
}

async function sealedKeyOf(bucket: string, key: string, versionId?: string): Promise<Buffer> {
  const info = await storage.getObjectInfo(bucket, key, versionId === undefined ? {} : { versionId });
  return Buffer.from(info.metadata[SSE_METADATA.sealedKey] ?? '', 'base64');
}

describe('rewrapObjectKeys', () => {
  it('re-seals SSE-S3 and SSE-KMS versions under the newest key version, leaves SSE-C and plaintext alone', async () => {
    await kms.createKey('tenant-r');
    await storage.makeBucket('rewrap-one', { location: '' });
    await storage.setBucketVersioning('rewrap-one', 'Enabled');
    const v1 = await putSealed('rewrap-one', 'k', {
      mode: 'SSE-KMS',
      kms,
      keyName: 'tenant-r',
      context: { a: 'b' },
    });
    const v2 = await putSealed('rewrap-one', 'k', { mode: 'SSE-KMS', kms, keyName: 'tenant-r' });
    const s3 = await putSealed('rewrap-one', 'default-key', { mode: 'SSE-S3', kms });
    await putSealed('rewrap-one', 'customer', { mode: 'SSE-C', customerKey: Buffer.alloc(32, 9) });
    await putSealed('rewrap-one', 'plain', undefined);
    await storage.deleteObject('rewrap-one', 'plain');
    const before = await storage.getObjectInfo('rewrap-one', 'k', { versionId: v1.versionId });

    await kms.rotateKey('tenant-r');
    const first = await rewrapObjectKeys(storage, kms, { bucket: 'rewrap-one' });
    expect(first).toEqual({
      bucketsScanned: 1,
      versionsScanned: 5,
      rewrapped: 2,
      unchanged: 1,
      notEncrypted: 1,
      skippedSseC: 1,
      skippedChanged: 0,
      failed: 0,
      uploadsOnOldKeyVersion: 0,
      failures: [],
    });

    // New sealed keys that open to the same object keys (the data needs no change).
    const target = { bucket: 'rewrap-one', key: 'k' };
    for (const v of [v1, v2]) {
      const sealed = await sealedKeyOf('rewrap-one', 'k', v.versionId);
      expect(sealed).not.toEqual(v.sealed);
      expect(await unsealObjectKey(sealed, target, { kms })).toEqual(v.objectKey);
    }
    const s3Target = { bucket: 'rewrap-one', key: 'default-key' };
    expect(await unsealObjectKey(await sealedKeyOf('rewrap-one', 'default-key'), s3Target, { kms })).toEqual(
      s3.objectKey,
    );
    const after = await storage.getObjectInfo('rewrap-one', 'k', { versionId: v1.versionId });
    expect(after.lastModified).toEqual(before.lastModified);
    expect({ ...after.metadata, [SSE_METADATA.sealedKey]: '' }).toEqual({
      ...before.metadata,
      [SSE_METADATA.sealedKey]: '',
    });

    const second = await rewrapObjectKeys(storage, kms, { bucket: 'rewrap-one' });
    expect([second.rewrapped, second.unchanged]).toEqual([0, 3]);
  });

  it('walks every bucket page by page (versions of one key across pages), but not the KMS system bucket', async () => {
    await kms.createKey('tenant-many');
    await storage.makeBucket('rewrap-many', { location: '' });
    await storage.setBucketVersioning('rewrap-many', 'Enabled');
    for (const key of ['a', 'a', 'a', 'b', 'c', 'c']) {
      await putSealed(
        'rewrap-many',
        key,
        key === 'b' ? undefined : { mode: 'SSE-KMS', kms, keyName: 'tenant-many' },
      );
    }
    await kms.rotateKey('tenant-many');
    const report = await rewrapObjectKeys(storage, kms, { pageSize: 2 });
    // The earlier tests' buckets are all under their newest key versions by now.
    expect(report).toMatchObject({ rewrapped: 5, failed: 0 });
    const buckets = (await storage.listBuckets()).map((b) => b.name);
    expect(buckets).toContain(SYSTEM_BUCKET);
    expect(report.bucketsScanned).toBe(buckets.length - 1);
    const again = await rewrapObjectKeys(storage, kms, { bucket: 'rewrap-many', pageSize: 2 });
    expect(again).toMatchObject({ versionsScanned: 6, rewrapped: 0, unchanged: 5, notEncrypted: 1 });
  });

  it('leaves a version whose sealed key changed after it was read, and counts keys that do not open as failed', async () => {
    await kms.createKey('tenant-race');
    await storage.makeBucket('rewrap-race', { location: '' });
    await putSealed('rewrap-race', 'k', { mode: 'SSE-KMS', kms, keyName: 'tenant-race' });
    await putSealed('rewrap-race', 'moved', { mode: 'SSE-KMS', kms, keyName: 'tenant-race' });
    // A sealed key copied to another object does not open there.
    const foreign = (await storage.getObjectInfo('rewrap-race', 'moved')).metadata;
    await storage.putObject('rewrap-race', 'copied', Readable.from([Buffer.from('body')]), {
      sizeBytes: 4,
      metadata: foreign,
      finalize: () => ({ etag: 'e' }),
    });
    await kms.rotateKey('tenant-race');

    // Overwrites 'k' (unversioned: same version id 'null') between listing and the update.
    const racing = new Proxy(storage, {
      get(target, prop) {
        if (prop !== 'updateObjectMetadata') {
          const value: unknown = Reflect.get(target, prop);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        const update: ObjectLayer['updateObjectMetadata'] = async (bucket, key, fn, opts) => {
          if (key === 'k') await putSealed(bucket, key, { mode: 'SSE-KMS', kms, keyName: 'tenant-race' });
          return target.updateObjectMetadata(bucket, key, fn, opts);
        };
        return update;
      },
    });
    const report = await rewrapObjectKeys(racing, kms, { bucket: 'rewrap-race' });
    expect(report).toMatchObject({ rewrapped: 1, skippedChanged: 1, failed: 1 });
    expect(report.failures).toEqual([
      { bucket: 'rewrap-race', key: 'copied', versionId: 'null', code: 'KeyUnsealFailed' },
    ]);
  });

  it('answers NoSuchBucket for a missing bucket and for the system bucket by name', async () => {
    await expect(rewrapObjectKeys(storage, kms, { bucket: 'no-such-rewrap-bucket' })).rejects.toMatchObject({
      code: 'NoSuchBucket',
    });
    await expect(rewrapObjectKeys(storage, kms, { bucket: SYSTEM_BUCKET })).rejects.toMatchObject({
      code: 'NoSuchBucket',
    });
  });

  it('counts open multipart uploads still sealed under an older key version', async () => {
    await kms.createKey('tenant-mp');
    await storage.makeBucket('rewrap-mp', { location: '' });
    const sealed = await sealObjectKey(
      { mode: 'SSE-KMS', kms, keyName: 'tenant-mp' },
      { bucket: 'rewrap-mp', key: 'upload' },
    );
    await storage.createMultipartUpload('rewrap-mp', 'upload', {
      metadata: encodeObjectEncryption({
        aead: 'AES-256-GCM',
        sealedKey: sealed.sealed,
        nonceBase: undefined,
        plainSizeBytes: 0,
      }),
    });
    expect((await rewrapObjectKeys(storage, kms, { bucket: 'rewrap-mp' })).uploadsOnOldKeyVersion).toBe(0);
    await kms.rotateKey('tenant-mp');
    expect((await rewrapObjectKeys(storage, kms, { bucket: 'rewrap-mp' })).uploadsOnOldKeyVersion).toBe(1);
  });
});
