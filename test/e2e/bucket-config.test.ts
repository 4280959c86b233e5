import {
  DeleteBucketEncryptionCommand,
  DeleteBucketLifecycleCommand,
  DeleteBucketPolicyCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  type LifecycleRule,
  PutBucketAclCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createBucket, expectS3Error, put } from '../helpers/s3.js';
import { KMS_SECRET } from '../helpers/sse.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

describe('bucket policy', () => {
  const server = useStrataServer();

  it('stores the document verbatim, reports public status, and deletes it', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cfg-policy');
    await createBucket(s3, bucket);
    await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: bucket })), 'NoSuchBucketPolicy', 404);
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(
      false,
    );
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 's3:GetObject',
          Resource: [`arn:aws:s3:::${bucket}/*`],
        },
      ],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(policy);
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(
      true,
    );

    const conditioned = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: ['s3:GetObject'],
          Resource: `arn:aws:s3:::${bucket}/*`,
          Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        },
      ],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: conditioned }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(
      false,
    );

    const del = await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    // A public ACL makes the bucket public too (as radosgw; AWS reports the policy alone).
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(
      true,
    );
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' }));
    await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: bucket })), 'NoSuchBucketPolicy', 404);
  });

  it('rejects malformed policies with MalformedPolicy and does not enforce stored ones', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cfg-policy-bad');
    await createBucket(s3, bucket);
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ Version: '2012-10-17' }),
      JSON.stringify({ Statement: [{ Effect: 'Maybe', Principal: '*', Action: 's3:*', Resource: '*' }] }),
      JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ec2:Run', Resource: '*' }] }),
      JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*' }] }),
      JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }],
        Pad: 'x'.repeat(21 * 1024),
      }),
    ]) {
      await expectS3Error(
        s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: bad })),
        'MalformedPolicy',
        400,
      );
    }
    // A Deny-all policy is stored, not enforced (enforcement comes with IAM).
    const denyAll = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${bucket}/*`] }],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: denyAll }));
    await put(s3, bucket, 'still-writable', 'x');
  });
});

describe('bucket encryption', () => {
  const server = useStrataServer({ env: { STRATA_KMS_SECRET_KEY: KMS_SECRET } });

  it('round-trips AES256 and aws:kms, rejects unknown algorithms, 404 when unset', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cfg-enc');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
      'ServerSideEncryptionConfigurationNotFoundError',
      404,
    );
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      }),
    );
    let got = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    expect(got.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    });
    // Applied to new objects (server/sse; test/e2e/sse-multipart-copy.test.ts covers every path).
    const written = await put(s3, bucket, 'plain', 'x');
    expect(written.ServerSideEncryption).toBe('AES256');

    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'my-key' },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
    got = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    expect(got.ServerSideEncryptionConfiguration?.Rules?.[0]).toEqual({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'my-key' },
      BucketKeyEnabled: true,
    });
    await expectS3Error(
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'DES' as 'AES256' } }],
          },
        }),
      ),
      'MalformedXML',
      400,
    );
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
    await expectS3Error(
      s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
      'ServerSideEncryptionConfigurationNotFoundError',
      404,
    );
  });
});

describe('bucket lifecycle configuration', () => {
  const server = useStrataServer();

  it('round-trips every action type and names rules without an ID', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cfg-lc');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })),
      'NoSuchLifecycleConfiguration',
      404,
    );
    const rules: LifecycleRule[] = [
      { ID: 'expire', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
      {
        ID: 'date',
        Status: 'Disabled',
        Filter: { Tag: { Key: 'class', Value: 'tmp' } },
        Expiration: { Date: new Date('2030-01-01T00:00:00Z') },
      },
      {
        ID: 'versions',
        Status: 'Enabled',
        Filter: { And: { Prefix: 'v/', Tags: [{ Key: 'a', Value: 'b' }], ObjectSizeGreaterThan: 10 } },
        NoncurrentVersionExpiration: { NoncurrentDays: 7, NewerNoncurrentVersions: 2 },
        NoncurrentVersionTransitions: [{ NoncurrentDays: 1, StorageClass: 'GLACIER' }],
        Transitions: [{ Days: 0, StorageClass: 'STANDARD_IA' }],
      },
      {
        ID: 'markers',
        Status: 'Enabled',
        Filter: {},
        Expiration: { ExpiredObjectDeleteMarker: true },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
      },
    ];
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: rules },
      }),
    );
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(got.Rules).toEqual(rules);

    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: [{ Status: 'Enabled', Prefix: 'old/', Expiration: { Days: 1 } }] },
      }),
    );
    const named = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(named.Rules?.[0]?.ID).toMatch(/.+/);
    expect(named.Rules?.[0]?.Prefix).toBe('old/');

    const del = await s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectS3Error(
      s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })),
      'NoSuchLifecycleConfiguration',
      404,
    );
  });

  it('rejects invalid rules with AWS codes', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cfg-lc-bad');
    await createBucket(s3, bucket);
    const putRules = (Rules: LifecycleRule[]) =>
      s3.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules } }),
      );
    await expectS3Error(
      putRules([{ ID: 'a'.repeat(256), Status: 'Enabled', Prefix: '', Expiration: { Days: 1 } }]),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      putRules([
        { ID: 'same', Status: 'Enabled', Prefix: 'a', Expiration: { Days: 1 } },
        { ID: 'same', Status: 'Enabled', Prefix: 'b', Expiration: { Days: 2 } },
      ]),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      putRules([{ ID: 'r', Status: 'enabled' as 'Enabled', Prefix: '', Expiration: { Days: 1 } }]),
      'MalformedXML',
      400,
    );
    await expectS3Error(
      putRules([{ ID: 'r', Status: 'Enabled', Prefix: '', Expiration: { Days: 0 } }]),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      putRules([
        { ID: 'r', Status: 'Enabled', Prefix: '', Expiration: { Date: new Date('2030-01-01T12:00:00Z') } },
      ]),
      'InvalidArgument',
      400,
    );
    await expectS3Error(putRules([{ ID: 'r', Status: 'Enabled', Prefix: '' }]), 'InvalidRequest', 400);
    await expectS3Error(
      putRules(
        Array.from({ length: 1001 }, (_, i) => ({
          ID: `r${i}`,
          Status: 'Enabled',
          Prefix: `${i}/`,
          Expiration: { Days: 1 },
        })),
      ),
      'MalformedXML',
      400,
    );
  });
});
