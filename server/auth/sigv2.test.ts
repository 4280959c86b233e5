import { describe, expect, it } from 'vitest';
import { isS3Error } from '../s3-errors.js';
import { authenticate } from './authenticate.js';
import { canonicalizedAmzHeaders, canonicalizedResource, signV2, stringToSignV2 } from './sigv2.js';
import type { AuthRequest, Credentials } from './types.js';

/** Runs `fn`, expecting an S3Error with `code`; returns it for further checks. */
function expectS3Error(fn: () => unknown, code: string): { message: string; extra: Record<string, string> } {
  try {
    fn();
  } catch (err) {
    if (!isS3Error(err)) throw err;
    expect(err.code).toBe(code);
    return err;
  }
  throw new Error(`expected S3Error ${code}, nothing was thrown`);
}

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const lookup = (id: string): Credentials | undefined =>
  id === AKID ? { accessKeyId: AKID, secretAccessKey: SECRET } : undefined;
const optsAt = (date: string) => ({ lookup, region: 'us-east-1', nowMs: Date.parse(date) });

interface DocExample {
  name: string;
  req: AuthRequest;
  date: string;
  stringToSign: string;
  signature: string;
}

// ---------------------------------------------------------------------------
// The worked examples of "Signing and authenticating REST requests" (SigV2),
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html, with its
// credentials. The page's versions disagree in places (bucket names were renamed without
// re-signing); each example here uses a version whose signature matches its string to sign:
// the awsexamplebucket1 request/signature pairs of the current user guide, the Upload example
// with the awsexamplebucket1.net names, and the query-string example with the original
// johnsmith bucket.
// ---------------------------------------------------------------------------
const DOC_EXAMPLES: DocExample[] = [
  {
    name: 'Object GET (virtual-hosted)',
    req: {
      method: 'GET',
      rawPath: '/photos/puppy.jpg',
      rawQuery: '',
      virtualHostBucket: 'awsexamplebucket1',
      headers: {
        host: 'awsexamplebucket1.us-west-1.s3.amazonaws.com',
        date: 'Tue, 27 Mar 2007 19:36:42 +0000',
      },
    },
    date: 'Tue, 27 Mar 2007 19:36:42 +0000',
    stringToSign: 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg',
    signature: 'qgk2+6Sv9/oM7G3qLEjTH1a1l1g=',
  },
  {
    name: 'Object PUT',
    req: {
      method: 'PUT',
      rawPath: '/photos/puppy.jpg',
      rawQuery: '',
      virtualHostBucket: 'awsexamplebucket1',
      headers: {
        'content-type': 'image/jpeg',
        'content-length': '94328',
        host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com',
        date: 'Tue, 27 Mar 2007 21:15:45 +0000',
      },
    },
    date: 'Tue, 27 Mar 2007 21:15:45 +0000',
    stringToSign: 'PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg',
    signature: 'iqRzw+ileNPu1fhspnRs8nOjjIA=',
  },
  {
    name: 'List (query parameters are not sub-resources)',
    req: {
      method: 'GET',
      rawPath: '/',
      rawQuery: 'prefix=photos&max-keys=50&marker=puppy',
      virtualHostBucket: 'awsexamplebucket1',
      headers: {
        'user-agent': 'Mozilla/5.0',
        host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com',
        date: 'Tue, 27 Mar 2007 19:42:41 +0000',
      },
    },
    date: 'Tue, 27 Mar 2007 19:42:41 +0000',
    stringToSign: 'GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/',
    signature: 'm0WP8eCtspQl5Ahe6L1SozdX9YA=',
  },
  {
    name: 'Fetch (the ?acl sub-resource)',
    req: {
      method: 'GET',
      rawPath: '/',
      rawQuery: 'acl',
      virtualHostBucket: 'awsexamplebucket1',
      headers: {
        host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com',
        date: 'Tue, 27 Mar 2007 19:44:46 +0000',
      },
    },
    date: 'Tue, 27 Mar 2007 19:44:46 +0000',
    stringToSign: 'GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl',
    signature: '82ZHiFIjc+WbcwFKGUVEQspPn+0=',
  },
  {
    // The page's string to sign puts the x-amz-date value on the Date line and leaves it out
    // of the amz headers (its "Time stamp requirement" section says otherwise; both verify).
    name: 'Delete (path-style, x-amz-date over Date)',
    req: {
      method: 'DELETE',
      rawPath: '/awsexamplebucket1/photos/puppy.jpg',
      rawQuery: '',
      headers: {
        'user-agent': 'dotnet',
        host: 's3.us-west-1.amazonaws.com',
        date: 'Tue, 27 Mar 2007 21:20:27 +0000',
        'x-amz-date': 'Tue, 27 Mar 2007 21:20:26 +0000',
      },
    },
    date: 'Tue, 27 Mar 2007 21:20:26 +0000',
    stringToSign: 'DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg',
    signature: 'XbyTlbQdu9Xw5o8P4iMwPktxQd8=',
  },
  {
    name: 'Upload (CNAME bucket, repeated and mixed-case x-amz- headers)',
    req: {
      method: 'PUT',
      rawPath: '/db-backup.dat.gz',
      rawQuery: '',
      virtualHostBucket: 'static.awsexamplebucket1.net',
      headers: {
        'user-agent': 'curl/7.15.5',
        host: 'static.awsexamplebucket1.net:8080',
        date: 'Tue, 27 Mar 2007 21:06:08 +0000',
        'x-amz-acl': 'public-read',
        'content-type': 'application/x-download',
        'content-md5': '4gJE4saaMU4BqNR0kLY+lw==',
        // Node joins repeated headers with ', ': the signer joined them with ','.
        'x-amz-meta-reviewedby': 'joe@awsexamplebucket1.net, jane@awsexamplebucket1.net',
        'x-amz-meta-filechecksum': '0x02661779',
        'x-amz-meta-checksumalgorithm': 'crc32',
        'content-disposition': 'attachment; filename=database.dat',
        'content-encoding': 'gzip',
        'content-length': '5913339',
      },
      rawHeaders: [
        'User-Agent',
        'curl/7.15.5',
        'Host',
        'static.awsexamplebucket1.net:8080',
        'Date',
        'Tue, 27 Mar 2007 21:06:08 +0000',
        'x-amz-acl',
        'public-read',
        'content-type',
        'application/x-download',
        'Content-MD5',
        '4gJE4saaMU4BqNR0kLY+lw==',
        'X-Amz-Meta-ReviewedBy',
        'joe@awsexamplebucket1.net',
        'X-Amz-Meta-ReviewedBy',
        'jane@awsexamplebucket1.net',
        'X-Amz-Meta-FileChecksum',
        '0x02661779',
        'X-Amz-Meta-ChecksumAlgorithm',
        'crc32',
        'Content-Disposition',
        'attachment; filename=database.dat',
        'Content-Encoding',
        'gzip',
        'Content-Length',
        '5913339',
      ],
    },
    date: 'Tue, 27 Mar 2007 21:06:08 +0000',
    stringToSign:
      'PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n' +
      'x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n' +
      'x-amz-meta-reviewedby:joe@awsexamplebucket1.net,jane@awsexamplebucket1.net\n' +
      '/static.awsexamplebucket1.net/db-backup.dat.gz',
    signature: 'dKZcB+bz2EPXgSdXZp9ozGeOM4I=',
  },
  {
    name: 'List all my buckets',
    req: {
      method: 'GET',
      rawPath: '/',
      rawQuery: '',
      headers: { host: 's3.us-west-1.amazonaws.com', date: 'Wed, 28 Mar 2007 01:29:59 +0000' },
    },
    date: 'Wed, 28 Mar 2007 01:29:59 +0000',
    stringToSign: 'GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/',
    signature: 'qGdzdERIC03wnaRNKh6OqZehG9s=',
  },
  {
    name: 'Unicode keys (the path is signed as sent, escapes and case included)',
    req: {
      method: 'GET',
      rawPath: '/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re',
      rawQuery: '',
      headers: { host: 's3.us-west-1.amazonaws.com', date: 'Wed, 28 Mar 2007 01:49:49 +0000' },
    },
    date: 'Wed, 28 Mar 2007 01:49:49 +0000',
    stringToSign: 'GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re',
    signature: 'DNEZGsoieTZ92F3bUfSPQcbGmlM=',
  },
];

const withAuthorization = (ex: DocExample, signature = ex.signature, akid = AKID): AuthRequest => ({
  ...ex.req,
  headers: { ...ex.req.headers, authorization: `AWS ${akid}:${signature}` },
});

const docExample = (name: string): DocExample =>
  DOC_EXAMPLES.find((e) => e.name.startsWith(name)) as DocExample;

describe('SigV2 header authentication: AWS documentation examples', () => {
  it.each(DOC_EXAMPLES)('$name: the documented string to sign has the documented signature', (ex) => {
    expect(signV2(SECRET, ex.stringToSign)).toBe(ex.signature);
  });

  it.each(DOC_EXAMPLES)('$name: verifies and authenticates like a SigV4 request', (ex) => {
    expect(authenticate(withAuthorization(ex), optsAt(ex.date))).toEqual({
      accessKeyId: AKID,
      payload: { kind: 'unsigned' },
      presigned: false,
    });
  });

  it.each(DOC_EXAMPLES)('$name: a wrong signature is SignatureDoesNotMatch', (ex) => {
    const e = expectS3Error(
      () => authenticate(withAuthorization(ex, 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='), optsAt(ex.date)),
      'SignatureDoesNotMatch',
    );
    expect(e.extra.AWSAccessKeyId).toBe(AKID);
    expect(e.extra.SignatureProvided).toBe('AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    expect(e.extra.StringToSign).toMatch(/\n\/[^\n]*$/);
  });

  it('reports the documented string to sign on a mismatch', () => {
    const ex = docExample('Upload');
    const e = expectS3Error(
      () => authenticate(withAuthorization(ex, 'x'), optsAt(ex.date)),
      'SignatureDoesNotMatch',
    );
    expect(e.extra.StringToSign).toBe(ex.stringToSign);
    expect(e.extra.StringToSignBytes?.startsWith('50 55 54 0a')).toBe(true);
  });

  it('repeated x-amz- headers join with "," from rawHeaders; without them the joined value is signed', () => {
    const ex = docExample('Upload');
    const { rawHeaders: _unused, ...noRaw } = withAuthorization(ex);
    expectS3Error(() => authenticate(noRaw, optsAt(ex.date)), 'SignatureDoesNotMatch');
    const asArray = {
      ...noRaw,
      headers: {
        ...noRaw.headers,
        'x-amz-meta-reviewedby': ['joe@awsexamplebucket1.net', 'jane@awsexamplebucket1.net'],
      },
    } as unknown as AuthRequest;
    authenticate(asArray, optsAt(ex.date));
  });

  it('x-amz-date: the documented empty Date line and botocore Date-header reading verify too', () => {
    const ex = docExample('Delete');
    const amz = 'x-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n';
    const resource = '/awsexamplebucket1/photos/puppy.jpg';
    const spec = signV2(SECRET, `DELETE\n\n\n\n${amz}${resource}`);
    const botocore = signV2(SECRET, `DELETE\n\n\nTue, 27 Mar 2007 21:20:27 +0000\n${amz}${resource}`);
    authenticate(withAuthorization(ex, spec), optsAt(ex.date));
    authenticate(withAuthorization(ex, botocore), optsAt(ex.date));
    // The documented (spec) reading is what a mismatch reports.
    const e = expectS3Error(
      () => authenticate(withAuthorization(ex, 'x'), optsAt(ex.date)),
      'SignatureDoesNotMatch',
    );
    expect(e.extra.StringToSign).toBe(`DELETE\n\n\n\n${amz}${resource}`);
  });
});

// ---------------------------------------------------------------------------
// Requests produced by botocore 1.42.97 (signature_version='s3', HmacV1Auth), captured before
// sending: path-style and virtual-hosted addressing sign the same resource.
// ---------------------------------------------------------------------------
const BOTO_DATE = 'Thu, 26 Nov 2026 20:43:48 GMT';
const HOSTILE_PATH = '/dir/%F0%9F%98%80%20%252F%2Bkey%3F%26%3D';

describe('SigV2 header authentication: botocore requests', () => {
  const boto = (
    method: string,
    path: string,
    rawQuery: string,
    signature: string,
    extra: Record<string, string> = {},
  ): AuthRequest[] => {
    const headers = { date: BOTO_DATE, authorization: `AWS ${AKID}:${signature}`, ...extra };
    return [
      {
        method,
        rawPath: `/bkt${path === '/' ? '' : path}`,
        rawQuery,
        headers: { ...headers, host: 's3.local:9000' },
      },
      {
        method,
        rawPath: path,
        rawQuery,
        virtualHostBucket: 'bkt',
        headers: { ...headers, host: 'bkt.s3.local:9000' },
      },
    ];
  };

  it.each([
    [
      'PutObject of a hostile key with metadata (inner spaces kept) and a checksum',
      boto('PUT', HOSTILE_PATH, '', 'vvlY3/W9AavEUZmw8C1a5itYEy8=', {
        'x-amz-meta-a': 'b  c',
        'content-type': 'text/plain',
        'x-amz-checksum-crc32': 'NhCmhg==',
        'x-amz-sdk-checksum-algorithm': 'CRC32',
        expect: '100-continue',
        'content-length': '5',
      }),
    ],
    [
      'GetObject with versionId and a response override (values signed decoded)',
      boto(
        'GET',
        '/k',
        'versionId=v%201&response-content-type=text%2Fplain%3B%20charset%3Dutf-8',
        '5nB80Pg4D2vzowBzDRrE/oYj7Ls=',
        { 'x-amz-checksum-mode': 'ENABLED' },
      ),
    ],
    [
      'ListObjects (the bucket is signed as /bkt/ in both styles)',
      boto('GET', '/', 'prefix=a%20b&delimiter=%2F&encoding-type=url', '9VQ+L0JUViLDqB2is2jAxEUybUw='),
    ],
    [
      'PutObjectAcl',
      boto('PUT', '/k', 'acl', 'xcd/hlJ6D3eZKZK37roLH/bswoM=', {
        'x-amz-acl': 'public-read',
        'x-amz-checksum-crc32': 'AAAAAA==',
        'x-amz-sdk-checksum-algorithm': 'CRC32',
        'content-length': '0',
      }),
    ],
  ])('%s', (_name, reqs) => {
    for (const req of reqs) {
      expect(authenticate(req, optsAt(BOTO_DATE)).accessKeyId).toBe(AKID);
    }
  });

  it('a path-style request for a bucket verifies as /bkt as well as /bkt/', () => {
    const sig = signV2(SECRET, `GET\n\n\n${BOTO_DATE}\n/bkt`);
    const req: AuthRequest = {
      method: 'GET',
      rawPath: '/bkt',
      rawQuery: '',
      headers: { date: BOTO_DATE, authorization: `AWS ${AKID}:${sig}`, host: 'h' },
    };
    authenticate(req, optsAt(BOTO_DATE));
  });
});

describe('SigV2 header authentication: time, keys and malformed headers', () => {
  const ex = docExample('Object GET');
  const req = withAuthorization(ex);
  const at = Date.parse(ex.date);

  it('accepts 15 minutes of clock skew either way; more is RequestTimeTooSkewed', () => {
    authenticate(req, { ...optsAt(ex.date), nowMs: at + 15 * 60_000 });
    authenticate(req, { ...optsAt(ex.date), nowMs: at - 15 * 60_000 });
    const e = expectS3Error(
      () => authenticate(req, { ...optsAt(ex.date), nowMs: at + 15 * 60_000 + 1000 }),
      'RequestTimeTooSkewed',
    );
    expect(e.extra.MaxAllowedSkewMilliseconds).toBe('900000');
    expectS3Error(
      () => authenticate(req, { ...optsAt(ex.date), nowMs: at - 16 * 60_000 }),
      'RequestTimeTooSkewed',
    );
  });

  it('x-amz-date decides the request time when present', () => {
    const d = docExample('Delete');
    // Date is 21:20:27; x-amz-date is 21:20:26, so 15 minutes after x-amz-date + 1 s is skewed.
    expectS3Error(
      () =>
        authenticate(withAuthorization(d), {
          ...optsAt(d.date),
          nowMs: Date.parse(d.date) + 15 * 60_000 + 1000,
        }),
      'RequestTimeTooSkewed',
    );
  });

  it.each([
    ['no Date or x-amz-date', { date: undefined }],
    ['an unreadable x-amz-date', { 'x-amz-date': 'Bad Date' }],
    ['an empty x-amz-date', { 'x-amz-date': '' }],
    ['a date before the epoch', { 'x-amz-date': 'Tue, 07 Jul 1950 21:53:04 GMT' }],
  ])('%s is AccessDenied', (_name, headers) => {
    const r = { ...req, headers: { ...req.headers, ...headers } };
    const e = expectS3Error(() => authenticate(r, optsAt(ex.date)), 'AccessDenied');
    expect(e.message).toBe('AWS authentication requires a valid Date or x-amz-date header');
  });

  it('dates far away are RequestTimeTooSkewed', () => {
    for (const d of ['Tue, 07 Jul 2010 21:53:04 GMT', 'Tue, 07 Jul 9999 21:53:04 GMT']) {
      const r = { ...req, headers: { ...req.headers, 'x-amz-date': d } };
      expectS3Error(
        () => authenticate(r, { ...optsAt(ex.date), nowMs: Date.UTC(2026, 0, 1) }),
        'RequestTimeTooSkewed',
      );
    }
  });

  it('an unknown access key is InvalidAccessKeyId', () => {
    const e = expectS3Error(
      () => authenticate(withAuthorization(ex, ex.signature, 'AKIAUNKNOWN'), optsAt(ex.date)),
      'InvalidAccessKeyId',
    );
    expect(e.extra.AWSAccessKeyId).toBe('AKIAUNKNOWN');
  });

  it.each(['AWS HAHAHA', 'AWS :qgk2+6Sv9/oM7G3qLEjTH1a1l1g=', `AWS ${AKID}:`, 'AWS '])(
    'a malformed header %j is InvalidArgument',
    (authorization) => {
      const r = { ...req, headers: { ...req.headers, authorization } };
      const e = expectS3Error(() => authenticate(r, optsAt(ex.date)), 'InvalidArgument');
      expect(e.extra.ArgumentName).toBe('Authorization');
    },
  );

  it('spaces around the key id and signature are ignored', () => {
    const r = { ...req, headers: { ...req.headers, authorization: `AWS  ${AKID} : ${ex.signature} ` } };
    authenticate(r, optsAt(ex.date));
  });

  it('a signature is compared exactly (base64 is case-sensitive)', () => {
    expectS3Error(
      () => authenticate(withAuthorization(ex, ex.signature.toLowerCase()), optsAt(ex.date)),
      'SignatureDoesNotMatch',
    );
  });

  it('a header and query-string authentication together are InvalidArgument', () => {
    for (const q of ['Signature=x&AWSAccessKeyId=y&Expires=1', 'X-Amz-Signature=abc']) {
      expectS3Error(() => authenticate({ ...req, rawQuery: q }, optsAt(ex.date)), 'InvalidArgument');
    }
  });

  it('signs the method, Content-MD5 and Content-Type positionally: changing one fails', () => {
    const put = withAuthorization(docExample('Object PUT'));
    const date = docExample('Object PUT').date;
    authenticate(put, optsAt(date));
    for (const h of [{ 'content-type': 'image/png' }, { 'content-md5': '4gJE4saaMU4BqNR0kLY+lw==' }]) {
      expectS3Error(
        () => authenticate({ ...put, headers: { ...put.headers, ...h } }, optsAt(date)),
        'SignatureDoesNotMatch',
      );
    }
    expectS3Error(() => authenticate({ ...put, method: 'POST' }, optsAt(date)), 'SignatureDoesNotMatch');
    expectS3Error(
      () => authenticate({ ...put, headers: { ...put.headers, 'x-amz-acl': 'public-read' } }, optsAt(date)),
      'SignatureDoesNotMatch',
    );
  });

  it('an added sub-resource breaks the signature; an added plain parameter does not', () => {
    expectS3Error(() => authenticate({ ...req, rawQuery: 'acl' }, optsAt(ex.date)), 'SignatureDoesNotMatch');
    expectS3Error(
      () => authenticate({ ...req, rawQuery: 'versionId=1' }, optsAt(ex.date)),
      'SignatureDoesNotMatch',
    );
    authenticate({ ...req, rawQuery: 'x-id=GetObject&foo=bar' }, optsAt(ex.date));
  });

  it('the virtual-host bucket is part of the signed resource', () => {
    expectS3Error(
      () => authenticate({ ...req, virtualHostBucket: 'otherbucket' }, optsAt(ex.date)),
      'SignatureDoesNotMatch',
    );
    expectS3Error(
      () => authenticate({ ...req, virtualHostBucket: undefined }, optsAt(ex.date)),
      'SignatureDoesNotMatch',
    );
  });

  it('the body mode: unsigned, or what a signed x-amz-content-sha256 says', () => {
    const sha = 'a'.repeat(64);
    const stsFor = (v: string) =>
      `GET\n\n\n${ex.date}\nx-amz-content-sha256:${v}\n/awsexamplebucket1/photos/puppy.jpg`;
    const withSha = (v: string): AuthRequest => ({
      ...ex.req,
      headers: {
        ...ex.req.headers,
        'x-amz-content-sha256': v,
        authorization: `AWS ${AKID}:${signV2(SECRET, stsFor(v))}`,
      },
    });
    expect(authenticate(withSha(sha), optsAt(ex.date)).payload).toEqual({ kind: 'sha256', sha256Hex: sha });
    expect(authenticate(withSha('UNSIGNED-PAYLOAD'), optsAt(ex.date)).payload).toEqual({ kind: 'unsigned' });
    expect(authenticate(withSha('STREAMING-UNSIGNED-PAYLOAD-TRAILER'), optsAt(ex.date)).payload).toEqual({
      kind: 'streaming-unsigned-trailer',
    });
    expectS3Error(
      () => authenticate(withSha('STREAMING-AWS4-HMAC-SHA256-PAYLOAD'), optsAt(ex.date)),
      'InvalidRequest',
    );
    expectS3Error(() => authenticate(withSha('nonsense'), optsAt(ex.date)), 'InvalidArgument');
  });
});

describe('SigV2 query-string authentication (presigned URLs)', () => {
  // The documentation's example, with the bucket its signature was made for.
  const docPresigned = (
    query = 'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620',
  ): AuthRequest => ({
    method: 'GET',
    rawPath: '/photos/puppy.jpg',
    rawQuery: query,
    virtualHostBucket: 'johnsmith',
    headers: { host: 'johnsmith.s3.amazonaws.com', date: 'Mon, 26 Mar 2007 19:37:58 +0000' },
  });
  const before = { lookup, region: 'us-east-1', nowMs: 1175139620_000 - 60_000 };

  it('the documented string to sign has the documented signature', () => {
    expect(signV2(SECRET, 'GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg')).toBe(
      'NpgCjnDzrM+WFzoENXmpNDUsSn8=',
    );
  });

  it('the documented URL verifies as presigned, with an unsigned body and no Date check', () => {
    expect(authenticate(docPresigned(), before)).toEqual({
      accessKeyId: AKID,
      payload: { kind: 'unsigned' },
      presigned: true,
    });
    // Up to the second it expires.
    authenticate(docPresigned(), { ...before, nowMs: 1175139620_000 });
  });

  it('after Expires it is AccessDenied "Request has expired"', () => {
    const e = expectS3Error(
      () => authenticate(docPresigned(), { ...before, nowMs: 1175139620_000 + 1000 }),
      'AccessDenied',
    );
    expect(e.message).toBe('Request has expired');
    expect(e.extra.Expires).toBe('2007-03-29T03:40:20.000Z');
  });

  it('a signature whose "+" arrived unencoded (read as a space) still verifies', () => {
    authenticate(
      docPresigned(
        'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM+WFzoENXmpNDUsSn8%3D&Expires=1175139620',
      ),
      before,
    );
  });

  it.each([
    [
      'a tampered signature',
      'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn9%3D&Expires=1175139620',
      'SignatureDoesNotMatch',
    ],
    [
      'a changed Expires',
      'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139621',
      'SignatureDoesNotMatch',
    ],
    [
      'an added sub-resource',
      'acl&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620',
      'SignatureDoesNotMatch',
    ],
    [
      'an unknown key',
      'AWSAccessKeyId=AKIAOTHER&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620',
      'InvalidAccessKeyId',
    ],
    [
      'no Expires',
      'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D',
      'AccessDenied',
    ],
    ['no AWSAccessKeyId', 'Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620', 'AccessDenied'],
    [
      'a non-numeric Expires',
      'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=soon',
      'AccessDenied',
    ],
  ])('%s is %s', (_name, query, code) => {
    const e = expectS3Error(() => authenticate(docPresigned(query), before), code);
    if (code === 'SignatureDoesNotMatch')
      expect(e.extra.StringToSign).toMatch(/^GET\n\n\n117513962\d\n\/johnsmith\/photos\/puppy\.jpg/);
  });

  it('botocore presigned GET with a response override, path-style and virtual-hosted', () => {
    const query =
      'response-content-type=text%2Fplain&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=qkRRqUs6SpykwOrHkHuEHCcyniU%3D&Expires=1795729428';
    const opts = { lookup, region: 'us-east-1', nowMs: Date.parse(BOTO_DATE) };
    authenticate({ method: 'GET', rawPath: '/bkt/a%20b/c', rawQuery: query, headers: { host: 'h' } }, opts);
    authenticate(
      {
        method: 'GET',
        rawPath: '/a%20b/c',
        rawQuery: query,
        virtualHostBucket: 'bkt',
        headers: { host: 'h' },
      },
      opts,
    );
  });

  it('botocore presigned PUT: content-type and x-amz-* moved into the query are signed from there', () => {
    const query =
      'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=xQxGSF5fI7FPnQT699pytQlfp08%3D&content-type=text%2Fplain&x-amz-acl=public-read&Expires=1795729428';
    const opts = { lookup, region: 'us-east-1', nowMs: Date.parse(BOTO_DATE) };
    const req: AuthRequest = { method: 'PUT', rawPath: '/bkt/k', rawQuery: query, headers: { host: 'h' } };
    authenticate(req, opts);
    // A Content-Type header, when sent, is what is signed.
    authenticate({ ...req, headers: { host: 'h', 'content-type': 'text/plain' } }, opts);
    expectS3Error(
      () => authenticate({ ...req, headers: { host: 'h', 'content-type': 'image/png' } }, opts),
      'SignatureDoesNotMatch',
    );
  });
});

describe('SigV2 canonicalization', () => {
  it('CanonicalizedResource: sub-resources sorted by name, values decoded, others dropped', () => {
    expect(
      canonicalizedResource(
        '/b/k%20x',
        'versionId=a%2Bb&uploadId=U%3D1&prefix=p&acl&partNumber=2&AWSAccessKeyId=A&Signature=S&Expires=1',
        undefined,
      ),
    ).toBe('/b/k%20x?acl&partNumber=2&uploadId=U=1&versionId=a+b');
    expect(canonicalizedResource('/', 'tagging=', 'bkt')).toBe('/bkt/?tagging=');
    expect(canonicalizedResource('/k', 'x-id=GetObject', 'bkt')).toBe('/bkt/k');
    expect(
      canonicalizedResource(
        '/k',
        'response-content-disposition=attachment%3B%20filename%3D%22a%2Bb%22',
        undefined,
      ),
    ).toBe('/k?response-content-disposition=attachment; filename="a+b"');
  });

  it('CanonicalizedAmzHeaders: lower-cased, sorted, repeats joined, values trimmed and unfolded', () => {
    expect(
      canonicalizedAmzHeaders([
        ['X-Amz-Meta-B', ' two '],
        ['x-amz-acl', 'private'],
        ['Content-Type', 'x'],
        ['X-AMZ-META-B', 'three\r\n  folded'],
        ['x-amz-meta-a', 'a  b'],
      ]),
    ).toBe('x-amz-acl:private\nx-amz-meta-a:a  b\nx-amz-meta-b:two,three folded\n');
    expect(canonicalizedAmzHeaders([['x-amz-date', 'd']], 'x-amz-date')).toBe('');
  });

  it('stringToSignV2 joins the positional lines and the rest', () => {
    expect(stringToSignV2('PUT', 'm', 't', 'd', 'x-amz-a:1\n', '/b/k')).toBe('PUT\nm\nt\nd\nx-amz-a:1\n/b/k');
  });
});
