import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  PutBucketAclCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createBucket, expectS3Error, getBytes, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

/** An unsigned request, as a browser or `curl` without credentials sends it. */
async function anonymous(
  endpoint: string,
  method: string,
  path: string,
  init: { body?: string | FormData; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; code: string | undefined }> {
  const res = await fetch(`${endpoint}${path}`, { method, ...init });
  const body = await res.text();
  return { status: res.status, body, code: /<Code>([^<]*)<\/Code>/.exec(body)?.[1] };
}

describe('ACLs', () => {
  const server = useStrataServer();

  it('a new bucket or object is private: the owner with FULL_CONTROL', async () => {
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

  it('canned ACLs, grant headers and policy bodies are stored and read back on buckets and objects', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('acl-put');
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read-write' }));
    const bucketAcl = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    expect(bucketAcl.Grants?.map((g) => [g.Grantee?.Type, g.Grantee?.URI, g.Permission])).toEqual([
      ['Group', ALL_USERS, 'READ'],
      ['Group', ALL_USERS, 'WRITE'],
      ['CanonicalUser', undefined, 'FULL_CONTROL'],
    ]);

    await s3.send(new PutBucketAclCommand({ Bucket: bucket, GrantRead: `uri="${ALL_USERS}"` }));
    expect((await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants).toEqual([
      { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
    ]);
    // Back to private with the document GetBucketAcl returns for a private bucket.
    await s3.send(
      new PutBucketAclCommand({
        Bucket: bucket,
        AccessControlPolicy: {
          Owner: bucketAcl.Owner,
          Grants: bucketAcl.Grants?.filter((g) => g.Grantee?.Type === 'CanonicalUser'),
        },
      }),
    );
    expect((await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants).toHaveLength(1);

    await put(s3, bucket, 'k', 'x', { ACL: 'public-read' });
    const objectGrants = async (key: string, versionId?: string) =>
      (
        await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: key, VersionId: versionId }))
      ).Grants?.map((g) => `${g.Grantee?.URI ?? 'owner'}:${g.Permission}`);
    expect(await objectGrants('k')).toEqual([`${ALL_USERS}:READ`, 'owner:FULL_CONTROL']);
    await s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'k', ACL: 'private' }));
    expect(await objectGrants('k')).toEqual(['owner:FULL_CONTROL']);

    // A copy starts private unless the request names an ACL; the source's is not copied.
    await s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'k', ACL: 'public-read' }));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/k` }));
    expect(await objectGrants('copy')).toEqual(['owner:FULL_CONTROL']);
    await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'copy2', CopySource: `${bucket}/k`, ACL: 'public-read' }),
    );
    expect(await objectGrants('copy2')).toEqual([`${ALL_USERS}:READ`, 'owner:FULL_CONTROL']);

    // A multipart upload's ACL is the completed object's.
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp', ACL: 'public-read' }),
    );
    const part = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: 'mp', UploadId, PartNumber: 1, Body: 'part' }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect(await objectGrants('mp')).toEqual([`${ALL_USERS}:READ`, 'owner:FULL_CONTROL']);

    // Each version has its own ACL.
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const v1 = (await put(s3, bucket, 'v', '1', { ACL: 'public-read' })).VersionId;
    await put(s3, bucket, 'v', '2');
    expect(await objectGrants('v')).toEqual(['owner:FULL_CONTROL']);
    expect(await objectGrants('v', v1)).toEqual([`${ALL_USERS}:READ`, 'owner:FULL_CONTROL']);
  });

  it('refuses unknown grantees and bad ACLs with S3 errors and changes nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('acl-bad');
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read' }));
    await put(s3, bucket, 'k', 'x');
    const before = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    await expectS3Error(
      s3.send(new PutBucketAclCommand({ Bucket: bucket, GrantRead: 'id="not-a-user"' })),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      s3.send(new PutBucketAclCommand({ Bucket: bucket, GrantRead: 'emailAddress="nobody@example.com"' })),
      'UnresolvableGrantByEmailAddress',
      400,
    );
    await expectS3Error(
      s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'k', ACL: 'world-writable' as 'private' })),
      'InvalidArgument',
      400,
    );
    await expectS3Error(
      put(s3, bucket, 'new', 'x', { GrantRead: 'id="not-a-user"' }),
      'InvalidArgument',
      400,
    );
    await expectS3Error(s3.send(new PutBucketAclCommand({ Bucket: bucket })), 'MissingSecurityHeader', 400);
    expect((await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants).toEqual(before.Grants);
    await expectS3Error(getBytes(s3, bucket, 'new'), 'NoSuchKey', 404);
  });

  it('re-creating an own bucket with another ACL is BucketAlreadyExists; with the same one it is 200', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('acl-recreate');
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read' }));
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read' }));
    await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: bucket })), 'BucketAlreadyExists', 409);
    expect((await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants).toHaveLength(2);
  });
});

describe('anonymous requests follow the AllUsers grants', () => {
  const server = useStrataServer();

  it('a private bucket refuses every unsigned request; a missing bucket is 404', async () => {
    const s3 = server().client();
    const { endpoint } = server();
    const bucket = uniqueBucketName('anon-private');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'secret');
    for (const [method, path] of [
      ['GET', `/${bucket}/k`],
      ['HEAD', `/${bucket}/k`],
      ['GET', `/${bucket}`],
      ['GET', `/${bucket}?acl`],
      ['PUT', `/${bucket}/k`],
      ['DELETE', `/${bucket}/k`],
      ['GET', '/'],
    ] as const) {
      expect({ method, path, status: (await anonymous(endpoint, method, path)).status }).toEqual({
        method,
        path,
        status: 403,
      });
    }
    expect((await anonymous(endpoint, 'GET', `/${bucket}/k`)).code).toBe('AccessDenied');
    expect(await getBytes(s3, bucket, 'k')).toEqual(Buffer.from('secret'));
    const missing = await anonymous(endpoint, 'GET', `/${uniqueBucketName('nope')}/k`);
    expect([missing.status, missing.code]).toEqual([404, 'NoSuchBucket']);
  });

  it('public-read lists the bucket and reads public-read objects only', async () => {
    const s3 = server().client();
    const { endpoint } = server();
    const bucket = uniqueBucketName('anon-read');
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read' }));
    await put(s3, bucket, 'open 😀', 'hello', { ACL: 'public-read' });
    await put(s3, bucket, 'closed', 'secret');
    const key = encodeURIComponent('open 😀');

    const listing = await anonymous(endpoint, 'GET', `/${bucket}?list-type=2`);
    expect(listing.status).toBe(200);
    expect(listing.body).toContain('<Key>closed</Key>');
    expect(await anonymous(endpoint, 'GET', `/${bucket}/${key}`)).toMatchObject({
      status: 200,
      body: 'hello',
    });
    expect((await anonymous(endpoint, 'HEAD', `/${bucket}/${key}`)).status).toBe(200);
    expect(await anonymous(endpoint, 'GET', `/${bucket}/closed`)).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
    // Listing is allowed, so a missing key is 404, as S3.
    expect(await anonymous(endpoint, 'GET', `/${bucket}/missing`)).toMatchObject({
      status: 404,
      code: 'NoSuchKey',
    });
    // READ is not WRITE and not READ_ACP.
    const write = await anonymous(endpoint, 'PUT', `/${bucket}/new`, { body: 'x' });
    expect([write.status, write.code]).toEqual([403, 'AccessDenied']);
    await expectS3Error(getBytes(s3, bucket, 'new'), 'NoSuchKey', 404);
    expect((await anonymous(endpoint, 'GET', `/${bucket}?acl`)).status).toBe(403);
    expect((await anonymous(endpoint, 'GET', `/${bucket}/${key}?acl`)).status).toBe(403);

    // Making the bucket private again closes the listing at once.
    await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' }));
    expect((await anonymous(endpoint, 'GET', `/${bucket}?list-type=2`)).status).toBe(403);
    expect((await anonymous(endpoint, 'GET', `/${bucket}/missing`)).status).toBe(403);
    // The object's own grant still lets anyone read it.
    expect((await anonymous(endpoint, 'GET', `/${bucket}/${key}`)).status).toBe(200);
  });

  it('public-read-write takes unsigned PUT, DELETE and POST uploads; deleting a version stays the owner’s', async () => {
    const s3 = server().client();
    const { endpoint } = server();
    const bucket = uniqueBucketName('anon-write');
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read-write' }));

    expect((await anonymous(endpoint, 'PUT', `/${bucket}/dropped`, { body: 'from a stranger' })).status).toBe(
      200,
    );
    expect(await getBytes(s3, bucket, 'dropped')).toEqual(Buffer.from('from a stranger'));
    // The uploader did not make it public: the object is private.
    expect((await anonymous(endpoint, 'GET', `/${bucket}/dropped`)).status).toBe(403);

    const form = new FormData();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal ${filename} variable.
    form.append('key', 'posted/${filename}');
    form.append('acl', 'public-read');
    form.append('Content-Type', 'text/plain');
    form.append('file', new Blob(['via form']), 'note.txt');
    expect((await anonymous(endpoint, 'POST', `/${bucket}`, { body: form })).status).toBe(204);
    expect(await anonymous(endpoint, 'GET', `/${bucket}/posted/note.txt`)).toMatchObject({
      status: 200,
      body: 'via form',
    });

    expect((await anonymous(endpoint, 'DELETE', `/${bucket}/dropped`)).status).toBe(204);
    await expectS3Error(getBytes(s3, bucket, 'dropped'), 'NoSuchKey', 404);

    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const { VersionId } = await put(s3, bucket, 'versioned', 'v1');
    const denied = await anonymous(endpoint, 'DELETE', `/${bucket}/versioned?versionId=${VersionId}`);
    expect(denied.status).toBe(403);
    expect(await getBytes(s3, bucket, 'versioned')).toEqual(Buffer.from('v1'));
  });

  it('an unsigned POST form into a bucket without AllUsers WRITE is AccessDenied and stores nothing', async () => {
    const s3 = server().client();
    const { endpoint } = server();
    const bucket = uniqueBucketName('anon-post');
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read' }));
    const form = new FormData();
    form.append('key', 'k');
    form.append('file', new Blob(['x']), 'x');
    const res = await anonymous(endpoint, 'POST', `/${bucket}`, { body: form });
    expect([res.status, res.code]).toEqual([403, 'AccessDenied']);
    await expectS3Error(getBytes(s3, bucket, 'k'), 'NoSuchKey', 404);
  });
});
