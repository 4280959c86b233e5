/**
 * AWS Signature Version 2 against a real server: requests signed here by hand (header form
 * and presigned URLs), path-style and virtual-hosted, with hostile keys.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 */
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bytesFor, HOSTILE_KEYS, md5Hex } from '../helpers/data.js';
import { encodeKey, escapeUri, parseXmlError, type RawResponse, xmlValues } from '../helpers/raw-request.js';
import { getBytes } from '../helpers/s3.js';
import {
  ROOT_ACCESS_KEY,
  ROOT_SECRET_KEY,
  uniqueBucketName,
  useStrataServer,
} from '../helpers/strata-server.js';

/** The sub-resources this test signs (a subset of what S3 signs: the ones used here). */
const SUBRESOURCES = new Set([
  'acl',
  'tagging',
  'versioning',
  'uploads',
  'uploadId',
  'partNumber',
  'response-content-type',
]);

interface V2Request {
  method: string;
  /** Percent-encoded path as it goes on the wire (without the bucket for virtual-hosted requests). */
  path: string;
  /** Decoded query parameters in wire order; undefined value → `?name`. */
  query?: [string, string | undefined][];
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** Virtual-hosted style: Host is `<bucket>.s3.local:<port>` and the resource starts with /bucket. */
  vhostBucket?: string;
}

interface SignV2Options {
  accessKeyId?: string;
  secret?: string;
  date?: Date;
}

function queryString(query: V2Request['query']): string {
  if (!query || query.length === 0) return '';
  return `?${query.map(([k, v]) => (v === undefined ? escapeUri(k) : `${escapeUri(k)}=${escapeUri(v)}`)).join('&')}`;
}

/** The CanonicalizedResource: /bucket (virtual host) + path as sent + sorted signed sub-resources, values raw. */
function resourceOf(req: V2Request, extraQuery: [string, string | undefined][] = []): string {
  const subs = [...(req.query ?? []), ...extraQuery]
    .filter(([k]) => SUBRESOURCES.has(k))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
  const base = req.vhostBucket === undefined ? req.path : `/${req.vhostBucket}${req.path}`;
  return subs.length ? `${base}?${subs.join('&')}` : base;
}

function amzHeadersOf(headers: Record<string, string | string[]>): string {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('x-amz-')) continue;
    const v = (Array.isArray(value) ? value : [value]).map((s) => s.trim()).join(',');
    byName.set(lower, byName.has(lower) ? `${byName.get(lower)},${v}` : v);
  }
  return [...byName.keys()]
    .sort()
    .map((k) => `${k}:${byName.get(k)}\n`)
    .join('');
}

function headerValue(headers: Record<string, string | string[]>, name: string): string {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(',') : v;
  }
  return '';
}

function hmacSha1Base64(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

/** Signs with `Authorization: AWS AKID:sig` (Date header); returns the headers to send and the string signed. */
function signV2Header(
  req: V2Request,
  opts: SignV2Options = {},
): { headers: Record<string, string | string[]>; stringToSign: string } {
  const headers: Record<string, string | string[]> = {
    date: (opts.date ?? new Date()).toUTCString(),
    ...(req.headers ?? {}),
  };
  const stringToSign = [
    req.method,
    headerValue(headers, 'content-md5'),
    headerValue(headers, 'content-type'),
    headerValue(headers, 'x-amz-date') === '' ? headerValue(headers, 'date') : '',
    `${amzHeadersOf(headers)}${resourceOf(req)}`,
  ].join('\n');
  const signature = hmacSha1Base64(opts.secret ?? ROOT_SECRET_KEY, stringToSign);
  headers.authorization = `AWS ${opts.accessKeyId ?? ROOT_ACCESS_KEY}:${signature}`;
  return { headers, stringToSign };
}

/** A presigned SigV2 URL path+query (`AWSAccessKeyId`, `Expires`, `Signature`). */
function presignV2(req: V2Request, expiresEpochSeconds: number, opts: SignV2Options = {}): string {
  const stringToSign = [
    req.method,
    headerValue(req.headers ?? {}, 'content-md5'),
    headerValue(req.headers ?? {}, 'content-type'),
    String(expiresEpochSeconds),
    `${amzHeadersOf(req.headers ?? {})}${resourceOf(req)}`,
  ].join('\n');
  const signature = hmacSha1Base64(opts.secret ?? ROOT_SECRET_KEY, stringToSign);
  const query: [string, string | undefined][] = [
    ...(req.query ?? []),
    ['AWSAccessKeyId', opts.accessKeyId ?? ROOT_ACCESS_KEY],
    ['Expires', String(expiresEpochSeconds)],
    ['Signature', signature],
  ];
  return `${req.path}${queryString(query)}`;
}

/** Sends as given with node:http (header arrays become repeated header lines). */
function send(
  endpoint: string,
  method: string,
  pathAndQuery: string,
  headers: OutgoingHttpHeaders,
  body?: Buffer | string,
): Promise<RawResponse> {
  const url = new URL(endpoint);
  const payload = body === undefined ? undefined : Buffer.from(body);
  const all: OutgoingHttpHeaders = { ...headers };
  if (payload && all['content-length'] === undefined) all['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { host: url.hostname, port: Number(url.port), method, path: pathAndQuery, headers: all, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(payload);
  });
}

const md5Base64 = (data: Buffer | string): string => createHash('md5').update(data).digest('base64');

describe('AWS Signature Version 2', () => {
  const server = useStrataServer({ env: { STRATA_DOMAIN: 's3.local' } });

  /** Signs (header form) and sends; virtual-hosted requests get their Host header. */
  async function v2(req: V2Request, opts: SignV2Options = {}): Promise<RawResponse> {
    const host =
      req.vhostBucket === undefined
        ? `127.0.0.1:${server().port}`
        : `${req.vhostBucket}.s3.local:${server().port}`;
    const { headers } = signV2Header(req, opts);
    return send(
      server().endpoint,
      req.method,
      `${req.path}${queryString(req.query)}`,
      { host, ...headers },
      req.body,
    );
  }

  async function v2Bucket(label: string): Promise<string> {
    const bucket = uniqueBucketName(label);
    const r = await v2({ method: 'PUT', path: `/${bucket}` });
    expect(r.status, r.text).toBe(200);
    return bucket;
  }

  it('header form: PUT, GET, HEAD and DELETE of hostile keys, path-style', async () => {
    const bucket = await v2Bucket('v2keys');
    for (const key of HOSTILE_KEYS) {
      const path = `/${bucket}/${encodeKey(key)}`;
      const data = `data of ${key}`;
      const put = await v2({
        method: 'PUT',
        path,
        body: data,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          'content-md5': md5Base64(data),
          'x-amz-meta-reviewedby': ['joe@example.com', 'jane@example.com'],
          'X-Amz-Meta-Note': '  padded  value  ',
        },
      });
      expect(put.status, `${JSON.stringify(key)}: ${put.text}`).toBe(200);
      expect(put.headers.etag).toBe(`"${md5Hex(data)}"`);

      const get = await v2({ method: 'GET', path });
      expect(get.status, get.text).toBe(200);
      expect(get.text).toBe(data);
      expect(get.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(get.headers['x-amz-meta-note']).toBe('padded  value');

      const head = await v2({ method: 'HEAD', path });
      expect(head.status).toBe(200);
    }
    // What SigV2 stored reads back through the SDK (SigV4) unchanged.
    expect((await getBytes(server().client(), bucket, HOSTILE_KEYS[3] as string)).toString()).toBe(
      `data of ${HOSTILE_KEYS[3]}`,
    );
    for (const key of HOSTILE_KEYS) {
      const del = await v2({ method: 'DELETE', path: `/${bucket}/${encodeKey(key)}` });
      expect(del.status, del.text).toBe(204);
    }
    const gone = await v2({ method: 'GET', path: `/${bucket}/${encodeKey(HOSTILE_KEYS[0] as string)}` });
    expect(gone.status).toBe(404);
    expect(parseXmlError(gone.text).code).toBe('NoSuchKey');
  });

  it('header form: listing with plain parameters, sub-resources and response overrides', async () => {
    const bucket = await v2Bucket('v2list');
    for (const key of ['a/1', 'a/2', 'b/😀 %2F']) {
      const r = await v2({ method: 'PUT', path: `/${bucket}/${encodeKey(key)}`, body: key });
      expect(r.status, r.text).toBe(200);
    }
    // Plain listing parameters are not signed.
    const list = await v2({
      method: 'GET',
      path: `/${bucket}`,
      query: [
        ['prefix', 'a/'],
        ['max-keys', '10'],
      ],
    });
    expect(list.status, list.text).toBe(200);
    expect(xmlValues(list.text, 'Key')).toEqual(['a/1', 'a/2']);
    const listV2 = await v2({
      method: 'GET',
      path: `/${bucket}`,
      query: [
        ['list-type', '2'],
        ['prefix', 'b/'],
      ],
    });
    expect(listV2.status, listV2.text).toBe(200);
    expect(xmlValues(listV2.text, 'Key')).toEqual(['b/😀 %2F']);

    // Sub-resources are: ?acl, ?tagging on the bucket and on an object.
    const acl = await v2({ method: 'GET', path: `/${bucket}`, query: [['acl', undefined]] });
    expect(acl.status, acl.text).toBe(200);
    expect(acl.text).toContain('<AccessControlPolicy');
    const tagging =
      '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>k</Key><Value>v w</Value></Tag></TagSet></Tagging>';
    const objectPath = `/${bucket}/${encodeKey('b/😀 %2F')}`;
    const putTags = await v2({
      method: 'PUT',
      path: objectPath,
      query: [['tagging', undefined]],
      body: tagging,
      headers: { 'content-md5': md5Base64(tagging), 'content-type': 'application/xml' },
    });
    expect(putTags.status, putTags.text).toBe(200);
    const getTags = await v2({ method: 'GET', path: objectPath, query: [['tagging', undefined]] });
    expect(getTags.status, getTags.text).toBe(200);
    expect(xmlValues(getTags.text, 'Value')).toEqual(['v w']);

    // A response override is signed with its decoded value.
    const override = 'text/x-test; charset="a+b c"';
    const get = await v2({ method: 'GET', path: objectPath, query: [['response-content-type', override]] });
    expect(get.status, get.text).toBe(200);
    expect(get.headers['content-type']).toBe(override);

    // Leaving a sub-resource out of the signature (signed for ?acl-less) does not verify.
    const { headers } = signV2Header({ method: 'GET', path: `/${bucket}` });
    const r = await send(server().endpoint, 'GET', `/${bucket}?acl`, headers);
    expect(r.status).toBe(403);
    expect(parseXmlError(r.text).code).toBe('SignatureDoesNotMatch');
  });

  it('header form: virtual-hosted requests sign /bucket + path', async () => {
    const bucket = await v2Bucket('v2vhost');
    const key = 'v/😀 + key';
    const data = bytesFor(100_000, 'v2vhost');
    const put = await v2({ method: 'PUT', path: `/${encodeKey(key)}`, vhostBucket: bucket, body: data });
    expect(put.status, put.text).toBe(200);
    const get = await v2({ method: 'GET', path: `/${encodeKey(key)}`, vhostBucket: bucket });
    expect(get.status, get.text).toBe(200);
    expect(get.body.equals(data)).toBe(true);
    const list = await v2({ method: 'GET', path: '/', vhostBucket: bucket, query: [['prefix', 'v/']] });
    expect(list.status, list.text).toBe(200);
    expect(xmlValues(list.text, 'Key')).toEqual([key]);
    const acl = await v2({ method: 'GET', path: '/', vhostBucket: bucket, query: [['acl', undefined]] });
    expect(acl.status, acl.text).toBe(200);
  });

  it('presigned GET and PUT URLs work with plain fetch; an expired one is 403 AccessDenied', async () => {
    const bucket = await v2Bucket('v2presign');
    const key = 'presigned/😀 %2F + key';
    const path = `/${bucket}/${encodeKey(key)}`;
    const data = bytesFor(200_000, 'v2presign');
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;

    const putUrl = `${server().endpoint}${presignV2({ method: 'PUT', path }, inAnHour)}`;
    const putRes = await fetch(putUrl, { method: 'PUT', body: data });
    expect(putRes.status, await putRes.clone().text()).toBe(200);

    const getUrl = `${server().endpoint}${presignV2({ method: 'GET', path }, inAnHour)}`;
    const getRes = await fetch(getUrl);
    expect(getRes.status).toBe(200);
    expect(Buffer.from(await getRes.arrayBuffer()).equals(data)).toBe(true);

    const override = `${server().endpoint}${presignV2(
      { method: 'GET', path, query: [['response-content-type', 'image/x-test']] },
      inAnHour,
    )}`;
    const overridden = await fetch(override);
    expect(overridden.status).toBe(200);
    expect(overridden.headers.get('content-type')).toBe('image/x-test');
    await overridden.arrayBuffer();

    // Not usable for another key or method.
    const other = await fetch(getUrl.replace('presigned/', 'presigned2/'));
    expect(other.status).toBe(403);
    expect(parseXmlError(await other.text()).code).toBe('SignatureDoesNotMatch');
    const asDelete = await fetch(getUrl, { method: 'DELETE' });
    expect(asDelete.status).toBe(403);

    const expiredUrl = `${server().endpoint}${presignV2({ method: 'GET', path }, Math.floor(Date.now() / 1000) - 60)}`;
    const expired = await fetch(expiredUrl);
    const text = await expired.text();
    expect(expired.status, text).toBe(403);
    expect(parseXmlError(text)).toMatchObject({ code: 'AccessDenied', message: 'Request has expired' });
  });

  it('a wrong secret is SignatureDoesNotMatch with the string to sign; an unknown key InvalidAccessKeyId', async () => {
    const bucket = await v2Bucket('v2errors');
    const req: V2Request = { method: 'GET', path: `/${bucket}/k`, headers: { 'x-amz-meta-x': 'y' } };
    const { headers, stringToSign } = signV2Header(req, { secret: 'not-the-secret' });
    const bad = await send(server().endpoint, 'GET', req.path, headers);
    expect(bad.status).toBe(403);
    expect(parseXmlError(bad.text).code).toBe('SignatureDoesNotMatch');
    expect(xmlValues(bad.text, 'StringToSign')).toEqual([stringToSign]);

    const unknown = await v2(req, { accessKeyId: 'AKIANOTAKEY' });
    expect(unknown.status).toBe(403);
    expect(parseXmlError(unknown.text).code).toBe('InvalidAccessKeyId');
  });

  it('a Date 20 minutes off is RequestTimeTooSkewed; a malformed header is InvalidArgument', async () => {
    const bucket = await v2Bucket('v2skew');
    const skewed = await v2(
      { method: 'GET', path: `/${bucket}` },
      { date: new Date(Date.now() - 20 * 60_000) },
    );
    expect(skewed.status).toBe(403);
    expect(parseXmlError(skewed.text).code).toBe('RequestTimeTooSkewed');

    const malformed = await send(server().endpoint, 'GET', `/${bucket}`, {
      date: new Date().toUTCString(),
      authorization: 'AWS HAHAHA',
    });
    expect(malformed.status).toBe(400);
    expect(parseXmlError(malformed.text).code).toBe('InvalidArgument');
  });

  it('the body is unsigned but Content-MD5 is still verified: a mismatch stores nothing', async () => {
    const bucket = await v2Bucket('v2md5');
    const path = `/${bucket}/k`;
    const r = await v2({
      method: 'PUT',
      path,
      body: 'actual body',
      headers: { 'content-md5': md5Base64('other body') },
    });
    expect(r.status).toBe(400);
    expect(parseXmlError(r.text).code).toBe('BadDigest');
    const get = await v2({ method: 'GET', path });
    expect(get.status).toBe(404);
  });
});
