import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { signingKey } from '../auth/signing-key.js';
import { isS3Error } from '../s3-errors.js';
import {
  AwsChunkedDecoder,
  type AwsChunkedDecoderOptions,
  type ChunkSigning,
} from './aws-chunked-decoder.js';
import { awsChunkedEncode } from './aws-chunked-encode.js';

type Split = 'whole' | 'bytewise' | 'random';

function pieces(body: Buffer, split: Split): Buffer[] {
  if (split === 'whole') return [body];
  if (split === 'bytewise') return Array.from({ length: body.length }, (_, i) => body.subarray(i, i + 1));
  const out: Buffer[] = [];
  for (let off = 0; off < body.length; ) {
    const n = Math.min(body.length - off, 1 + Math.floor(Math.random() * 300));
    out.push(body.subarray(off, off + n));
    off += n;
  }
  return out;
}

interface Decoded {
  data: Buffer;
  outputs: Buffer[];
  trailers: ReadonlyMap<string, string>;
  error: { code: string } | undefined;
}

async function decode(
  body: Buffer,
  opts: AwsChunkedDecoderOptions,
  split: Split = 'whole',
): Promise<Decoded> {
  const decoder = new AwsChunkedDecoder(opts);
  const outputs: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      outputs.push(chunk);
      cb();
    },
  });
  let error: { code: string } | undefined;
  try {
    await pipeline(Readable.from(pieces(body, split)), decoder, sink);
  } catch (err) {
    if (!isS3Error(err)) throw err;
    error = err;
  }
  return { data: Buffer.concat(outputs), outputs, trailers: decoder.trailers, error };
}

// AWS S3 API reference, "Signature Calculations for the Authorization Header: Transferring Payload in
// Multiple Chunks" (sigv4-streaming.html): 66560 bytes of 'a' as 65536 + 1024 + 0, seed 4f232c43….
const DOC_KEY = signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1');
const DOC_SIGNING: ChunkSigning = {
  seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  signingKey: DOC_KEY,
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
};
const frame = (size: number, sig: string): string =>
  `${size.toString(16)};chunk-signature=${sig}\r\n${'a'.repeat(size)}${size ? '\r\n' : ''}`;
const DOC_BODY = Buffer.from(
  `${frame(65536, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648')}${frame(1024, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497')}${frame(0, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9')}\r\n`,
);
// AWS S3 API reference, "Signature calculations for trailing headers" (sigv4-streaming-trailers.html): same data,
// seed 106e2a8a…, chunk signatures b474d886… / 1c1344b1… / 2ca2aba2… (reproduced exactly), trailer
// x-amz-checksum-crc32c:sOO8/Q== (the real CRC32C of the data). The page prints the trailer signature
// 63bddb24…, which no canonical form we tried reproduces; the value below is HMAC(signing key,
// "AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n<scope>\n2ca2aba2…\n1e376db7…"), where 1e376db7… =
// sha256("x-amz-checksum-crc32c:sOO8/Q==\n") is the string-to-sign line versity's S3 gateway test expects,
// and "name:value\n" (sorted) is how the SDKs (smithy-kotlin, aws-c-auth) canonicalize trailers.
const DOC_TRAILER_SIGNING: ChunkSigning = {
  ...DOC_SIGNING,
  seedSignature: '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
};
const DOC_TRAILER_BODY = Buffer.from(
  `${frame(65536, 'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2')}${frame(1024, '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7')}${frame(0, '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992')}` +
    'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n',
);
const A66560 = Buffer.alloc(66560, 'a');

describe('AwsChunkedDecoder: AWS documentation examples', () => {
  it.each(['whole', 'random', 'bytewise'] as const)(
    'decodes and verifies the signed chunked PUT example (%s)',
    async (split) => {
      const r = await decode(DOC_BODY, { signing: DOC_SIGNING, declaredTrailers: [] }, split);
      expect(r.error).toBeUndefined();
      expect(r.data.equals(A66560)).toBe(true);
    },
  );

  it.each(['whole', 'random', 'bytewise'] as const)(
    'verifies the signed trailer example (%s)',
    async (split) => {
      const r = await decode(
        DOC_TRAILER_BODY,
        { signing: DOC_TRAILER_SIGNING, declaredTrailers: ['x-amz-checksum-crc32c'] },
        split,
      );
      expect(r.error).toBeUndefined();
      expect(r.data.equals(A66560)).toBe(true);
      expect([...r.trailers]).toEqual([['x-amz-checksum-crc32c', 'sOO8/Q==']]);
    },
  );

  it('our encoder reproduces the documented bodies byte for byte', () => {
    const chunks = [A66560.subarray(0, 65536), A66560.subarray(65536)];
    expect(awsChunkedEncode(chunks, { signing: DOC_SIGNING }).equals(DOC_BODY)).toBe(true);
    expect(
      awsChunkedEncode(chunks, {
        signing: DOC_TRAILER_SIGNING,
        trailers: [['x-amz-checksum-crc32c', 'sOO8/Q==']],
      }).equals(DOC_TRAILER_BODY),
    ).toBe(true);
  });

  it('a changed byte, a reordered chunk or a wrong seed is SignatureDoesNotMatch', async () => {
    const tampered = Buffer.from(DOC_BODY);
    tampered[100] = 'b'.charCodeAt(0);
    expect((await decode(tampered, { signing: DOC_SIGNING, declaredTrailers: [] })).error?.code).toBe(
      'SignatureDoesNotMatch',
    );
    const wrongSeed = { ...DOC_SIGNING, seedSignature: 'f'.repeat(64) };
    expect((await decode(DOC_BODY, { signing: wrongSeed, declaredTrailers: [] })).error?.code).toBe(
      'SignatureDoesNotMatch',
    );
    const chunks = [A66560.subarray(0, 1024), A66560.subarray(1024, 65536)];
    // Chunk signatures chain: swapping the frames of a correctly signed body must fail.
    const good = awsChunkedEncode(chunks, { signing: DOC_SIGNING });
    expect((await decode(good, { signing: DOC_SIGNING, declaredTrailers: [] })).error).toBeUndefined();
    const firstLen = good.indexOf('\r\n', good.indexOf('\r\n') + 2) + 2;
    const secondLen = good.indexOf('\r\n', good.indexOf('\r\n', firstLen) + 2) + 2;
    const swapped = Buffer.concat([
      good.subarray(firstLen, secondLen),
      good.subarray(0, firstLen),
      good.subarray(secondLen),
    ]);
    expect((await decode(swapped, { signing: DOC_SIGNING, declaredTrailers: [] })).error?.code).toBe(
      'SignatureDoesNotMatch',
    );
  });

  it('a tampered trailer value or trailer signature is SignatureDoesNotMatch', async () => {
    const badValue = Buffer.from(
      DOC_TRAILER_BODY.toString('latin1').replace('sOO8/Q==', 'sOO8/R=='),
      'latin1',
    );
    expect(
      (await decode(badValue, { signing: DOC_TRAILER_SIGNING, declaredTrailers: ['x-amz-checksum-crc32c'] }))
        .error?.code,
    ).toBe('SignatureDoesNotMatch');
    const badSig = Buffer.from(DOC_TRAILER_BODY.toString('latin1').replace('d81f82fc', 'd81f82fd'), 'latin1');
    expect(
      (await decode(badSig, { signing: DOC_TRAILER_SIGNING, declaredTrailers: ['x-amz-checksum-crc32c'] }))
        .error?.code,
    ).toBe('SignatureDoesNotMatch');
  });
});

describe('AwsChunkedDecoder: framing', () => {
  const unsigned = (declaredTrailers: string[] = []): AwsChunkedDecoderOptions => ({
    signing: undefined,
    declaredTrailers,
  });

  it('passes data through as views of the input, without copies', async () => {
    const data = randomBytes(5000);
    const body = awsChunkedEncode([data.subarray(0, 3000), data.subarray(3000)]);
    const r = await decode(body, unsigned());
    expect(r.data.equals(data)).toBe(true);
    for (const out of r.outputs) expect(out.buffer).toBe(body.buffer);
  });

  it.each(['whole', 'random', 'bytewise'] as const)(
    'decodes the exact body the AWS SDK for JS sends (%s)',
    async (split) => {
      // Byte-exact copy of @smithy getAwsChunkedEncodingStream output for "hello world" with a CRC32 trailer.
      const body = Buffer.from('b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
      const r = await decode(body, unsigned(['x-amz-checksum-crc32']), split);
      expect(r.error).toBeUndefined();
      expect(r.data.toString()).toBe('hello world');
      expect(r.trailers.get('x-amz-checksum-crc32')).toBe('DUoRhQ==');
    },
  );

  it('accepts the SDK end without final CRLF only when no trailer is declared', async () => {
    const body = awsChunkedEncode([Buffer.from('abc')], { sdkStyleEnd: true });
    expect(body.toString()).toBe('3\r\nabc\r\n0\r\n');
    expect((await decode(body, unsigned())).error).toBeUndefined();
    expect((await decode(body, unsigned(['x-amz-checksum-crc32']))).error?.code).toBe('IncompleteBody');
  });

  it('decodes random bodies with many chunk sizes under random and bytewise splits', async () => {
    for (let round = 0; round < 20; round++) {
      const chunks = Array.from({ length: 1 + Math.floor(Math.random() * 6) }, () =>
        randomBytes(Math.floor(Math.random() * 3000)),
      );
      const signing =
        round % 2 === 0 ? { ...DOC_SIGNING, seedSignature: randomBytes(32).toString('hex') } : undefined;
      const trailers: [string, string][] =
        round % 3 === 0 ? [['x-amz-checksum-sha256', randomBytes(32).toString('base64')]] : [];
      const body = awsChunkedEncode(chunks, { signing, trailers });
      const r = await decode(
        body,
        { signing, declaredTrailers: trailers.map(([n]) => n) },
        round % 5 === 0 ? 'bytewise' : 'random',
      );
      expect(r.error).toBeUndefined();
      expect(r.data.equals(Buffer.concat(chunks))).toBe(true);
      expect([...r.trailers]).toEqual(trailers);
    }
  });

  it('accepts an empty body (just the last chunk)', async () => {
    const r = await decode(Buffer.from('0\r\n\r\n'), unsigned());
    expect(r.error).toBeUndefined();
    expect(r.data.length).toBe(0);
  });

  it.each([
    ['truncated in data', '5\r\nhel', 'IncompleteBody'],
    ['truncated in header', '5', 'IncompleteBody'],
    ['missing last chunk', '5\r\nhello\r\n', 'IncompleteBody'],
    ['empty input', '', 'IncompleteBody'],
    ['bad hex size', 'zz\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['negative size', '-5\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['size with spaces', ' 5\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['LF-only header line', '5\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['data longer than size', '5\r\nhello!\r\n0\r\n\r\n', 'InvalidRequest'],
    ['data shorter than size', '6\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['chunk extension when unsigned', '5;chunk-signature=abc\r\nhello\r\n0\r\n\r\n', 'InvalidRequest'],
    ['bytes after the end', '5\r\nhello\r\n0\r\n\r\nmore', 'InvalidRequest'],
    ['undeclared trailer', '0\r\nx-amz-meta-evil:1\r\n\r\n', 'MalformedTrailerError'],
    ['trailer without colon', '0\r\nx-amz-checksum-crc32\r\n\r\n', 'MalformedTrailerError'],
    [
      'trailer signature when unsigned',
      `0\r\nx-amz-trailer-signature:${'a'.repeat(64)}\r\n\r\n`,
      'MalformedTrailerError',
    ],
  ])('%s is %s', async (_name, body, code) => {
    expect((await decode(Buffer.from(body), unsigned())).error?.code).toBe(code);
    expect((await decode(Buffer.from(body), unsigned(), 'bytewise')).error?.code).toBe(code);
  });

  it('a declared trailer must arrive exactly once, and the section must end', async () => {
    const opts = unsigned(['x-amz-checksum-crc32']);
    expect((await decode(Buffer.from('0\r\nx-amz-checksum-crc32:AAAAAA==\r\n'), opts)).error?.code).toBe(
      'IncompleteBody',
    );
    expect((await decode(Buffer.from('0\r\n\r\n'), opts)).error?.code).toBe('MalformedTrailerError');
    expect(
      (await decode(Buffer.from('0\r\nx-amz-checksum-crc32:a\r\nx-amz-checksum-crc32:a\r\n\r\n'), opts)).error
        ?.code,
    ).toBe('MalformedTrailerError');
    // Names are matched case-insensitively, values trimmed.
    const r = await decode(Buffer.from('0\r\nX-Amz-Checksum-CRC32: AAAAAA== \r\n\r\n'), opts);
    expect(r.trailers.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
  });

  it('enforces the header line, chunk size and trailer limits', async () => {
    expect((await decode(Buffer.from(`${'0'.repeat(5000)}\r\n`), unsigned())).error?.code).toBe(
      'InvalidRequest',
    );
    expect((await decode(Buffer.from('1000001\r\n'), unsigned())).error?.code).toBe('InvalidRequest');
    expect((await decode(Buffer.from('11\r\n'), { ...unsigned(), maxChunkSizeBytes: 16 })).error?.code).toBe(
      'InvalidRequest',
    );
    const big = `0\r\nx-amz-checksum-crc32:${'A'.repeat(17_000)}\r\n\r\n`;
    expect((await decode(Buffer.from(big), unsigned(['x-amz-checksum-crc32']))).error?.code).toBe(
      'MalformedTrailerError',
    );
    // A long but legal trailer (over the header-line buffer) is fine.
    const ok = `0\r\nx-amz-checksum-crc32:${'A'.repeat(6000)}\r\n\r\n`;
    expect(
      (await decode(Buffer.from(ok), unsigned(['x-amz-checksum-crc32']), 'random')).error,
    ).toBeUndefined();
  });

  it('signed bodies need a chunk-signature on every chunk and a trailer signature', async () => {
    const signing = DOC_SIGNING;
    expect(
      (await decode(Buffer.from('5\r\nhello\r\n0\r\n\r\n'), { signing, declaredTrailers: [] })).error?.code,
    ).toBe('InvalidRequest');
    expect(
      (await decode(Buffer.from('5;chunk-signature=xyz\r\nhello\r\n'), { signing, declaredTrailers: [] }))
        .error?.code,
    ).toBe('InvalidRequest');
    const noTrailerSig = awsChunkedEncode([Buffer.from('hi')], {
      signing,
      trailers: [['x-amz-checksum-crc32', 'AAAAAA==']],
    })
      .toString('latin1')
      .replace(/x-amz-trailer-signature:[0-9a-f]+\r\n/, '');
    expect(
      (
        await decode(Buffer.from(noTrailerSig, 'latin1'), {
          signing,
          declaredTrailers: ['x-amz-checksum-crc32'],
        })
      ).error?.code,
    ).toBe('MalformedTrailerError');
    // Trailers on a signed body that declared none.
    const withTrailer = awsChunkedEncode([Buffer.from('hi')], {
      signing,
      trailers: [['x-amz-checksum-crc32', 'AAAAAA==']],
    });
    expect((await decode(withTrailer, { signing, declaredTrailers: [] })).error?.code).toBe(
      'MalformedTrailerError',
    );
  });
});
