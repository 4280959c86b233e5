import { request as httpRequest } from 'node:http';
import {
  CreateBucketCommand,
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  HeadObjectCommand,
  PutBucketWebsiteCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bytesFor } from '../helpers/data.js';
import {
  encodeKey,
  parseXmlError,
  type RawResponse,
  sendRaw,
  signedRequest,
  signHeaders,
  xmlValues,
} from '../helpers/raw-request.js';
import { createBucket, expectS3Error, getBytes, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

/**
 * A PUT that waits for 100 Continue before sending its body (as botocore and curl do),
 * so a final response that comes first is seen without the body ever being sent.
 */
function putExpectingContinue(
  endpoint: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ continued: boolean; status: number; code: string | undefined }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = httpRequest({
      host: url.hostname,
      port: Number(url.port),
      method: 'PUT',
      path,
      headers,
      agent: false,
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({
          continued,
          status: res.statusCode ?? 0,
          code: text === '' ? undefined : parseXmlError(text).code,
        });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

function expectXmlError(r: RawResponse, code: string, status: number, resource?: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers['content-type'] ?? '').toMatch(/xml/);
  const e = parseXmlError(r.text);
  expect(r.text).toMatch(/^(<\?xml[^>]*\?>\s*)?<Error>/);
  expect(e.code).toBe(code);
  expect(e.message).toBeTruthy();
  expect(e.requestId).toBe(r.headers['x-amz-request-id']);
  if (resource !== undefined) expect(e.resource).toBe(resource);
  else expect(e.resource).toBeTruthy();
}

describe('protocol', () => {
  const server = useStrataServer();

  it('every response carries a unique x-amz-request-id: success, 404, 304, 412, 403, HEAD', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('reqid');
    await createBucket(s3, bucket);
    const etag = (await put(s3, bucket, 'k', 'v')).ETag ?? '';
    const ep = server().endpoint;
    const responses = [
      await signedRequest(ep, { method: 'GET', path: '/' }),
      await signedRequest(ep, { method: 'GET', path: `/${bucket}/k` }),
      await signedRequest(ep, { method: 'HEAD', path: `/${bucket}/k` }),
      await signedRequest(ep, { method: 'HEAD', path: `/${bucket}/missing` }),
      await signedRequest(ep, { method: 'GET', path: `/${bucket}/missing` }),
      await signedRequest(ep, { method: 'GET', path: `/${bucket}/k`, headers: { 'if-none-match': etag } }),
      await signedRequest(ep, { method: 'GET', path: `/${bucket}/k`, headers: { 'if-match': '"x"' } }),
      await sendRaw(ep, { method: 'GET', path: `/${bucket}/k` }),
      await signedRequest(ep, { method: 'PUT', path: `/${bucket}/new`, body: 'x' }),
      await signedRequest(ep, { method: 'DELETE', path: `/${bucket}/new` }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 404, 404, 304, 412, 403, 200, 204]);
    const ids = responses.map((r) => r.headers['x-amz-request-id']);
    for (const id of ids) expect(typeof id === 'string' && id.length > 0).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('errors are S3 XML documents with Code, Message, Resource and RequestId', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('xmlerr');
    await createBucket(s3, bucket);
    const ep = server().endpoint;
    expectXmlError(
      await signedRequest(ep, { method: 'GET', path: `/${bucket}/no%20such` }),
      'NoSuchKey',
      404,
    );
    expectXmlError(
      await signedRequest(ep, { method: 'GET', path: '/no-such-bucket-xyz/k' }),
      'NoSuchBucket',
      404,
    );
    const range = await signedRequest(ep, { method: 'PUT', path: `/${bucket}/r`, body: 'abc' });
    expect(range.status).toBe(200);
    expectXmlError(
      await signedRequest(ep, { method: 'GET', path: `/${bucket}/r`, headers: { range: 'bytes=10-20' } }),
      'InvalidRange',
      416,
    );
    expectXmlError(await sendRaw(ep, { method: 'GET', path: `/${bucket}` }), 'AccessDenied', 403);
    // Internal details stay out of the message.
    const e = await signedRequest(ep, { method: 'GET', path: `/${bucket}/no%20such` });
    expect(e.text).not.toMatch(/at \w+ \(|node:internal|\/work\/|Error:/);
  });

  it('a HEAD error has a status and request id but no body', async () => {
    const bucket = uniqueBucketName('headerr');
    await createBucket(server().client(), bucket);
    const r = await signedRequest(server().endpoint, { method: 'HEAD', path: `/${bucket}/missing` });
    expect(r.status).toBe(404);
    expect(r.body.length).toBe(0);
    expect(r.headers['x-amz-request-id']).toBeTruthy();
  });

  it('operations not built yet answer 501 NotImplemented with an XML error', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('notimpl');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket })),
      'NotImplemented',
      501,
    );
    await expectS3Error(
      s3.send(
        new PutBucketWebsiteCommand({
          Bucket: bucket,
          WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } },
        }),
      ),
      'NotImplemented',
      501,
    );
    const raw = await signedRequest(server().endpoint, {
      method: 'GET',
      path: `/${bucket}`,
      query: { notification: '' },
    });
    expectXmlError(raw, 'NotImplemented', 501);
  });

  it('Expect: 100-continue is answered after authentication: 100 then 200 signed, only 403 unsigned', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('continue');
    await createBucket(s3, bucket);
    const ep = server().endpoint;
    const body = 'sent after 100 Continue';
    const path = `/${bucket}/k`;
    const signed = await signHeaders(ep, {
      method: 'PUT',
      path,
      headers: { expect: '100-continue', 'content-length': String(body.length) },
      body,
    });
    expect(await putExpectingContinue(ep, path, signed, body)).toMatchObject({
      continued: true,
      status: 200,
    });
    expect((await getBytes(s3, bucket, 'k')).toString()).toBe(body);

    const anonymous = await putExpectingContinue(
      ep,
      `/${bucket}/anonymous`,
      { expect: '100-continue', 'content-length': String(body.length) },
      body,
    );
    expect(anonymous).toMatchObject({ continued: false, status: 403, code: 'AccessDenied' });
  });

  it('object keys are resolved from the raw path: encoded slashes, dot segments and query-like characters stay in the key', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('rawpath');
    await createBucket(s3, bucket);
    const ep = server().endpoint;
    const keys = ['a%2Fb', 'q?x=1', 'hash#frag', 'sp ace', '&amp;'];
    for (const key of keys) {
      const r = await signedRequest(ep, { method: 'PUT', path: `/${bucket}/${encodeKey(key)}`, body: key });
      expect(r.status, r.text).toBe(200);
    }
    for (const key of keys) expect((await getBytes(s3, bucket, key)).toString()).toBe(key);
  });
});

describe('virtual-host addressing and region', () => {
  const server = useStrataServer({ env: { STRATA_DOMAIN: 's3.local', STRATA_REGION: 'eu-central-1' } });

  it('bucket.<domain> Host headers address the bucket; path style keeps working', async () => {
    const ep = server().endpoint;
    const port = server().port;
    const bucket = uniqueBucketName('vhost');
    const host = `${bucket}.s3.local:${port}`;
    const opts = { host, region: 'eu-central-1' };
    // Outside us-east-1 a bucket needs its LocationConstraint (as on AWS).
    const create = await signedRequest(
      ep,
      {
        method: 'PUT',
        path: '/',
        body: '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-central-1</LocationConstraint></CreateBucketConfiguration>',
      },
      opts,
    );
    expect(create.status, create.text).toBe(200);

    const key = 'v/😀 %2F + key';
    const data = bytesFor(300_000, 'vhost');
    const putRes = await signedRequest(ep, { method: 'PUT', path: `/${encodeKey(key)}`, body: data }, opts);
    expect(putRes.status, putRes.text).toBe(200);
    const getRes = await signedRequest(ep, { method: 'GET', path: `/${encodeKey(key)}` }, opts);
    expect(getRes.status).toBe(200);
    expect(getRes.body.equals(data)).toBe(true);

    const list = await signedRequest(ep, { method: 'GET', path: '/', query: { 'list-type': '2' } }, opts);
    expect(list.status, list.text).toBe(200);
    expect(xmlValues(list.text, 'Name')).toEqual([bucket]);
    expect(xmlValues(list.text, 'Key')).toEqual([key]);

    // The same object through path style and the SDK.
    const s3 = server().client();
    expect((await getBytes(s3, bucket, key)).equals(data)).toBe(true);
    const missing = await signedRequest(ep, { method: 'GET', path: '/missing' }, opts);
    expect(missing.status).toBe(404);
    expect(parseXmlError(missing.text).code).toBe('NoSuchKey');
  });

  it('a server in another region reports it as the bucket location', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('region');
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' },
      }),
    );
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
    expect(loc.LocationConstraint).toBe('eu-central-1');
    // Outside us-east-1, creating a bucket you already own is an error, as on AWS.
    await expectS3Error(
      s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' },
        }),
      ),
      'BucketAlreadyOwnedByYou',
      409,
    );
    await put(s3, bucket, 'k', 'v');
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }))).ContentLength).toBe(1);
  });

  it('a request signed for another region fails with 400 AuthorizationHeaderMalformed, as AWS does', async () => {
    const r = await signedRequest(server().endpoint, { method: 'GET', path: '/' }, { region: 'us-west-2' });
    expect(r.status, r.text).toBe(400);
    expect(parseXmlError(r.text).code).toBe('AuthorizationHeaderMalformed');
  });
});
