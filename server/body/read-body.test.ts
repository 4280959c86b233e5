import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { type HttpRequest, HttpResponse } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import { authenticate } from '../auth/authenticate.js';
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  parseQuery,
} from '../auth/canonical-request.js';
import { signingKey } from '../auth/signing-key.js';
import { hmacHex, stringToSign } from '../auth/string-to-sign.js';
import type { AuthRequest, AuthResult, Credentials } from '../auth/types.js';
import { checksumOf, type FlexibleChecksumAlgorithm } from '../checksums/index.js';
import { isS3Error } from '../s3-errors.js';
import { awsChunkedEncode } from './aws-chunked-encode.js';
import type { BodyDigests } from './body-verifier.js';
import { readBody } from './read-body.js';

const UNSIGNED: AuthResult = { accessKeyId: 'AK', payload: { kind: 'unsigned' }, presigned: false };
const UNSIGNED_TRAILER: AuthResult = {
  accessKeyId: 'AK',
  payload: { kind: 'streaming-unsigned-trailer' },
  presigned: false,
};
const md5Hex = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

interface Outcome {
  data: Buffer;
  digests: BodyDigests | undefined;
  error: { code: string; message: string } | undefined;
  raw: Readable;
}

function split(body: Buffer, pieceBytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += pieceBytes) out.push(body.subarray(i, i + pieceBytes));
  return out;
}

async function run(
  body: Buffer | Buffer[],
  headers: IncomingHttpHeaders,
  auth: AuthResult = UNSIGNED,
): Promise<Outcome> {
  const raw = Readable.from(Array.isArray(body) ? body : [body]);
  const rb = readBody(raw, headers, auth);
  const parts: Buffer[] = [];
  let error: Outcome['error'];
  let digests: BodyDigests | undefined;
  try {
    await pipeline(
      rb.stream,
      new Writable({
        write(chunk: Buffer, _e, cb) {
          parts.push(chunk);
          cb();
        },
      }),
    );
    digests = rb.finish();
  } catch (err) {
    if (!isS3Error(err)) throw err;
    error = err;
  }
  return { data: Buffer.concat(parts), digests, error, raw };
}

function syncError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isS3Error(err)) return err;
    throw err;
  }
  throw new Error('expected a synchronous S3Error');
}

describe('readBody: plain bodies', () => {
  it('passes the body through and returns its MD5 and the declared Content-Length', async () => {
    const body = randomBytes(100_000);
    const raw = Readable.from(split(body, 7000));
    const rb = readBody(raw, { 'content-length': String(body.length) }, UNSIGNED);
    expect(rb.declaredSizeBytes).toBe(body.length);
    expect(() => rb.finish()).toThrow();
    const parts: Buffer[] = [];
    for await (const c of rb.stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
    expect(rb.finish()).toEqual({ md5Hex: md5Hex(body), checksums: {} });
  });

  it('reports an unknown size as -1 and still works', async () => {
    const r = await run(Buffer.from('abc'), {});
    expect(r.digests?.md5Hex).toBe(md5Hex(Buffer.from('abc')));
  });

  it('fewer bytes than Content-Length is IncompleteBody', async () => {
    const r = await run(Buffer.from('abc'), { 'content-length': '4' });
    expect(r.error?.code).toBe('IncompleteBody');
  });

  it('a signed SHA-256 payload must match: XAmzContentSHA256Mismatch otherwise', async () => {
    const body = Buffer.from('Welcome to Amazon S3.');
    const sha = createHash('sha256').update(body).digest('hex');
    const auth: AuthResult = { ...UNSIGNED, payload: { kind: 'sha256', sha256Hex: sha } };
    expect((await run(body, { 'content-length': String(body.length) }, auth)).error).toBeUndefined();
    const bad = await run(
      Buffer.from('Welcome to Amazon S3!'),
      { 'content-length': String(body.length) },
      auth,
    );
    expect(bad.error?.code).toBe('XAmzContentSHA256Mismatch');
  });

  it('Content-MD5: match passes, mismatch is BadDigest, malformed is InvalidDigest (thrown eagerly)', async () => {
    const body = Buffer.from('hello');
    const good = createHash('md5').update(body).digest('base64');
    expect((await run(body, { 'content-md5': good })).error).toBeUndefined();
    const bad = await run(Buffer.from('hellO'), { 'content-md5': good });
    expect(bad.error?.code).toBe('BadDigest');
    expect(bad.error?.message).toBe('The Content-MD5 you specified did not match what we received.');
    const raw = Readable.from([body]);
    expect(syncError(() => readBody(raw, { 'content-md5': 'not base64!' }, UNSIGNED)).code).toBe(
      'InvalidDigest',
    );
    expect(syncError(() => readBody(raw, { 'content-md5': b64(randomBytes(15)) }, UNSIGNED)).code).toBe(
      'InvalidDigest',
    );
    expect(syncError(() => readBody(raw, { 'content-md5': `${good.slice(0, -2)}` }, UNSIGNED)).code).toBe(
      'InvalidDigest',
    );
  });
});

describe('readBody: flexible checksum headers', () => {
  const ALGS = [
    ['CRC32', 'x-amz-checksum-crc32'],
    ['CRC32C', 'x-amz-checksum-crc32c'],
    ['CRC64NVME', 'x-amz-checksum-crc64nvme'],
    ['SHA1', 'x-amz-checksum-sha1'],
    ['SHA256', 'x-amz-checksum-sha256'],
  ] as const;

  it.each(ALGS)('%s: a matching header is verified and returned', async (alg, name) => {
    const body = randomBytes(70_000);
    const value = b64(await checksumOf(alg, body));
    const r = await run(split(body, 9000), { [name]: value, 'content-length': String(body.length) });
    expect(r.error).toBeUndefined();
    expect(r.digests).toEqual({ md5Hex: md5Hex(body), checksums: { [name]: value } });
  });

  it.each(ALGS)('%s: a mismatching header is BadDigest with AWS wording', async (alg, name) => {
    const value = b64(await checksumOf(alg, Buffer.from('other')));
    const r = await run(Buffer.from('body'), { [name]: value });
    expect(r.error?.code).toBe('BadDigest');
    expect(r.error?.message).toBe(`The ${name} you specified did not match the calculated checksum.`);
  });

  it.each(ALGS)(
    '%s: a malformed header value is BadDigest (as ceph/s3-tests), thrown eagerly',
    (_alg, name) => {
      for (const bad of ['', 'bad', 'AAAA', '!!!!!!!!', 'A'.repeat(64)]) {
        const e = syncError(() => readBody(Readable.from([]), { [name]: bad }, UNSIGNED));
        expect(e.code).toBe('BadDigest');
        expect(e.message).toBe(`The ${name} you specified did not match the calculated checksum.`);
      }
    },
  );

  it('works for an empty body with CRC64NVME (WASM loads during flush)', async () => {
    const value = b64(await checksumOf('CRC64NVME', new Uint8Array(0)));
    const r = await run([], { 'x-amz-checksum-crc64nvme': value, 'content-length': '0' });
    expect(r.error).toBeUndefined();
    expect(r.digests?.checksums).toEqual({ 'x-amz-checksum-crc64nvme': value });
  });

  it('x-amz-checksum-sha256 together with a signed SHA-256 payload shares one hash and checks both', async () => {
    const body = Buffer.from('twice');
    const sha = createHash('sha256').update(body);
    const digest = sha.digest();
    const auth: AuthResult = { ...UNSIGNED, payload: { kind: 'sha256', sha256Hex: digest.toString('hex') } };
    const r = await run(body, { 'x-amz-checksum-sha256': b64(digest) }, auth);
    expect(r.digests?.checksums).toEqual({ 'x-amz-checksum-sha256': b64(digest) });
  });

  it('x-amz-sdk-checksum-algorithm alone computes the checksum for storage', async () => {
    const body = Buffer.from('compute me');
    const r = await run(body, { 'x-amz-sdk-checksum-algorithm': 'crc32c' });
    expect(r.digests?.checksums).toEqual({ 'x-amz-checksum-crc32c': b64(await checksumOf('CRC32C', body)) });
  });

  it('two checksum headers, an unknown or conflicting algorithm are InvalidRequest', () => {
    const raw = Readable.from([]);
    const crc = b64(Buffer.alloc(4));
    expect(
      syncError(() => readBody(raw, { 'x-amz-checksum-crc32': crc, 'x-amz-checksum-crc32c': crc }, UNSIGNED))
        .message,
    ).toBe('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    expect(syncError(() => readBody(raw, { 'x-amz-sdk-checksum-algorithm': 'md5' }, UNSIGNED)).code).toBe(
      'InvalidRequest',
    );
    expect(
      syncError(() =>
        readBody(raw, { 'x-amz-sdk-checksum-algorithm': 'SHA1', 'x-amz-checksum-crc32': crc }, UNSIGNED),
      ).code,
    ).toBe('InvalidRequest');
  });
});

// The exact wire format @aws-sdk/client-s3 (via @smithy getAwsChunkedEncodingStream) produces for a
// streamed PutObject of "hello world" with the default CRC32 checksum.
const SDK_HEADERS: IncomingHttpHeaders = {
  'content-encoding': 'aws-chunked',
  'transfer-encoding': 'chunked',
  'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'x-amz-decoded-content-length': '11',
  'x-amz-sdk-checksum-algorithm': 'CRC32',
  'x-amz-trailer': 'x-amz-checksum-crc32',
};
const SDK_BODY = 'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n';

describe('readBody: aws-chunked, unsigned with trailer (stock SDK uploads)', () => {
  it.each([1, 3, 1000])(
    'decodes and verifies the byte-exact SDK body (pieces of %i bytes)',
    async (piece) => {
      const r = await run(split(Buffer.from(SDK_BODY), piece), SDK_HEADERS, UNSIGNED_TRAILER);
      expect(r.error).toBeUndefined();
      expect(r.data.toString()).toBe('hello world');
      expect(r.digests).toEqual({
        md5Hex: md5Hex(Buffer.from('hello world')),
        checksums: { 'x-amz-checksum-crc32': 'DUoRhQ==' },
      });
    },
  );

  it('a tampered byte or trailer value is BadDigest', async () => {
    const data = await run(Buffer.from(SDK_BODY.replace('hello', 'jello')), SDK_HEADERS, UNSIGNED_TRAILER);
    expect(data.error?.code).toBe('BadDigest');
    expect(data.error?.message).toBe(
      'The x-amz-checksum-crc32 you specified did not match the calculated checksum.',
    );
    const trailer = await run(
      Buffer.from(SDK_BODY.replace('DUoRhQ==', 'DUoRhA==')),
      SDK_HEADERS,
      UNSIGNED_TRAILER,
    );
    expect(trailer.error?.code).toBe('BadDigest');
  });

  it('a malformed trailer value is InvalidRequest; a missing one is MalformedTrailerError', async () => {
    const bad = await run(Buffer.from(SDK_BODY.replace('DUoRhQ==', 'DUoRhQ')), SDK_HEADERS, UNSIGNED_TRAILER);
    expect(bad.error?.code).toBe('InvalidRequest');
    expect(bad.error?.message).toBe('Value for x-amz-checksum-crc32 trailing header is invalid.');
    const missing = await run(Buffer.from('b\r\nhello world\r\n0\r\n\r\n'), SDK_HEADERS, UNSIGNED_TRAILER);
    expect(missing.error?.code).toBe('MalformedTrailerError');
  });

  it('truncation anywhere is IncompleteBody; a wrong decoded length too', async () => {
    for (const cut of [1, 5, 20, SDK_BODY.length - 3, SDK_BODY.length - 1]) {
      const r = await run(Buffer.from(SDK_BODY.slice(0, cut)), SDK_HEADERS, UNSIGNED_TRAILER);
      expect(r.error?.code, `cut at ${cut}`).toBe('IncompleteBody');
    }
    const longer = await run(
      Buffer.from(SDK_BODY),
      { ...SDK_HEADERS, 'x-amz-decoded-content-length': '12' },
      UNSIGNED_TRAILER,
    );
    expect(longer.error?.code).toBe('IncompleteBody');
    const shorter = await run(
      Buffer.from(SDK_BODY),
      { ...SDK_HEADERS, 'x-amz-decoded-content-length': '10' },
      UNSIGNED_TRAILER,
    );
    expect(shorter.error?.code).toBe('IncompleteBody');
  });

  it('validates the chunked headers eagerly', () => {
    const raw = Readable.from([]);
    const { 'x-amz-decoded-content-length': _, ...noLength } = SDK_HEADERS;
    expect(syncError(() => readBody(raw, noLength, UNSIGNED_TRAILER)).code).toBe('MissingContentLength');
    expect(
      syncError(() =>
        readBody(raw, { ...SDK_HEADERS, 'x-amz-decoded-content-length': '-1' }, UNSIGNED_TRAILER),
      ).code,
    ).toBe('InvalidArgument');
    expect(
      syncError(() => readBody(raw, { ...SDK_HEADERS, 'x-amz-trailer': 'x-amz-meta-foo' }, UNSIGNED_TRAILER))
        .code,
    ).toBe('InvalidRequest');
    expect(
      syncError(() =>
        readBody(
          raw,
          { ...SDK_HEADERS, 'x-amz-trailer': 'x-amz-checksum-crc32,x-amz-checksum-sha1' },
          UNSIGNED_TRAILER,
        ),
      ).code,
    ).toBe('InvalidRequest');
    // A trailer on a body that is not aws-chunked.
    expect(syncError(() => readBody(raw, { 'x-amz-trailer': 'x-amz-checksum-crc32' }, UNSIGNED)).code).toBe(
      'InvalidRequest',
    );
    // A trailer and a checksum header at once.
    expect(
      syncError(() => readBody(raw, { ...SDK_HEADERS, 'x-amz-checksum-crc32': 'DUoRhQ==' }, UNSIGNED_TRAILER))
        .code,
    ).toBe('InvalidRequest');
  });

  it('Content-Encoding aws-chunked without a STREAMING-* payload is a plain body (as AWS)', async () => {
    for (const encoding of ['aws-chunked', 'gzip, aws-chunked', 'aws-chunked, gzip']) {
      const headers = { 'content-encoding': encoding, 'content-length': '3' };
      const unsigned = await run(Buffer.from('abc'), headers);
      expect(unsigned.error, encoding).toBeUndefined();
      expect(unsigned.data.toString()).toBe('abc');
      const signed: AuthResult = {
        ...UNSIGNED,
        payload: { kind: 'sha256', sha256Hex: createHash('sha256').update('abc').digest('hex') },
      };
      expect((await run(Buffer.from('abc'), headers, signed)).data.toString()).toBe('abc');
      const empty = await run([], { 'content-encoding': encoding, 'content-length': '0' });
      expect(empty.error).toBeUndefined();
      expect(empty.digests?.md5Hex).toBe(md5Hex(Buffer.alloc(0)));
    }
  });
});

// ---------------------------------------------------------------------------
// Signed streaming, end to end: a request signed here (our own SigV4 builders), authenticated, then read.
// ---------------------------------------------------------------------------
const CREDS: Credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const NOW = Date.UTC(2013, 4, 24);
const authOpts = {
  lookup: (id: string) => (id === CREDS.accessKeyId ? CREDS : undefined),
  region: 'us-east-1',
  nowMs: NOW,
};

function signedRequest(headers: Record<string, string>, path = '/bucket/key'): AuthRequest {
  const all: Record<string, string> = {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    ...headers,
  };
  const names = Object.keys(all).sort();
  const creq = canonicalRequest({
    method: 'PUT',
    canonicalUri: canonicalUri(path),
    canonicalQuery: canonicalQuery(parseQuery('')),
    canonicalHeaders: canonicalHeaders(all, names),
    signedHeaders: names.join(';'),
    payloadHash: all['x-amz-content-sha256'] ?? '',
  });
  const sig = hmacHex(
    signingKey(CREDS.secretAccessKey, '20130524', 'us-east-1'),
    stringToSign('20130524T000000Z', '20130524/us-east-1/s3/aws4_request', creq),
  );
  return {
    method: 'PUT',
    rawPath: path,
    rawQuery: '',
    headers: {
      ...all,
      authorization: `AWS4-HMAC-SHA256 Credential=${CREDS.accessKeyId}/20130524/us-east-1/s3/aws4_request, SignedHeaders=${names.join(';')}, Signature=${sig}`,
    },
  };
}

function streamingSigning(auth: AuthResult): {
  seedSignature: string;
  signingKey: Uint8Array;
  amzDate: string;
  scope: string;
} {
  if (auth.payload.kind !== 'streaming-signed') throw new Error('not streaming-signed');
  return auth.payload;
}

describe('readBody: signed aws-chunked bodies', () => {
  it('the AWS chunked-upload example reads as 66560 bytes of "a"', async () => {
    const req = signedRequest({
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'x-amz-decoded-content-length': '66560',
    });
    const auth = authenticate(req, authOpts);
    const data = Buffer.alloc(66560, 'a');
    const body = awsChunkedEncode([data.subarray(0, 65536), data.subarray(65536)], {
      signing: streamingSigning(auth),
    });
    const r = await run(split(body, 4096), req.headers, auth);
    expect(r.error).toBeUndefined();
    expect(r.data.equals(data)).toBe(true);
    expect(r.digests?.md5Hex).toBe(md5Hex(data));
  });

  it('signed chunks with a signed CRC32C trailer verify; tampering fails with the right code', async () => {
    const req = signedRequest({
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      'x-amz-decoded-content-length': '20000',
      'x-amz-trailer': 'x-amz-checksum-crc32c',
    });
    const auth = authenticate(req, authOpts);
    expect(auth.payload).toMatchObject({ kind: 'streaming-signed', trailer: true });
    const data = randomBytes(20000);
    const crc = b64(await checksumOf('CRC32C', data));
    const chunks = [data.subarray(0, 8192), data.subarray(8192, 16384), data.subarray(16384)];
    const body = awsChunkedEncode(chunks, {
      signing: streamingSigning(auth),
      trailers: [['x-amz-checksum-crc32c', crc]],
    });

    const ok = await run(split(body, 777), req.headers, auth);
    expect(ok.error).toBeUndefined();
    expect(ok.digests?.checksums).toEqual({ 'x-amz-checksum-crc32c': crc });

    const flipped = Buffer.from(body);
    flipped[9000] = (flipped[9000] as number) ^ 1;
    expect((await run(flipped, req.headers, auth)).error?.code).toBe('SignatureDoesNotMatch');

    // A wrong trailer value re-signed with the right key fails the checksum, not the signature.
    const wrongCrc = awsChunkedEncode(chunks, {
      signing: streamingSigning(auth),
      trailers: [['x-amz-checksum-crc32c', 'AAAAAA==']],
    });
    expect((await run(wrongCrc, req.headers, auth)).error?.code).toBe('BadDigest');

    // A trailer value changed in flight breaks the trailer signature.
    const edited = Buffer.from(body.toString('latin1').replace(crc, 'AAAAAA=='), 'latin1');
    expect((await run(edited, req.headers, auth)).error?.code).toBe('SignatureDoesNotMatch');

    // Truncated just before the trailer section ends.
    expect((await run(body.subarray(0, body.length - 2), req.headers, auth)).error?.code).toBe(
      'IncompleteBody',
    );
  });

  it('a body signed for another request (other seed) fails at the first chunk and leaves the socket alone', async () => {
    const headers = {
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'x-amz-decoded-content-length': '100000',
    };
    const auth = authenticate(signedRequest(headers), authOpts);
    const other = authenticate(signedRequest(headers, '/bucket/other'), authOpts);
    const data = randomBytes(100_000);
    const body = awsChunkedEncode(split(data, 10_000), { signing: streamingSigning(other) });
    const raw = new PassThrough();
    const rb = readBody(raw, signedRequest(headers).headers, auth);
    const consumed = pipeline(rb.stream, new Writable({ write: (_c, _e, cb) => cb() }));
    raw.write(body.subarray(0, 20_000)); // first chunk complete, the rest never comes
    await expect(consumed).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(raw.destroyed).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// Stock @aws-sdk/client-s3 uploads, captured from the SDK itself, authenticated and read.
// ---------------------------------------------------------------------------
async function captureSdkUpload(
  send: (c: S3Client) => Promise<unknown>,
): Promise<{ req: AuthRequest; body: Buffer }> {
  let captured: HttpRequest | undefined;
  let body = Buffer.alloc(0);
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9000',
    forcePathStyle: true,
    credentials: CREDS,
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        captured = request;
        const b: unknown = request.body;
        if (b instanceof Readable) {
          const parts: Buffer[] = [];
          for await (const c of b) parts.push(Buffer.from(c as Uint8Array));
          body = Buffer.concat(parts);
        } else if (b instanceof Uint8Array || typeof b === 'string') {
          body = Buffer.from(b);
        }
        return { response: new HttpResponse({ statusCode: 200, headers: {}, body: undefined }) };
      },
    },
  });
  await send(client).catch(() => undefined);
  if (!captured) throw new Error('nothing captured');
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(captured.headers)) headers[k.toLowerCase()] = v;
  const q = Object.entries(captured.query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return { req: { method: captured.method, rawPath: captured.path, rawQuery: q, headers }, body };
}

describe('readBody: uploads from @aws-sdk/client-s3', () => {
  const algorithms: (FlexibleChecksumAlgorithm | undefined)[] = [
    undefined,
    'CRC32',
    'CRC32C',
    'CRC64NVME',
    'SHA1',
    'SHA256',
  ];
  it.each(algorithms)('streamed PutObject with checksum %s (aws-chunked + trailer) verifies', async (alg) => {
    const data = randomBytes(150_000);
    const { req, body } = await captureSdkUpload((c) =>
      c.send(
        new PutObjectCommand({
          Bucket: 'bkt',
          Key: 'k 😀',
          Body: Readable.from(split(data, 16_384)),
          ContentLength: data.length,
          ChecksumAlgorithm: alg,
        }),
      ),
    );
    expect(req.headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    const auth = authenticate(req, { ...authOpts, nowMs: Date.now() });
    const r = await run(split(body, 5000), req.headers, auth);
    expect(r.error).toBeUndefined();
    expect(r.data.equals(data)).toBe(true);
    const name = `x-amz-checksum-${(alg ?? 'CRC32').toLowerCase()}`;
    expect(r.digests?.checksums).toEqual({ [name]: b64(await checksumOf(alg ?? 'CRC32', data)) });
    expect(r.digests?.md5Hex).toBe(md5Hex(data));
  });

  it('buffered PutObject (checksum header, signed SHA-256) verifies; a changed byte fails', async () => {
    const data = randomBytes(5000);
    const { req, body } = await captureSdkUpload((c) =>
      c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: data })),
    );
    const auth = authenticate(req, { ...authOpts, nowMs: Date.now() });
    const r = await run(body, req.headers, auth);
    expect(r.error).toBeUndefined();
    expect(Object.keys(r.digests?.checksums ?? {})).toEqual(['x-amz-checksum-crc32']);
    const flipped = Buffer.from(body);
    flipped[0] = (flipped[0] as number) ^ 1;
    const bad = await run(flipped, req.headers, auth);
    expect(['XAmzContentSHA256Mismatch', 'BadDigest']).toContain(bad.error?.code);
  });

  it('streamed UploadPart verifies', async () => {
    const data = randomBytes(70_000);
    const { req, body } = await captureSdkUpload((c) =>
      c.send(
        new UploadPartCommand({
          Bucket: 'bkt',
          Key: 'k',
          UploadId: 'u',
          PartNumber: 1,
          Body: Readable.from([data]),
          ContentLength: data.length,
        }),
      ),
    );
    const auth = authenticate(req, { ...authOpts, nowMs: Date.now() });
    const r = await run(body, req.headers, auth);
    expect(r.error).toBeUndefined();
    expect(r.data.equals(data)).toBe(true);
  });
});
