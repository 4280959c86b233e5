/**
 * With three of four drives gone, writes fail with 503 and leave nothing visible,
 * not even after the drives come back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { adminHeal } from '../helpers/admin.js';
import { bytesFor } from '../helpers/data.js';
import { removeDrive, restoreDrives, snapshotDrives } from '../helpers/drives.js';
import { verifyFixture, writeFixture } from '../helpers/fixture.js';
import { createBucket, expectStatus, listAllKeys, sdkError } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

describe('losing three of four drives', () => {
  const server = useStrataServer();
  let snapshot = '';
  afterAll(async () => {
    if (snapshot) await rm(snapshot, { recursive: true, force: true });
  });

  it('writes fail with 503 and leave nothing visible, also after the drives return', async () => {
    const s = server();
    const bucket = uniqueBucketName('quorum');
    await createBucket(s.client(), bucket);
    const objects = await writeFixture(s.client(), bucket, 'before');
    await s.stop();
    snapshot = await mkdtemp(join(tmpdir(), 'strata-snap-'));
    await snapshotDrives(s.drives, snapshot);
    await s.startAgain();

    for (const i of [1, 2, 3]) await removeDrive(s.drives[i] as string);
    // No retries: the first answer is the one under test (SDKs retry 503s on their own).
    const s3 = s.newClient({ maxAttempts: 1 });
    try {
      const failedKeys = ['during/small 😀', 'during/big'];
      const small = await sdkError(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'during/small 😀', Body: 'small' })),
      );
      expect(small.status, `${small.name}: ${small.message}`).toBe(503);
      const big = await sdkError(
        s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: 'during/big', Body: bytesFor(3 * 1024 * 1024, 'big') }),
        ),
      );
      expect(big.status, `${big.name}: ${big.message}`).toBe(503);
      const overwrite = await sdkError(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: objects[2]?.key, Body: 'overwrite attempt' })),
      );
      expect(overwrite.status).toBe(503);
      const del = await sdkError(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: objects[3]?.key })));
      expect(del.status).toBe(503);
      const mb = await sdkError(s3.send(new CreateBucketCommand({ Bucket: uniqueBucketName('during') })));
      expect(mb.status).toBe(503);

      // While the drives are gone, nothing of the failed writes shows (reads may fail with 503 too).
      for (const key of failedKeys) {
        const e = await sdkError(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
        expect([404, 503]).toContain(e.status);
      }
      try {
        const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
        for (const key of failedKeys) expect((list.Contents ?? []).map((o) => o.Key)).not.toContain(key);
      } catch (err) {
        expect((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(503);
      }
    } finally {
      s3.destroy();
    }

    // The drives come back (drive 0 keeps whatever the failed writes left on it).
    await s.stop();
    await restoreDrives(s.drives, snapshot, [1, 2, 3]);
    await s.startAgain();
    const check = async () => {
      const keys = await listAllKeys(s.client(), bucket);
      expect(keys.sort()).toEqual(objects.map((o) => o.key).sort());
      await expectStatus(
        s.client().send(new HeadObjectCommand({ Bucket: bucket, Key: 'during/small 😀' })),
        404,
      );
      await expectStatus(s.client().send(new GetObjectCommand({ Bucket: bucket, Key: 'during/big' })), 404);
      await verifyFixture(s.client(), bucket, objects);
    };
    await check();
    const report = await adminHeal(s);
    expect(report.objectsFailed).toBe(0);
    await check();
  });
});
