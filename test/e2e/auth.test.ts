import { crc32 } from 'node:zlib';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { bytesFor, md5Hex } from '../helpers/data.js';
import {
  encodeKey,
  parseXmlError,
  sendRaw,
  sha256Hex,
  signedRequest,
  streamingSignedPut,
} from '../helpers/raw-request.js';
import { createBucket, expectS3Error, expectStatus, getBytes, put } from '../helpers/s3.js';
import {
  ROOT_ACCESS_KEY,
  ROOT_SECRET_KEY,
  uniqueBucketName,
  useStrataServer,
} from '../helpers/strata-server.js';

function crc32Base64(data: Buffer): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(data) >>> 0);
  return b.toString('base64');
}

describe('authentication', () => {
  const server = useStrataServer();

  it('a session token (no STS yet) is InvalidToken, in a header or a presigned URL, and nothing is stored', async () => {
    const bucket = uniqueBucketName('token');
    await createBucket(server().client(), bucket);
    const withToken = server().newClient({
      credentials: {
        accessKeyId: ROOT_ACCESS_KEY,
        secretAccessKey: ROOT_SECRET_KEY,
        sessionToken: 'not-from-sts',
      },
    });
    try {
      await expectS3Error(put(withToken, bucket, 'k', 'v'), 'InvalidToken', 400);
      const url = await getSignedUrl(withToken, new GetObjectCommand({ Bucket: bucket, Key: 'k' }), {
        expiresIn: 60,
      });
      expect((await fetch(url)).status).toBe(400);
    } finally {
      withToken.destroy();
    }
    await expectS3Error(getBytes(server().client(), bucket, 'k'), 'NoSuchKey', 404);
  });

  it('presigned GET and PUT URLs work with plain fetch', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('presign');
    await createBucket(s3, bucket);
    const key = 'presigned/😀 %2F + key';
    const data = bytesFor(300_000, 'presigned');
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 600,
    });
    const putRes = await fetch(putUrl, { method: 'PUT', body: data });
    expect(putRes.status, await putRes.clone().text()).toBe(200);
    expect(putRes.headers.get('etag')).toBe(`"${md5Hex(data)}"`);
    expect((await getBytes(s3, bucket, key)).equals(data)).toBe(true);

    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 600,
    });
    const getRes = await fetch(getUrl);
    expect(getRes.status).toBe(200);
    expect(Buffer.from(await getRes.arrayBuffer()).equals(data)).toBe(true);
    expect(getRes.headers.get('x-amz-request-id')).toBeTruthy();
  });

  it('a presigned URL valid for 7 days is accepted', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('presign7d');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'week');
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'k' }), {
      expiresIn: 7 * 24 * 3600,
    });
    const r = await fetch(url);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('week');
  });

  it('an expired presigned URL is refused with 403 AccessDenied', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('expired');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'secret');
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'k' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 3600_000),
    });
    const r = await fetch(url);
    const text = await r.text();
    expect(r.status, text).toBe(403);
    expect(parseXmlError(text).code).toBe('AccessDenied');
    expect(text).not.toContain('secret</');
  });

  it('a presigned URL with X-Amz-Expires 0, negative or over a week is 403 AccessDenied (as ceph/s3-tests)', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('expires-range');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'secret');
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'new' }), {
      expiresIn: -1000,
    });
    expect(new URL(putUrl).searchParams.get('X-Amz-Expires')).toBe('-1000');
    const putRes = await fetch(putUrl, { method: 'PUT', body: 'x' });
    const putText = await putRes.text();
    expect([putRes.status, parseXmlError(putText).code], putText).toEqual([403, 'AccessDenied']);
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'new' })), 404);

    // The SDK refuses to sign for more than a week: edit a signed URL (expiry is checked first).
    const url = new URL(
      await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'k' }), { expiresIn: 600 }),
    );
    for (const expires of ['0', '-7', '609901']) {
      url.searchParams.set('X-Amz-Expires', expires);
      const r = await fetch(url);
      const text = await r.text();
      expect([r.status, parseXmlError(text).code], `${expires}: ${text}`).toEqual([403, 'AccessDenied']);
    }
    url.searchParams.set('X-Amz-Expires', 'soon');
    const notNumber = await fetch(url);
    const text = await notNumber.text();
    expect([notNumber.status, parseXmlError(text).code]).toEqual([400, 'AuthorizationQueryParametersError']);
  });

  it('a presigned URL with a tampered signature fails with SignatureDoesNotMatch', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('tamper');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'v');
    const url = new URL(
      await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'k' }), { expiresIn: 600 }),
    );
    const sig = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', `${sig[0] === '0' ? '1' : '0'}${sig.slice(1)}`);
    const r = await fetch(url);
    const text = await r.text();
    expect(r.status).toBe(403);
    expect(parseXmlError(text).code).toBe('SignatureDoesNotMatch');
  });

  it('a presigned PUT URL cannot be used for another key', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('presignkey');
    await createBucket(s3, bucket);
    const url = new URL(
      await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'a' }), { expiresIn: 600 }),
    );
    url.pathname = `/${bucket}/b`;
    const r = await fetch(url, { method: 'PUT', body: 'x' });
    expect(r.status).toBe(403);
    expect(parseXmlError(await r.text()).code).toBe('SignatureDoesNotMatch');
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'b' })), 404);
  });

  it('a client with the wrong secret gets 403 SignatureDoesNotMatch', async () => {
    const bad = server().newClient({
      credentials: { accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: 'definitely-not-the-secret' },
      maxAttempts: 1,
    });
    try {
      await expectS3Error(bad.send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
    } finally {
      bad.destroy();
    }
  });

  it('an unknown access key gets 403 InvalidAccessKeyId', async () => {
    const bad = server().newClient({
      credentials: { accessKeyId: 'AKIDUNKNOWNUNKNOWN', secretAccessKey: 'whatever-secret' },
      maxAttempts: 1,
    });
    try {
      await expectS3Error(bad.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
    } finally {
      bad.destroy();
    }
  });

  it('an unsigned request is refused with 403 AccessDenied', async () => {
    const r = await sendRaw(server().endpoint, { method: 'GET', path: '/' });
    expect(r.status).toBe(403);
    expect(parseXmlError(r.text).code).toBe('AccessDenied');
  });

  it('a request signed 20 minutes ago is refused with RequestTimeTooSkewed', async () => {
    const r = await signedRequest(
      server().endpoint,
      { method: 'GET', path: '/' },
      {
        signingDate: new Date(Date.now() - 20 * 60_000),
      },
    );
    expect(r.status).toBe(403);
    expect(parseXmlError(r.text).code).toBe('RequestTimeTooSkewed');
  });

  it('UNSIGNED-PAYLOAD uploads are accepted', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('unsigned');
    await createBucket(s3, bucket);
    const data = bytesFor(150_000, 'unsigned');
    const r = await signedRequest(
      server().endpoint,
      { method: 'PUT', path: `/${bucket}/${encodeKey('unsigned 😀')}`, body: data },
      { payloadHash: 'UNSIGNED-PAYLOAD' },
    );
    expect(r.status, r.text).toBe(200);
    expect(r.headers.etag).toBe(`"${md5Hex(data)}"`);
    expect((await getBytes(s3, bucket, 'unsigned 😀')).equals(data)).toBe(true);
  });

  it('a signed payload whose body does not match x-amz-content-sha256 fails with XAmzContentSHA256Mismatch and stores nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('shamismatch');
    await createBucket(s3, bucket);
    for (const size of [10, 2 * 1024 * 1024 + 1]) {
      const data = bytesFor(size, `mismatch-${size}`);
      const r = await signedRequest(
        server().endpoint,
        { method: 'PUT', path: `/${bucket}/mismatch-${size}`, body: data },
        { payloadHash: sha256Hex(Buffer.concat([data, Buffer.from('x')])) },
      );
      expect(r.status, r.text).toBe(400);
      expect(parseXmlError(r.text).code).toBe('XAmzContentSHA256Mismatch');
      await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `mismatch-${size}` })), 404);
    }
  });

  it('a signed payload that matches x-amz-content-sha256 is stored', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('shamatch');
    await createBucket(s3, bucket);
    const data = bytesFor(1024 * 1024 + 9, 'match');
    const r = await signedRequest(server().endpoint, { method: 'PUT', path: `/${bucket}/m`, body: data });
    expect(r.status, r.text).toBe(200);
    expect((await getBytes(s3, bucket, 'm')).equals(data)).toBe(true);
  });

  it('a STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload with chained chunk signatures is stored', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('streaming');
    await createBucket(s3, bucket);
    const data = bytesFor(200 * 1024 + 3, 'streaming');
    const key = 'streamed/😀 + %';
    const r = await streamingSignedPut(server().endpoint, `/${bucket}/${encodeKey(key)}`, data, {
      headers: { 'x-amz-meta-mode': 'chunked' },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.etag).toBe(`"${md5Hex(data)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(got.ContentLength).toBe(data.length);
    expect(got.Metadata).toEqual({ mode: 'chunked' });
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(data)).toBe(true);
  });

  it('a streaming upload with a bad chunk signature fails with SignatureDoesNotMatch and stores nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('streambad');
    await createBucket(s3, bucket);
    const data = bytesFor(200 * 1024, 'streambad');
    const r = await streamingSignedPut(server().endpoint, `/${bucket}/bad`, data, { tamperChunk: 1 });
    expect(r.status, r.text).toBe(403);
    expect(parseXmlError(r.text).code).toBe('SignatureDoesNotMatch');
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad' })), 404);
  });

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: a signed checksum trailer is verified and stored', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('signedtrailer');
    await createBucket(s3, bucket);
    const data = bytesFor(150 * 1024 + 11, 'signed-trailer');
    const crc = crc32Base64(data);
    const path = `/${bucket}/${encodeKey('trailer 😀')}`;

    const good = await streamingSignedPut(server().endpoint, path, data, {
      trailers: { 'x-amz-checksum-crc32': crc },
    });
    expect(good.status, good.text).toBe(200);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'trailer 😀', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32).toBe(crc);
    expect((await getBytes(s3, bucket, 'trailer 😀')).equals(data)).toBe(true);
  });

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: a wrong checksum or a bad trailer signature stores nothing', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('signedtrailerbad');
    await createBucket(s3, bucket);
    const data = bytesFor(100 * 1024, 'signed-trailer-bad');
    const crc = crc32Base64(data);
    const wrongCrc = crc32Base64(Buffer.concat([data, Buffer.from('x')]));

    const badDigest = await streamingSignedPut(server().endpoint, `/${bucket}/a`, data, {
      trailers: { 'x-amz-checksum-crc32': wrongCrc },
    });
    expect(badDigest.status, badDigest.text).toBe(400);
    expect(parseXmlError(badDigest.text).code).toBe('BadDigest');
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a' })), 404);

    const badSig = await streamingSignedPut(server().endpoint, `/${bucket}/b`, data, {
      trailers: { 'x-amz-checksum-crc32': crc },
      tamperTrailerSignature: true,
    });
    expect(badSig.status, badSig.text).toBe(403);
    expect(parseXmlError(badSig.text).code).toBe('SignatureDoesNotMatch');
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'b' })), 404);
  });

  it('the stock SDK upload of a stream (STREAMING-UNSIGNED-PAYLOAD-TRAILER) is stored', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('sdkstream');
    await createBucket(s3, bucket);
    const { Readable } = await import('node:stream');
    const data = bytesFor(700_000, 'sdkstream');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'k',
        Body: Readable.from([data.subarray(0, 1), data.subarray(1, 65_537), data.subarray(65_537)]),
        ContentLength: data.length,
      }),
    );
    expect((await getBytes(s3, bucket, 'k')).equals(data)).toBe(true);
  });
});
