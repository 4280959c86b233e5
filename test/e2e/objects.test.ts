import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { bodyBytes, bytesFor, HOSTILE_KEYS, keyOfBytes, md5Hex } from '../helpers/data.js';
import { encodeKey, parseXmlError, sendRaw, signedRequest, signHeaders } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, expectStatus, getBytes, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;

describe('objects', () => {
  const server = useStrataServer();

  it.each([
    ['0 B', 0],
    ['1 B', 1],
    ['100 KiB (inline)', 100 * 1024],
    ['exactly one block (1 MiB)', MiB],
    ['one block plus one byte', MiB + 1],
    ['several blocks plus a tail', 3 * MiB + 12_345],
  ])('putObject/getObject/headObject/deleteObject round-trip %s', async (_label, size) => {
    const s3 = server().client();
    const bucket = uniqueBucketName('size');
    await createBucket(s3, bucket);
    const key = `sizes/${size}/emoji 😀 %2F +`;
    const data = bytesFor(size, `size-${size}`);
    const putRes = await put(s3, bucket, key, data);
    expect(putRes.ETag).toBe(`"${md5Hex(data)}"`);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(got.ContentLength).toBe(size);
    expect(got.ETag).toBe(`"${md5Hex(data)}"`);
    const body = await bodyBytes(got.Body);
    expect(body.length).toBe(size);
    expect(body.equals(data)).toBe(true);

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(size);
    expect(head.ETag).toBe(`"${md5Hex(data)}"`);
    expect(head.LastModified).toBeInstanceOf(Date);

    const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), 404);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), 'NoSuchKey', 404);
  });

  it('every hostile key round-trips exactly through put, head, get and delete', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('hostile');
    await createBucket(s3, bucket);
    for (const key of HOSTILE_KEYS) {
      const data = Buffer.from(`body of ${JSON.stringify(key)}`);
      await put(s3, bucket, key, data);
    }
    for (const key of HOSTILE_KEYS) {
      expect((await getBytes(s3, bucket, key)).toString(), JSON.stringify(key)).toBe(
        `body of ${JSON.stringify(key)}`,
      );
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength).toBe(Buffer.byteLength(`body of ${JSON.stringify(key)}`));
    }
    // Keys that differ only in encoding are different objects.
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'percent-encoded/slash' })),
      'NoSuchKey',
      404,
    );
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'leading-slash' })),
      'NoSuchKey',
      404,
    );
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'double/slash/triple' })),
      'NoSuchKey',
      404,
    );
    for (const key of HOSTILE_KEYS) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    for (const key of HOSTILE_KEYS) {
      await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), 404);
    }
  });

  it('a key of exactly 1024 bytes works and a 1025-byte key fails with KeyTooLongError', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('keylen');
    await createBucket(s3, bucket);
    const key1024 = keyOfBytes(1024);
    await put(s3, bucket, key1024, 'ok');
    expect((await getBytes(s3, bucket, key1024)).toString()).toBe('ok');
    const key1025 = keyOfBytes(1025);
    await expectS3Error(put(s3, bucket, key1025, 'too long'), 'KeyTooLongError', 400);
  });

  it('an overwrite replaces the content and ETag', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('overwrite');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', bytesFor(2 * MiB, 'v1'));
    const v2 = Buffer.from('second version');
    const r = await put(s3, bucket, 'k', v2);
    expect(r.ETag).toBe(`"${md5Hex(v2)}"`);
    expect((await getBytes(s3, bucket, 'k')).equals(v2)).toBe(true);
  });

  it('deleteObject of a missing key succeeds with 204', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('delmissing');
    await createBucket(s3, bucket);
    const r = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'never existed 😀' }));
    expect(r.$metadata.httpStatusCode).toBe(204);
  });

  it('user metadata and standard headers round-trip on get and head', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('meta');
    await createBucket(s3, bucket);
    const expires = new Date('2031-02-03T04:05:06Z');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'meta/😀 key',
        Body: 'hello',
        ContentType: 'text/x-strata; charset=utf-8',
        ContentEncoding: 'identity',
        ContentDisposition: 'attachment; filename="a b.txt"',
        ContentLanguage: 'de-CH',
        CacheControl: 'max-age=3600, private',
        Expires: expires,
        Metadata: { color: 'blue', 'multi-word': 'two words', empty: '' },
      }),
    );
    for (const r of [
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta/😀 key' })),
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'meta/😀 key' })),
    ]) {
      expect(r.ContentType).toBe('text/x-strata; charset=utf-8');
      expect(r.ContentEncoding).toBe('identity');
      expect(r.ContentDisposition).toBe('attachment; filename="a b.txt"');
      expect(r.ContentLanguage).toBe('de-CH');
      expect(r.CacheControl).toBe('max-age=3600, private');
      expect(r.Expires?.toISOString()).toBe(expires.toISOString());
      expect(r.Metadata).toEqual({ color: 'blue', 'multi-word': 'two words', empty: '' });
    }
  });

  it('non-ASCII metadata sent as UTF-8 bytes (as botocore does) verifies and reads back', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('utf8-meta');
    await createBucket(s3, bucket);
    const ep = server().endpoint;
    const path = `/${bucket}/${encodeKey('ключ é')}`;
    const meta = { 'x-amz-meta-meta1': 'Hello World\u00e9', 'x-amz-meta-emoji': '😀 ключ à la carte' };
    // Signed over the text (its UTF-8), sent as UTF-8 bytes: node:http writes header
    // strings as latin1, one byte per character.
    const asBytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const signed = await signHeaders(ep, { method: 'PUT', path, headers: meta, body: 'bar' });
    for (const [name, value] of Object.entries(meta)) signed[name] = asBytes(value);
    const putRes = await sendRaw(ep, { method: 'PUT', path, headers: signed, body: 'bar' });
    expect(putRes.status, putRes.text).toBe(200);

    for (const method of ['GET', 'HEAD']) {
      const r = await signedRequest(ep, { method, path });
      expect(r.status).toBe(200);
      // Text within latin-1 comes back as latin-1 (what clients decode headers as), so
      // botocore reads 'Hello World\u00e9' back; anything else as its UTF-8 bytes.
      expect(r.headers['x-amz-meta-meta1'], method).toBe('Hello World\u00e9');
      expect(Buffer.from(String(r.headers['x-amz-meta-emoji']), 'latin1').toString('utf8'), method).toBe(
        '😀 ключ à la carte',
      );
    }
  });

  it('latin-1 metadata from the SDK (one byte per character on the wire) round-trips', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('latin1-meta');
    await createBucket(s3, bucket);
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x', Metadata: { m: 'Hello World\u00e9' } }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(head.Metadata).toEqual({ m: 'Hello World\u00e9' });
  });

  it('Content-Encoding with aws-chunked on a plain body is accepted; the token is not stored', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('aws-chunked-enc');
    await createBucket(s3, bucket);
    const cases: Array<[string, string | undefined]> = [
      ['gzip', 'gzip'],
      ['deflate, gzip', 'deflate, gzip'],
      ['gzip, aws-chunked', 'gzip'],
      ['aws-chunked, gzip', 'gzip'],
      ['aws-chunked', undefined],
    ];
    for (const [given, stored] of cases) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'encoding', ContentEncoding: given }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'encoding' }));
      expect(head.ContentEncoding, given).toBe(stored);
      expect(head.ContentLength).toBe(0);
    }
    // Hand-signed, with a body: a hex x-amz-content-sha256 and UNSIGNED-PAYLOAD.
    const path = `/${bucket}/with-body`;
    for (const payloadHash of [undefined, 'UNSIGNED-PAYLOAD']) {
      const r = await signedRequest(
        server().endpoint,
        { method: 'PUT', path, headers: { 'content-encoding': 'gzip, aws-chunked' }, body: 'not framed' },
        payloadHash === undefined ? {} : { payloadHash },
      );
      expect(r.status, r.text).toBe(200);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'with-body' }));
      expect(got.ContentEncoding).toBe('gzip');
      expect((await bodyBytes(got.Body)).toString()).toBe('not framed');
    }
  });

  it('an object stored without Content-Type is served as binary/octet-stream', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ctype');
    await createBucket(s3, bucket);
    const url = `/${bucket}/${encodeKey('no type')}`;
    const r = await signedRequest(server().endpoint, { method: 'PUT', path: url, body: 'x' });
    expect(r.status, r.text).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'no type' }));
    expect(head.ContentType).toBe('binary/octet-stream');
  });

  it('partNumber=1 of a single-part object is the whole object; partNumber=2 is 400 InvalidPart', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('single-part');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'whole');
    const one = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', PartNumber: 1 }));
    expect(one.$metadata.httpStatusCode).toBe(200);
    expect((await bodyBytes(one.Body)).toString()).toBe('whole');
    // AWS is reported to answer 416 InvalidPartNumber; ceph/s3-tests expects 400 InvalidPart.
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', PartNumber: 2 })),
      'InvalidPart',
      400,
    );
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k', PartNumber: 2 })), 400);
  });

  describe('ranges', () => {
    let bucket = '';
    const data = bytesFor(3 * MiB + 100, 'ranges');
    const key = 'range/obj 😀';
    beforeAll(async () => {
      bucket = uniqueBucketName('range');
      await createBucket(server().client(), bucket);
      await put(server().client(), bucket, key, data);
    });

    it.each([
      ['bytes=0-0', 0, 0],
      ['bytes=0-99', 0, 99],
      ['bytes=1048570-1048580', 1_048_570, 1_048_580], // across a block boundary
      [`bytes=${3 * MiB + 50}-${3 * MiB + 99}`, 3 * MiB + 50, 3 * MiB + 99],
      ['bytes=-10', 3 * MiB + 90, 3 * MiB + 99],
      [`bytes=-${2 * MiB}`, MiB + 100, 3 * MiB + 99],
      [`bytes=${2 * MiB}-`, 2 * MiB, 3 * MiB + 99],
      [`bytes=${3 * MiB + 90}-${10 * MiB}`, 3 * MiB + 90, 3 * MiB + 99], // end beyond size clamps
      ['bytes=-999999999', 0, 3 * MiB + 99], // suffix longer than object: whole object
    ])('getObject with Range %s returns 206 and exactly those bytes', async (range, start, end) => {
      const r = await server()
        .client()
        .send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
      expect(r.$metadata.httpStatusCode).toBe(206);
      expect(r.ContentRange).toBe(`bytes ${start}-${end}/${data.length}`);
      expect(r.ContentLength).toBe(end - start + 1);
      const body = await bodyBytes(r.Body);
      expect(body.equals(data.subarray(start, end + 1))).toBe(true);
    });

    it.each([[`bytes=${3 * MiB + 100}-`], [`bytes=${10 * MiB}-${10 * MiB + 5}`]])(
      'getObject with unsatisfiable Range %s fails with 416 InvalidRange',
      async (range) => {
        await expectS3Error(
          server()
            .client()
            .send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range })),
          'InvalidRange',
          416,
        );
      },
    );

    it('headObject with a Range reports the partial length', async () => {
      const r = await server()
        .client()
        .send(new HeadObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=10-19' }));
      expect(r.$metadata.httpStatusCode).toBe(206);
      expect(r.ContentLength).toBe(10);
      expect(r.ContentRange).toBe(`bytes 10-19/${data.length}`);
    });
  });

  it('response-* query parameters override the response headers', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('override');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'o', 'data', { ContentType: 'text/plain' });
    const expires = new Date('2030-01-01T00:00:00Z');
    const r = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: 'o',
        ResponseContentType: 'application/x-override',
        ResponseContentDisposition: 'attachment; filename="over ride.bin"',
        ResponseContentEncoding: 'x-enc',
        ResponseContentLanguage: 'fr',
        ResponseCacheControl: 'no-store',
        ResponseExpires: expires,
      }),
    );
    expect(r.ContentType).toBe('application/x-override');
    expect(r.ContentDisposition).toBe('attachment; filename="over ride.bin"');
    expect(r.ContentEncoding).toBe('x-enc');
    expect(r.ContentLanguage).toBe('fr');
    expect(r.CacheControl).toBe('no-store');
    expect(r.Expires?.toISOString()).toBe(expires.toISOString());
    expect((await bodyBytes(r.Body)).toString()).toBe('data');
  });

  describe('conditional requests', () => {
    let bucket = '';
    let etag = '';
    let lastModified = new Date(0);
    const key = 'cond/😀 + %';
    beforeAll(async () => {
      bucket = uniqueBucketName('cond');
      const s3 = server().client();
      await createBucket(s3, bucket);
      etag = (await put(s3, bucket, key, 'conditional body')).ETag ?? '';
      lastModified =
        (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).LastModified ?? new Date(0);
    });
    const past = () => new Date(lastModified.getTime() - 3600_000);
    const future = () => new Date(lastModified.getTime() + 3600_000);

    type Cond = { IfMatch?: string; IfNoneMatch?: string; IfModifiedSince?: Date; IfUnmodifiedSince?: Date };
    const cases: [string, number, () => Cond][] = [
      ['If-Match matching', 200, () => ({ IfMatch: etag })],
      ['If-Match *', 200, () => ({ IfMatch: '*' })],
      ['If-Match other', 412, () => ({ IfMatch: '"0123456789abcdef0123456789abcdef"' })],
      ['If-None-Match matching', 304, () => ({ IfNoneMatch: etag })],
      ['If-None-Match other', 200, () => ({ IfNoneMatch: '"0123456789abcdef0123456789abcdef"' })],
      ['If-Modified-Since before', 200, () => ({ IfModifiedSince: past() })],
      ['If-Modified-Since after', 304, () => ({ IfModifiedSince: future() })],
      ['If-Unmodified-Since after', 200, () => ({ IfUnmodifiedSince: future() })],
      ['If-Unmodified-Since before', 412, () => ({ IfUnmodifiedSince: past() })],
      // AWS: If-Match true + If-Unmodified-Since false → 200.
      [
        'If-Match true and If-Unmodified-Since false',
        200,
        () => ({ IfMatch: etag, IfUnmodifiedSince: past() }),
      ],
      // AWS: If-None-Match false + If-Modified-Since true → 304.
      [
        'If-None-Match false and If-Modified-Since true',
        304,
        () => ({ IfNoneMatch: etag, IfModifiedSince: past() }),
      ],
      [
        'If-None-Match true and If-Modified-Since false',
        200,
        () => ({ IfNoneMatch: '"abc"', IfModifiedSince: future() }),
      ],
      ['If-Match false and If-None-Match true', 412, () => ({ IfMatch: '"abc"', IfNoneMatch: '"def"' })],
    ];

    it.each(cases)('getObject with %s answers %i', async (_label, status, cond) => {
      const s3 = server().client();
      const p = s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...cond() }));
      if (status === 200) {
        const r = await p;
        expect(r.$metadata.httpStatusCode).toBe(200);
        expect((await bodyBytes(r.Body)).toString()).toBe('conditional body');
      } else {
        const e = await expectStatus(p, status);
        if (status === 412) expect(e.name).toBe('PreconditionFailed');
      }
    });

    it.each(cases)('headObject with %s answers %i', async (_label, status, cond) => {
      const s3 = server().client();
      const p = s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...cond() }));
      if (status === 200) expect((await p).$metadata.httpStatusCode).toBe(200);
      else await expectStatus(p, status);
    });

    it('a 304 carries the ETag and no body; a 412 is an XML error', async () => {
      const path = `/${bucket}/${encodeKey(key)}`;
      const notModified = await signedRequest(server().endpoint, {
        method: 'GET',
        path,
        headers: { 'if-none-match': etag },
      });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.etag).toBe(etag);
      expect(notModified.body.length).toBe(0);
      const failed = await signedRequest(server().endpoint, {
        method: 'GET',
        path,
        headers: { 'if-match': '"nope"' },
      });
      expect(failed.status).toBe(412);
      expect(parseXmlError(failed.text).code).toBe('PreconditionFailed');
    });
  });
});
