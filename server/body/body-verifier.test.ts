import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { type FlexibleChecksumAlgorithm, OffThreadHash } from '../checksums/index.js';
import { isS3Error } from '../s3-errors.js';
import { type BodyDigests, BodyVerifier, type BodyVerifierOptions } from './body-verifier.js';

const digest = (alg: string, b: Uint8Array, enc: 'hex' | 'base64'): string =>
  createHash(alg).update(b).digest(enc);

function pieces(body: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) out.push(body.subarray(i, i + size));
  return out;
}

/** Streams `body` through a BodyVerifier into a slow sink; resolves with what came out. */
async function verify(
  body: Buffer,
  opts: Partial<BodyVerifierOptions>,
  pieceBytes = 64 * 1024,
): Promise<{ out: Buffer; digests?: BodyDigests; error?: unknown }> {
  const verifier = new BodyVerifier({
    md5: true,
    contentMd5: undefined,
    sha256Hex: undefined,
    checksumAlgorithm: undefined,
    expectedChecksum: () => undefined,
    declaredSizeBytes: body.length,
    ...opts,
  });
  const parts: Buffer[] = [];
  try {
    await pipeline(
      Readable.from(pieces(body, pieceBytes)),
      verifier,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          parts.push(Buffer.from(chunk));
          setImmediate(done);
        },
      }),
    );
    return { out: Buffer.concat(parts), digests: verifier.digests() };
  } catch (error) {
    return { out: Buffer.concat(parts), error };
  }
}

describe('BodyVerifier on a hashing thread', () => {
  const body = randomBytes(3 * 1024 * 1024 + 12345);

  for (const offThread of [false, true]) {
    it(`computes MD5, SHA-256 and SHA-1 like node:crypto (offThread ${offThread})`, async () => {
      for (const alg of ['SHA256', 'SHA1', 'CRC32'] as FlexibleChecksumAlgorithm[]) {
        const r = await verify(body, {
          offThread,
          sha256Hex: digest('sha256', body, 'hex'),
          checksumAlgorithm: alg,
          expectedChecksum: () => (alg === 'SHA1' ? digest('sha1', body, 'base64') : undefined),
        });
        expect(r.error).toBeUndefined();
        expect(r.out.equals(body)).toBe(true);
        expect(r.digests?.md5Hex).toBe(digest('md5', body, 'hex'));
        if (alg === 'SHA256') {
          expect(r.digests?.checksums['x-amz-checksum-sha256']).toBe(digest('sha256', body, 'base64'));
        }
      }
    });
  }

  it('fails a wrong Content-MD5, SHA-256 or SHA-1 before the end of the stream', async () => {
    const wrong = Buffer.from(body);
    wrong.writeUInt8((wrong[2 * 1024 * 1024] ?? 0) ^ 1, 2 * 1024 * 1024);
    const md5 = await verify(wrong, { offThread: true, contentMd5: createHash('md5').update(body).digest() });
    expect(isS3Error(md5.error) && md5.error.code).toBe('BadDigest');
    const sha = await verify(wrong, { offThread: true, sha256Hex: digest('sha256', body, 'hex') });
    expect(isS3Error(sha.error) && sha.error.code).toBe('XAmzContentSHA256Mismatch');
    const sha1 = await verify(wrong, {
      offThread: true,
      checksumAlgorithm: 'SHA1',
      expectedChecksum: () => digest('sha1', body, 'base64'),
    });
    expect(isS3Error(sha1.error) && sha1.error.code).toBe('BadDigest');
  });

  it('keeps many bodies apart on shared threads, with odd chunk sizes', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(1024 * 1024 + i * 7919));
    const results = await Promise.all(bodies.map((b, i) => verify(b, { offThread: true }, 1000 + i * 4099)));
    results.forEach((r, i) => {
      expect(r.digests?.md5Hex).toBe(digest('md5', bodies[i] as Buffer, 'hex'));
    });
  });

  it('hashes bodies of at least 1 MiB off the main thread by default, small ones inline', async () => {
    const small = randomBytes(1000);
    const r = await verify(small, {});
    expect(r.digests?.md5Hex).toBe(digest('md5', small, 'hex'));
    const big = await verify(body, {});
    expect(big.digests?.md5Hex).toBe(digest('md5', body, 'hex'));
  });

  it('an abandoned body releases its hashing state; later bodies still hash', async () => {
    const verifier = new BodyVerifier({
      md5: true,
      contentMd5: undefined,
      sha256Hex: undefined,
      checksumAlgorithm: undefined,
      expectedChecksum: () => undefined,
      declaredSizeBytes: body.length,
      offThread: true,
    });
    verifier.write(body.subarray(0, 700_000));
    verifier.destroy();
    const r = await verify(body, { offThread: true });
    expect(r.digests?.md5Hex).toBe(digest('md5', body, 'hex'));
  });

  it('OffThreadHash applies backpressure when all slots are with the thread', async () => {
    const h = new OffThreadHash(['MD5']);
    let waited = 0;
    for (const piece of pieces(body, 300_000)) {
      const wait = h.update(piece);
      if (wait) {
        waited++;
        await wait;
      }
    }
    const [md5] = await h.digests();
    expect(Buffer.from(md5 as Uint8Array).toString('hex')).toBe(digest('md5', body, 'hex'));
    expect(waited).toBeGreaterThanOrEqual(0);
  });
});
