import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { signedRequest } from '../helpers/raw-request.js';
import { createBucket, expectS3Error } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

// STRATA_EXTRA_USERS: interim static key pairs (the compatibility suite's alt and tenant
// users) until IAM users exist. They sign S3 requests; they are not root.
const ALT = { accessKeyId: 'strata-test-alt', secretAccessKey: 'strata-test-alt-secret-0123' };

describe('extra static users (STRATA_EXTRA_USERS)', () => {
  const server = useStrataServer({
    env: { STRATA_EXTRA_USERS: `${ALT.accessKeyId}:${ALT.secretAccessKey}` },
  });

  it('an extra user signs S3 requests with its own key pair', async () => {
    const alt = server().newClient({ credentials: ALT });
    try {
      const bucket = uniqueBucketName('alt');
      await createBucket(alt, bucket);
      await alt.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'from alt' }));
      const got = await server()
        .client()
        .send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
      expect(await got.Body?.transformToString()).toBe('from alt');
    } finally {
      alt.destroy();
    }
  });

  it('a wrong secret for an extra user is SignatureDoesNotMatch', async () => {
    const alt = server().newClient({ credentials: { ...ALT, secretAccessKey: 'not-the-secret-0123' } });
    try {
      await expectS3Error(
        alt.send(new PutObjectCommand({ Bucket: 'whatever', Key: 'k', Body: 'x' })),
        'SignatureDoesNotMatch',
        403,
      );
    } finally {
      alt.destroy();
    }
  });

  it('an extra user is not root: the admin API refuses it', async () => {
    const r = await signedRequest(
      server().endpoint,
      { method: 'POST', path: '/_strata/admin/v1/heal' },
      { region: server().region, accessKeyId: ALT.accessKeyId, secretAccessKey: ALT.secretAccessKey },
    );
    expect(r.status, r.text).toBe(403);
    expect(r.text).toContain('AccessDenied');
  });
});
