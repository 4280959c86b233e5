import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { encodeKey, signedRequest } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const DAY_MS = 24 * 3600 * 1000;

async function lockedBucket(s3: S3Client, label: string): Promise<string> {
  const bucket = uniqueBucketName(label);
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  return bucket;
}

function future(days: number): Date {
  // Whole seconds: the wire format keeps milliseconds, but comparisons stay simple.
  return new Date(Math.floor((Date.now() + days * DAY_MS) / 1000) * 1000);
}

describe('object lock configuration', () => {
  const server = useStrataServer();

  it('a bucket created with object lock is versioned and reports its default retention', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-cfg');
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    const empty = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    expect(empty.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
    for (const DefaultRetention of [
      { Mode: 'GOVERNANCE' as const, Days: 1 },
      { Mode: 'COMPLIANCE' as const, Years: 2 },
    ]) {
      const conf = { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention } };
      await s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: conf }));
      const got = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      expect(got.ObjectLockConfiguration).toEqual(conf);
    }
    await expectS3Error(
      s3.send(
        new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }),
      ),
      'InvalidBucketState',
      409,
    );
  });

  it('rejects invalid configurations with AWS codes', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-bad');
    const put = (conf: unknown) =>
      s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket: bucket,
          ObjectLockConfiguration: conf as never,
        }),
      );
    await expectS3Error(
      put({
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1, Years: 1 } },
      }),
      'MalformedXML',
      400,
    );
    await expectS3Error(
      put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 0 } } }),
      'InvalidRetentionPeriod',
      400,
    );
    await expectS3Error(
      put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'governance', Years: 1 } } }),
      'MalformedXML',
      400,
    );
    await expectS3Error(
      put({ ObjectLockEnabled: 'Disabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Years: 1 } } }),
      'MalformedXML',
      400,
    );
  });

  it('a plain bucket has no lock until versioning is Enabled, then can get one', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('lock-late');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })),
      'ObjectLockConfigurationNotFoundError',
      404,
    );
    const conf = {
      ObjectLockEnabled: 'Enabled' as const,
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE' as const, Days: 1 } },
    };
    await expectS3Error(
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: conf })),
      'InvalidBucketState',
      409,
    );
    await put(s3, bucket, 'k', 'x');
    await expectS3Error(
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: bucket,
          Key: 'k',
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(1) },
        }),
      ),
      'InvalidRequest',
      400,
    );
    await expectS3Error(
      s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: 'k' })),
      'InvalidRequest',
      400,
    );
    await expectS3Error(
      put(s3, bucket, 'k2', 'x', { ObjectLockLegalHoldStatus: 'ON' }),
      'InvalidRequest',
      400,
    );
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: conf }));
    expect(
      (await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).ObjectLockConfiguration,
    ).toEqual(conf);
    await expectS3Error(
      s3.send(
        new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }),
      ),
      'InvalidBucketState',
      409,
    );
  });
});

describe('object lock enforcement', () => {
  const server = useStrataServer();

  it('GOVERNANCE retention blocks deleting the version unless bypassed; a delete without id adds a marker', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-gov');
    const key = 'kept 😀 %2F';
    const v = (await put(s3, bucket, key, 'data')).VersionId ?? '';
    const until = future(30);
    await s3.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: key,
        Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until },
      }),
    );
    const got = await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key }));
    expect(got.Retention).toEqual({ Mode: 'GOVERNANCE', RetainUntilDate: until });

    const marker = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    expect(marker.DeleteMarker).toBe(true);
    await expectS3Error(
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v })),
      'AccessDenied',
      403,
    );
    // The marker itself is not protected.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: marker.VersionId }));
    await expectS3Error(
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v })),
      'AccessDenied',
      403,
    );
    const r = await s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v, BypassGovernanceRetention: true }),
    );
    expect(r.VersionId).toBe(v);
    await expectS3Error(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: v })),
      'NotFound',
      404,
    );
  });

  it('retention changes: extend freely, shorten or change GOVERNANCE only with bypass, COMPLIANCE never', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-change');
    await put(s3, bucket, 'k', 'x');
    const retention = (Mode: 'GOVERNANCE' | 'COMPLIANCE', days: number, bypass = false) =>
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: bucket,
          Key: 'k',
          Retention: { Mode, RetainUntilDate: future(days) },
          BypassGovernanceRetention: bypass || undefined,
        }),
      );
    await retention('GOVERNANCE', 10);
    await retention('GOVERNANCE', 20);
    await expectS3Error(retention('GOVERNANCE', 5), 'AccessDenied', 403);
    await expectS3Error(retention('COMPLIANCE', 30), 'AccessDenied', 403);
    await retention('GOVERNANCE', 5, true);
    await retention('COMPLIANCE', 6, true);
    await retention('COMPLIANCE', 7);
    await expectS3Error(retention('COMPLIANCE', 6, true), 'AccessDenied', 403);
    await expectS3Error(retention('GOVERNANCE', 30, true), 'AccessDenied', 403);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    await expectS3Error(
      s3.send(
        new DeleteObjectCommand({
          Bucket: bucket,
          Key: 'k',
          VersionId: head.VersionId,
          BypassGovernanceRetention: true,
        }),
      ),
      'AccessDenied',
      403,
    );
  });

  it('legal hold ON blocks deletes even with bypass; OFF allows them', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-hold');
    const v = (await put(s3, bucket, 'k', 'x')).VersionId ?? '';
    await expectS3Error(
      s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: 'k' })),
      'NoSuchObjectLockConfiguration',
      404,
    );
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: 'k', LegalHold: { Status: 'ON' } }));
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: 'k' }))).LegalHold).toEqual({
      Status: 'ON',
    });
    await expectS3Error(
      s3.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: 'k', VersionId: v, BypassGovernanceRetention: true }),
      ),
      'AccessDenied',
      403,
    );
    await expectS3Error(
      s3.send(
        new PutObjectLegalHoldCommand({ Bucket: bucket, Key: 'k', LegalHold: { Status: 'maybe' as 'ON' } }),
      ),
      'MalformedXML',
      400,
    );
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: 'k', LegalHold: { Status: 'OFF' } }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k', VersionId: v }));
  });

  it('PutObject lock headers and the default retention are stored with the new version', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-put');
    const until = future(3);
    const explicit = await put(s3, bucket, 'explicit', 'x', {
      ObjectLockMode: 'GOVERNANCE',
      ObjectLockRetainUntilDate: until,
      ObjectLockLegalHoldStatus: 'ON',
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'explicit' }));
    expect(head.VersionId).toBe(explicit.VersionId);
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    expect(head.ObjectLockRetainUntilDate).toEqual(until);
    expect(head.ObjectLockLegalHoldStatus).toBe('ON');

    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2 } },
        },
      }),
    );
    const before = Date.now();
    await put(s3, bucket, 'defaulted', 'y');
    const d = await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: 'defaulted' }));
    expect(d.Retention?.Mode).toBe('COMPLIANCE');
    const ms = (d.Retention?.RetainUntilDate?.getTime() ?? 0) - before;
    expect(ms).toBeGreaterThan(2 * DAY_MS - 60_000);
    expect(ms).toBeLessThan(2 * DAY_MS + 60_000);

    // A copy gets the destination's default retention, not the source's legal hold.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/explicit` }));
    const c = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy' }));
    expect(c.ObjectLockLegalHoldStatus).toBeUndefined();
    expect(c.ObjectLockMode).toBe('COMPLIANCE');
  });

  it('PutObject lock headers are validated and need Content-MD5 or a checksum', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-hdr');
    await expectS3Error(put(s3, bucket, 'k', 'x', { ObjectLockMode: 'GOVERNANCE' }), 'InvalidArgument', 400);
    await expectS3Error(
      put(s3, bucket, 'k', 'x', {
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: new Date(Date.now() - DAY_MS),
      }),
      'InvalidArgument',
      400,
    );
    const raw = await signedRequest(server().endpoint, {
      method: 'PUT',
      path: `/${bucket}/${encodeKey('raw')}`,
      headers: { 'x-amz-object-lock-legal-hold': 'ON' },
      body: 'no digest',
    });
    expect(raw.status).toBe(400);
    expect(raw.text).toContain('InvalidRequest');
  });

  it('DeleteObjects reports AccessDenied per locked version and deletes it with bypass', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-multi');
    const v1 = (await put(s3, bucket, 'one', 'x')).VersionId ?? '';
    const v2 = (await put(s3, bucket, 'two', 'x')).VersionId ?? '';
    await s3.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: 'one',
        Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(1) },
      }),
    );
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: {
          Objects: [
            { Key: 'one', VersionId: v1 },
            { Key: 'two', VersionId: v2 },
          ],
        },
      }),
    );
    expect(r.Errors).toEqual([expect.objectContaining({ Key: 'one', VersionId: v1, Code: 'AccessDenied' })]);
    expect(r.Deleted).toEqual([expect.objectContaining({ Key: 'two', VersionId: v2 })]);
    const again = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        BypassGovernanceRetention: true,
        Delete: { Objects: [{ Key: 'one', VersionId: v1 }] },
      }),
    );
    expect(again.Errors ?? []).toEqual([]);
    expect(again.Deleted).toEqual([expect.objectContaining({ Key: 'one', VersionId: v1 })]);
  });

  it('concurrent deletes and a retention change never delete a version that ends up protected', async () => {
    const s3 = server().client();
    const bucket = await lockedBucket(s3, 'lock-race');
    const v = (await put(s3, bucket, 'k', 'x')).VersionId ?? '';
    const results = await Promise.allSettled([
      s3.send(
        new PutObjectLegalHoldCommand({
          Bucket: bucket,
          Key: 'k',
          VersionId: v,
          LegalHold: { Status: 'ON' },
        }),
      ),
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k', VersionId: v })),
    ]);
    const [hold, del] = results;
    if (del?.status === 'fulfilled') {
      // The delete won: the hold then found no version.
      expect(hold?.status).toBe('rejected');
    } else {
      expect(hold?.status).toBe('fulfilled');
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k', VersionId: v }));
      expect(h.ObjectLockLegalHoldStatus).toBe('ON');
    }
  });
});
