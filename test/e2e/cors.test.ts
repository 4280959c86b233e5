import {
  type CORSRule,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { encodeKey, parseXmlError, sendRaw, signedRequest } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

describe('CORS', () => {
  const server = useStrataServer();

  const RULES: CORSRule[] = [
    {
      ID: 'app',
      AllowedOrigins: ['https://app.example', 'https://*.app.example'],
      AllowedMethods: ['GET', 'PUT'],
      AllowedHeaders: ['content-type', 'x-amz-*'],
      ExposeHeaders: ['ETag', 'x-amz-request-id'],
      MaxAgeSeconds: 600,
    },
    { AllowedOrigins: ['*'], AllowedMethods: ['HEAD'] },
  ];

  async function bucketWithCors(label: string, rules: CORSRule[] = RULES): Promise<string> {
    const s3 = server().client();
    const bucket = uniqueBucketName(label);
    await createBucket(s3, bucket);
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: rules } }));
    return bucket;
  }

  function options(path: string, headers: Record<string, string>) {
    return sendRaw(server().endpoint, { method: 'OPTIONS', path, headers });
  }

  it('Put/Get/DeleteBucketCors round-trip through the SDK', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cors-rt');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(new GetBucketCorsCommand({ Bucket: bucket })),
      'NoSuchCORSConfiguration',
      404,
    );

    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: RULES } }));
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    expect(got.CORSRules).toEqual(RULES);

    const del = await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectS3Error(
      s3.send(new GetBucketCorsCommand({ Bucket: bucket })),
      'NoSuchCORSConfiguration',
      404,
    );
    // Deleting again is fine, as on AWS.
    await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
  });

  it('refuses invalid configurations as AWS does and keeps the previous one', async () => {
    const s3 = server().client();
    const bucket = await bucketWithCors('cors-bad');
    const bad = (rule: CORSRule) =>
      s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [rule] } }));
    await expectS3Error(bad({ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }), 'InvalidRequest', 400);
    await expectS3Error(
      bad({ AllowedOrigins: ['*.*.example'], AllowedMethods: ['GET'] }),
      'InvalidRequest',
      400,
    );
    await expectS3Error(
      s3.send(
        new PutBucketCorsCommand({
          Bucket: bucket,
          CORSConfiguration: {
            CORSRules: Array.from({ length: 101 }, () => ({
              AllowedOrigins: ['*'],
              AllowedMethods: ['GET'],
            })),
          },
        }),
      ),
      'MalformedXML',
      400,
    );
    const raw = await signedRequest(server().endpoint, {
      method: 'PUT',
      path: `/${bucket}`,
      query: { cors: '' },
      headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' },
      body: '',
    });
    expect(raw.status, raw.text).toBe(400);
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules).toEqual(RULES);
    await expectS3Error(
      s3.send(new GetBucketCorsCommand({ Bucket: uniqueBucketName('cors-none') })),
      'NoSuchBucket',
      404,
    );
  });

  it('preflight matching a rule answers 200 with the rule headers', async () => {
    const bucket = await bucketWithCors('cors-pre');
    const res = await options(`/${bucket}/${encodeKey('dir/😀 key')}`, {
      origin: 'https://app.example',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'Content-Type, X-Amz-Date',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-allow-methods']).toBe('GET, PUT');
    expect(res.headers['access-control-allow-headers']).toBe('Content-Type, X-Amz-Date');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers['access-control-expose-headers']).toBe('ETag, x-amz-request-id');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toContain('Origin');
    expect(res.headers.vary).toContain('Access-Control-Request-Headers');

    const sub = await options(`/${bucket}`, {
      origin: 'https://eu.app.example',
      'access-control-request-method': 'GET',
    });
    expect(sub.status).toBe(200);
    expect(sub.headers['access-control-allow-origin']).toBe('https://eu.app.example');

    // A rule whose origin is exactly '*' answers '*'.
    const any = await options(`/${bucket}/k`, {
      origin: 'https://else.example',
      'access-control-request-method': 'HEAD',
    });
    expect(any.status).toBe(200);
    expect(any.headers['access-control-allow-origin']).toBe('*');
    expect(any.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each([
    ['an unknown origin', { origin: 'https://evil.example', 'access-control-request-method': 'GET' }],
    [
      'a method no matching rule allows',
      { origin: 'https://app.example', 'access-control-request-method': 'DELETE' },
    ],
    [
      'a header no rule allows',
      {
        origin: 'https://app.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization',
      },
    ],
  ])('preflight with %s is 403 AccessForbidden', async (_label, headers) => {
    const bucket = await bucketWithCors('cors-deny');
    const res = await options(`/${bucket}/k`, headers);
    expect(res.status, res.text).toBe(403);
    expect(parseXmlError(res.text)).toMatchObject({ code: 'AccessForbidden', message: NOT_ALLOWED });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('preflight without Origin or Access-Control-Request-Method is 400, without configuration 403', async () => {
    const bucket = await bucketWithCors('cors-400');
    const noOrigin = await options(`/${bucket}/k`, { 'access-control-request-method': 'GET' });
    expect(noOrigin.status).toBe(400);
    expect(parseXmlError(noOrigin.text).message).toBe(
      'Insufficient information. Origin request header needed.',
    );
    const noMethod = await options(`/${bucket}/k`, { origin: 'https://app.example' });
    expect(noMethod.status).toBe(400);

    const plain = uniqueBucketName('cors-none');
    await createBucket(server().client(), plain);
    const none = await options(`/${plain}/k`, {
      origin: 'https://app.example',
      'access-control-request-method': 'GET',
    });
    expect(none.status).toBe(403);
    expect(parseXmlError(none.text).code).toBe('AccessForbidden');
  });

  it('actual requests with a matching Origin get CORS headers, on errors too', async () => {
    const bucket = await bucketWithCors('cors-actual');
    await put(server().client(), bucket, 'obj', 'hello');
    const ep = server().endpoint;

    const ok = await signedRequest(ep, {
      method: 'GET',
      path: `/${bucket}/obj`,
      headers: { origin: 'https://app.example' },
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('hello');
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(ok.headers['access-control-expose-headers']).toBe('ETag, x-amz-request-id');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    expect(ok.headers.vary).toContain('Origin');

    const missing = await signedRequest(ep, {
      method: 'GET',
      path: `/${bucket}/missing`,
      headers: { origin: 'https://app.example' },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBe('https://app.example');

    const other = await signedRequest(ep, {
      method: 'GET',
      path: `/${bucket}/obj`,
      headers: { origin: 'https://evil.example' },
    });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    const noOrigin = await signedRequest(ep, { method: 'GET', path: `/${bucket}/obj` });
    expect(noOrigin.headers['access-control-allow-origin']).toBeUndefined();

    // DELETE is not allowed for this origin: no CORS headers, the request itself still runs.
    const del = await signedRequest(ep, {
      method: 'DELETE',
      path: `/${bucket}/obj`,
      headers: { origin: 'https://app.example' },
    });
    expect(del.status).toBe(204);
    expect(del.headers['access-control-allow-origin']).toBeUndefined();
  });
});
