/**
 * Test data: deterministic pseudo-random bodies of any size (generated, never held
 * whole for big sizes), streaming digests, and the hostile keys every test uses.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const GEN_CHUNK_BYTES = 1024 * 1024;

function keystream(seed: string) {
  const key = createHash('sha256').update(`strata-test:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

/** `sizeBytes` deterministic pseudo-random bytes for `seed` (held in memory: keep small). */
export function bytesFor(sizeBytes: number, seed: string): Buffer {
  return keystream(seed).update(Buffer.alloc(sizeBytes));
}

/**
 * A stream of `sizeBytes` deterministic bytes for `seed`, produced 1 MiB at a time,
 * with the SHA-256 computed as the consumer reads (`digest` resolves at the end).
 */
export function generatedStream(
  sizeBytes: number,
  seed: string,
): { stream: Readable; digest: Promise<string> } {
  const ks = keystream(seed);
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(GEN_CHUNK_BYTES);
  let remaining = sizeBytes;
  let resolveDigest!: (hex: string) => void;
  const digest = new Promise<string>((r) => {
    resolveDigest = r;
  });
  const stream = new Readable({
    highWaterMark: GEN_CHUNK_BYTES,
    read() {
      if (remaining === 0) {
        resolveDigest(hash.digest('hex'));
        this.push(null);
        return;
      }
      const n = Math.min(remaining, GEN_CHUNK_BYTES);
      remaining -= n;
      const chunk = ks.update(n === GEN_CHUNK_BYTES ? zeros : zeros.subarray(0, n));
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest };
}

/** SHA-256 of the generated body for (sizeBytes, seed), computed without holding it. */
export function generatedSha256(sizeBytes: number, seed: string): string {
  const ks = keystream(seed);
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(GEN_CHUNK_BYTES);
  for (let remaining = sizeBytes; remaining > 0; ) {
    const n = Math.min(remaining, GEN_CHUNK_BYTES);
    remaining -= n;
    hash.update(ks.update(n === GEN_CHUNK_BYTES ? zeros : zeros.subarray(0, n)));
  }
  return hash.digest('hex');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5Hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** Reads a body (Node Readable, web stream or SDK stream) to the end, hashing as it goes. */
export async function sha256OfBody(body: unknown): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    sizeBytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/** Reads a (small) body to a Buffer. */
export async function bodyBytes(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** A key of exactly `bytes` UTF-8 bytes, mixing multi-byte characters and slashes. */
export function keyOfBytes(bytes: number, prefix = ''): string {
  let key = prefix;
  const unit = 'ключ/😀/';
  while (Buffer.byteLength(key + unit) <= bytes) key += unit;
  while (Buffer.byteLength(key) < bytes) key += 'x';
  if (Buffer.byteLength(key) !== bytes) throw new Error('keyOfBytes miscomputed');
  return key;
}

/**
 * Keys S3 accepts and clients get wrong: control characters, emoji, '%', '%2F', '+',
 * spaces, leading and double slashes, XML specials, and a 1024-byte key.
 */
export const HOSTILE_KEYS: readonly string[] = [
  'plain.txt',
  'ctrl\u0001\u0002\u001f\u007f-chars',
  'tab\tand\nnewline',
  'emoji 😀🎉 key',
  'percent%',
  'percent-encoded%2Fslash',
  '100%25 literal',
  'plus+sign+',
  'spaces  inside and trailing ',
  '/leading-slash',
  '//double-leading',
  'double//slash///triple',
  'trailing/slash/',
  'xml <&> "quotes" \'apos\'',
  'question?mark#hash&amp=eq;semi',
  'unicode-ü-ß-中文-עברית',
  '~tilde!star*(parens)',
  keyOfBytes(1024, 'long/'),
];

/** Hostile keys that can appear in XML 1.0 without encoding (no C0 controls other than tab/newline). */
export const XML_SAFE_HOSTILE_KEYS: readonly string[] = HOSTILE_KEYS.filter(
  (k) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(k) && !k.includes('\n'),
);

/** Decodes a key from an `encoding-type=url` listing (AWS encodes ' ' as '+'). */
export function decodeUrlKey(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

/** Compares keys the way S3 orders them: UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** SHA-256 of bytes [start, end] (inclusive) of the generated body for (sizeBytes, seed). */
export function generatedRangeSha256(sizeBytes: number, seed: string, start: number, end: number): string {
  const ks = keystream(seed);
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(GEN_CHUNK_BYTES);
  for (let off = 0; off < sizeBytes && off <= end; off += GEN_CHUNK_BYTES) {
    const n = Math.min(sizeBytes - off, GEN_CHUNK_BYTES);
    const chunk = ks.update(n === GEN_CHUNK_BYTES ? zeros : zeros.subarray(0, n));
    const from = Math.max(start - off, 0);
    const to = Math.min(end - off + 1, n);
    if (from < to) hash.update(chunk.subarray(from, to));
  }
  return hash.digest('hex');
}
