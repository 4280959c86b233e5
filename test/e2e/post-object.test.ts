import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import { describe, expect, it } from 'vitest';
import { bodyBytes, bytesFor, md5Hex } from '../helpers/data.js';
import { parseXmlError, xmlValues } from '../helpers/raw-request.js';
import { createBucket, expectStatus, listAllKeys } from '../helpers/s3.js';
import { REGION, uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: S3's literal ${filename} form variable.
const FILENAME_VAR = '${filename}';
const KiB = 1024;
const MiB = 1024 * KiB;

interface PostResult {
  status: number;
  headers: Headers;
  text: string;
}

/** Posts a browser-style form: the fields in order, then the file (last, as S3 requires). */
async function postForm(
  url: string,
  fields: Record<string, string>,
  data: Uint8Array,
  opts: { filename?: string; after?: Record<string, string> } = {},
): Promise<PostResult> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([data], { type: 'application/octet-stream' }), opts.filename ?? 'upload.bin');
  for (const [name, value] of Object.entries(opts.after ?? {})) form.append(name, value);
  const res = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('POST Object (browser uploads with a signed policy)', () => {
  const server = useStrataServer({ env: { STRATA_DOMAIN: 's3.local' } });

  async function presign(options: PresignedPostOptions, client?: S3Client) {
    return createPresignedPost(client ?? server().client(), options);
  }

  async function newBucket(label: string): Promise<string> {
    const bucket = uniqueBucketName(label);
    await createBucket(server().client(), bucket);
    return bucket;
  }

  async function expectNothingStored(bucket: string): Promise<void> {
    expect(await listAllKeys(server().client(), bucket)).toEqual([]);
  }

  it('stores the file with Content-Type and x-amz-meta-* fields and answers 204 by default', async () => {
    const bucket = await newBucket('post-ok');
    const key = 'uploads/😀 a+b.txt';
    const { url, fields } = await presign({
      Bucket: bucket,
      Key: key,
      Fields: { 'Content-Type': 'text/plain', 'x-amz-meta-color': 'blue', 'Cache-Control': 'max-age=60' },
      Conditions: [['content-length-range', 0, MiB]],
    });
    const data = bytesFor(300 * KiB, 'post-ok');
    const res = await postForm(url, fields, data);
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.get('etag')).toBe(`"${md5Hex(data)}"`);
    expect(res.headers.get('location')).toContain(`/${bucket}/`);

    const got = await server()
      .client()
      .send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect((await bodyBytes(got.Body)).equals(data)).toBe(true);
    expect(got.ContentType).toBe('text/plain');
    expect(got.CacheControl).toBe('max-age=60');
    expect(got.Metadata).toEqual({ color: 'blue' });
    expect(got.ETag).toBe(`"${md5Hex(data)}"`);
  });

  it('streams a multi-block file (several MiB) into storage', async () => {
    const bucket = await newBucket('post-big');
    const { url, fields } = await presign({
      Bucket: bucket,
      Key: 'big.bin',
      Conditions: [['content-length-range', 5 * MiB, 20 * MiB]],
    });
    const data = bytesFor(9 * MiB + 123, 'post-big');
    const res = await postForm(url, fields, data);
    expect(res.status, res.text).toBe(204);
    const head = await server()
      .client()
      .send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    expect(head.ContentLength).toBe(data.length);
    expect(head.ETag).toBe(`"${md5Hex(data)}"`);
  });

  it('success_action_status 201 answers a PostResponse document', async () => {
    const bucket = await newBucket('post-201');
    const { url, fields } = await presign({
      Bucket: bucket,
      Key: 'k201',
      Fields: { success_action_status: '201' },
    });
    const data = Buffer.from('hello');
    const res = await postForm(url, fields, data);
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/xml');
    expect(xmlValues(res.text, 'Bucket')).toEqual([bucket]);
    expect(xmlValues(res.text, 'Key')).toEqual(['k201']);
    expect(xmlValues(res.text, 'ETag')).toEqual([`"${md5Hex(data)}"`]);
    expect(xmlValues(res.text, 'Location')[0]).toMatch(new RegExp(`/${bucket}/k201$`));
    // As AWS: no namespace, so clients find <Key> unqualified.
    expect(res.text).toContain('<PostResponse>');
  });

  it('success_action_status 200 answers an empty 200', async () => {
    const bucket = await newBucket('post-200');
    const { url, fields } = await presign({
      Bucket: bucket,
      Key: 'k',
      Fields: { success_action_status: '200' },
    });
    const res = await postForm(url, fields, Buffer.from('x'));
    expect(res.status, res.text).toBe(200);
    expect(res.text).toBe('');
  });

  it('success_action_redirect answers 303 to the URL with bucket, key and etag', async () => {
    const bucket = await newBucket('post-303');
    const redirect = 'https://app.example/done?from=upload';
    const { url, fields } = await presign({
      Bucket: bucket,
      Key: 'dir/r k',
      Fields: { success_action_redirect: redirect },
    });
    const data = Buffer.from('redirected');
    const res = await postForm(url, fields, data);
    expect(res.status, res.text).toBe(303);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example/done');
    expect(location.searchParams.get('from')).toBe('upload');
    expect(location.searchParams.get('bucket')).toBe(bucket);
    expect(location.searchParams.get('key')).toBe('dir/r k');
    expect(location.searchParams.get('etag')).toBe(`"${md5Hex(data)}"`);
  });

  it('substitutes the filename variable in the key', async () => {
    const bucket = await newBucket('post-filename');
    const { url, fields } = await presign({ Bucket: bucket, Key: `user/42/${FILENAME_VAR}` });
    const res = await postForm(url, fields, Buffer.from('photo'), { filename: 'cat picture.jpg' });
    expect(res.status, res.text).toBe(204);
    expect(await listAllKeys(server().client(), bucket)).toEqual(['user/42/cat picture.jpg']);
  });

  it('ignores fields after the file', async () => {
    const bucket = await newBucket('post-after');
    const { url, fields } = await presign({ Bucket: bucket, Key: 'k' });
    const res = await postForm(url, fields, Buffer.from('v'), { after: { 'x-amz-meta-late': 'no' } });
    expect(res.status, res.text).toBe(204);
    const head = await server()
      .client()
      .send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(head.Metadata).toEqual({});
  });

  it('verifies an x-amz-checksum-sha256 field and stores nothing when it does not match', async () => {
    const bucket = await newBucket('post-checksum');
    const data = Buffer.from('checked body');
    const good = createHash('sha256').update(data).digest('base64');
    const { url, fields } = await presign({ Bucket: bucket, Key: 'c' });
    const ok = await postForm(url, { ...fields, 'x-amz-checksum-sha256': good }, data);
    expect(ok.status, ok.text).toBe(204);
    expect(ok.headers.get('x-amz-checksum-sha256')).toBe(good);

    const { url: url2, fields: fields2 } = await presign({ Bucket: bucket, Key: 'c2' });
    const wrong = createHash('sha256').update('other').digest('base64');
    const bad = await postForm(url2, { ...fields2, 'x-amz-checksum-sha256': wrong }, data);
    expect(bad.status, bad.text).toBe(400);
    expect(parseXmlError(bad.text).code).toBe('BadDigest');
    expect(await listAllKeys(server().client(), bucket)).toEqual(['c']);
  });

  it('a file over content-length-range max is EntityTooLarge and nothing is stored', async () => {
    const bucket = await newBucket('post-large');
    const { url, fields } = await presign({
      Bucket: bucket,
      Key: 'too-big',
      Conditions: [['content-length-range', 0, MiB]],
    });
    const res = await postForm(url, fields, bytesFor(3 * MiB, 'too-big'));
    expect(res.status, res.text).toBe(400);
    expect(parseXmlError(res.text).code).toBe('EntityTooLarge');
    await expectNothingStored(bucket);
  });

  it('a file under content-length-range min is EntityTooSmall and nothing is stored', async () => {
    const bucket = await newBucket('post-small');
    const { url, fields } = await presign({
      Bucket: bucket,
      Key: 'too-small',
      Conditions: [['content-length-range', 512, 1000]],
    });
    const res = await postForm(url, fields, Buffer.from('bar'));
    expect(res.status, res.text).toBe(400);
    expect(parseXmlError(res.text).code).toBe('EntityTooSmall');
    await expectNothingStored(bucket);
  });

  it('a field the policy does not cover is AccessDenied (Extra input fields)', async () => {
    const bucket = await newBucket('post-extra');
    const { url, fields } = await presign({ Bucket: bucket, Key: 'k' });
    const res = await postForm(url, { ...fields, 'x-amz-meta-sneaky': '1' }, Buffer.from('v'));
    expect(res.status, res.text).toBe(403);
    const err = parseXmlError(res.text);
    expect(err.code).toBe('AccessDenied');
    expect(err.message).toBe('Invalid according to Policy: Extra input fields: x-amz-meta-sneaky');
    await expectNothingStored(bucket);
  });

  it('an expired policy is AccessDenied', async () => {
    const bucket = await newBucket('post-expired');
    const { url, fields } = await presign({ Bucket: bucket, Key: 'k', Expires: -60 });
    const res = await postForm(url, fields, Buffer.from('v'));
    expect(res.status, res.text).toBe(403);
    expect(parseXmlError(res.text)).toMatchObject({
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy expired.',
    });
    await expectNothingStored(bucket);
  });

  it('a wrong signature is SignatureDoesNotMatch and an unknown key InvalidAccessKeyId', async () => {
    const bucket = await newBucket('post-sig');
    const { url, fields } = await presign({ Bucket: bucket, Key: 'k' });
    const sig = fields['X-Amz-Signature'] ?? '';
    const tampered = { ...fields, 'X-Amz-Signature': `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}` };
    const bad = await postForm(url, tampered, Buffer.from('v'));
    expect(bad.status, bad.text).toBe(403);
    expect(parseXmlError(bad.text).code).toBe('SignatureDoesNotMatch');

    const stranger = new S3Client({
      endpoint: server().endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: 'nobody', secretAccessKey: 'nothing-at-all-0123456789' },
    });
    try {
      const other = await presign({ Bucket: bucket, Key: 'k' }, stranger);
      const res = await postForm(other.url, other.fields, Buffer.from('v'));
      expect(res.status, res.text).toBe(403);
      expect(parseXmlError(res.text).code).toBe('InvalidAccessKeyId');
    } finally {
      stranger.destroy();
    }
    await expectNothingStored(bucket);
  });

  it('a key outside the starts-with condition is AccessDenied', async () => {
    const bucket = await newBucket('post-prefix');
    const { url, fields } = await presign({ Bucket: bucket, Key: `uploads/${FILENAME_VAR}` });
    const res = await postForm(url, { ...fields, key: 'elsewhere/x' }, Buffer.from('v'));
    expect(res.status, res.text).toBe(403);
    expect(parseXmlError(res.text).message).toBe(
      'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
    );
    await expectNothingStored(bucket);
  });

  it('a form without policy is refused and a non-multipart POST is PreconditionFailed', async () => {
    const bucket = await newBucket('post-anon');
    const url = `${server().endpoint}/${bucket}`;
    const anon = await postForm(url, { key: 'k' }, Buffer.from('v'));
    expect(anon.status, anon.text).toBe(403);
    const plain = await fetch(url, {
      method: 'POST',
      body: 'key=k',
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(412);
    await expectNothingStored(bucket);
  });

  it('works virtual-host style (bucket in the Host header)', async () => {
    const bucket = await newBucket('post-vhost');
    const { fields } = await presign({ Bucket: bucket, Key: 'vh' });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([Buffer.from('virtual')]), 'v.txt');
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: server().port,
          method: 'POST',
          path: '/',
          headers: {
            host: `${bucket}.s3.local:${server().port}`,
            'content-type': encoded.headers.get('content-type') ?? '',
            'content-length': String(body.length),
          },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(204);
    const got = await server()
      .client()
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'vh' }));
    expect((await bodyBytes(got.Body)).toString()).toBe('virtual');
    await expectStatus(
      server()
        .client()
        .send(new HeadObjectCommand({ Bucket: bucket, Key: 'other' })),
      404,
    );
  });
});
