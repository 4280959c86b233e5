import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Feeds `input` to `transform` in chunks of the given sizes (cycled; default one chunk) and collects the output. */
export async function runTransform(
  transform: Transform,
  input: Uint8Array,
  chunkSizes: readonly number[] = [Math.max(1, input.byteLength)],
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let pos = 0;
  let i = 0;
  while (pos < input.byteLength) {
    const size = chunkSizes[i++ % chunkSizes.length] ?? 1;
    chunks.push(Buffer.from(input.subarray(pos, pos + size)));
    pos += size;
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), transform, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

/** Deterministic bytes: byte i is (i × 31 + seed) mod 256. */
export function patternBytes(length: number, seed = 7): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}
