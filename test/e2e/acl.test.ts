import {
  CreateBucketCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  PutBucketAclCommand,
  PutObjectAclCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createBucket, expectS3Error, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

describe('ACLs (single owner)', () => {
  const server = useStrataServer();

  it('reports the owner with FULL_CONTROL on buckets and objects', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('acl-get');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'obj 😀', 'x');
    for (const acl of [
      await s3.send(new GetBucketAclCommand({ Bucket: bucket })),
      await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'obj 😀' })),
    ]) {
      expect(acl.Owner?.ID).toBeTruthy();
      expect(acl.Grants).toEqual([
        {
          Grantee: { Type: 'CanonicalUser', ID: acl.Owner?.ID, DisplayName: acl.Owner?.DisplayName },
          Permission: 'FULL_CONTROL',
        },
      ]);
    }
    await expectS3Error(
      s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'missing' })),
      'NoSuchKey',
      404,
    );
    await expectS3Error(
      s3.send(new GetBucketAclCommand({ Bucket: uniqueBucketName('missing') })),
      'NoSuchBucket',
      404,
    );
  });

  it('accepts canned private (header or owner-only body) and refuses anything else with NotImplemented', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('acl-put');
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'private' }));
    await put(s3, bucket, 'k', 'x', { ACL: 'private' });
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' }));
    await s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'k', ACL: 'private' }));
    const current = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketAclCommand({
        Bucket: bucket,
        AccessControlPolicy: { Owner: current.Owner, Grants: current.Grants },
      }),
    );

    await expectS3Error(
      s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' })),
      'NotImplemented',
      501,
    );
    await expectS3Error(
      s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'k', ACL: 'public-read-write' })),
      'NotImplemented',
      501,
    );
    await expectS3Error(
      s3.send(
        new PutBucketAclCommand({
          Bucket: bucket,
          AccessControlPolicy: {
            Owner: current.Owner,
            Grants: [
              ...(current.Grants ?? []),
              {
                Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
                Permission: 'READ',
              },
            ],
          },
        }),
      ),
      'NotImplemented',
      501,
    );
    await expectS3Error(put(s3, bucket, 'public', 'x', { ACL: 'public-read' }), 'NotImplemented', 501);
    await expectS3Error(
      s3.send(new CreateBucketCommand({ Bucket: uniqueBucketName('acl-pub'), ACL: 'public-read' })),
      'NotImplemented',
      501,
    );
    await expectS3Error(
      put(s3, bucket, 'grant', 'x', { GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }),
      'NotImplemented',
      501,
    );
  });
});
