import { describe, expect, it } from 'vitest';
import { BodyVerifier, bodyChunks, CHUNK_BYTES, makePattern, offsetOf, PERIOD_BYTES } from './pattern.js';

const MiB = 1024 * 1024;
const pattern = makePattern(1);

function body(key: string, length: number, start = 0): Buffer {
  return Buffer.concat([...bodyChunks(pattern, offsetOf(key), length, start)]);
}

describe('body pattern', () => {
  it('is the same for the same seed and differs between seeds', () => {
    expect(makePattern(1).equals(pattern)).toBe(true);
    expect(makePattern(2).subarray(0, 4096).equals(pattern.subarray(0, 4096))).toBe(false);
    expect(
      makePattern(0)
        .subarray(0, 64)
        .every((b) => b === 0),
    ).toBe(false);
  });

  it('stores the period twice so every window is contiguous', () => {
    expect(pattern.length).toBe(2 * PERIOD_BYTES);
    expect(pattern.subarray(0, PERIOD_BYTES).equals(pattern.subarray(PERIOD_BYTES))).toBe(true);
  });

  it('gives each key its own offset', () => {
    const offsets = new Set(Array.from({ length: 1000 }, (_, i) => offsetOf(`k/${i}`)));
    expect(offsets.size).toBeGreaterThan(990);
    for (const o of offsets) expect(o).toBeLessThan(PERIOD_BYTES);
  });

  it('hands out views of at most CHUNK_BYTES that add up to the length', () => {
    const chunks = [...bodyChunks(pattern, PERIOD_BYTES - 10, 3 * MiB + 5)];
    expect(chunks.every((c) => c.length <= CHUNK_BYTES && c.buffer === pattern.buffer)).toBe(true);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(3 * MiB + 5);
  });

  it('continues seamlessly across the period and between ranges (multipart parts)', () => {
    const whole = body('obj', 3 * MiB);
    expect(Buffer.concat([body('obj', MiB + 7), body('obj', 2 * MiB - 7, MiB + 7)]).equals(whole)).toBe(true);
    // Byte i and byte i + PERIOD are equal; blocks 1 MiB apart are not.
    expect(whole[5]).toBe(whole[5 + PERIOD_BYTES]);
    expect(whole.subarray(0, 4096).equals(whole.subarray(MiB, MiB + 4096))).toBe(false);
  });
});

describe('BodyVerifier', () => {
  const key = 'bucket-key/000123';
  const size = 2 * MiB + 123;
  const good = body(key, size);

  function verify(data: Buffer, chunkSize: number, expected = size): BodyVerifier {
    const v = new BodyVerifier(pattern, offsetOf(key), expected);
    for (let i = 0; i < data.length; i += chunkSize) v.update(data.subarray(i, i + chunkSize));
    return v;
  }

  it('accepts the body in any chunking', () => {
    for (const chunkSize of [1, 1000, 65_536, 3 * MiB]) {
      const v = verify(
        chunkSize === 1 ? good.subarray(0, 5000) : good,
        chunkSize,
        chunkSize === 1 ? 5000 : size,
      );
      expect(v.ok(), v.problem()).toBe(true);
    }
  });

  it('rejects one flipped byte and says where', () => {
    const bad = Buffer.from(good);
    bad[MiB + 17] = (bad[MiB + 17] ?? 0) ^ 1;
    const v = verify(bad, 65_536);
    expect(v.ok()).toBe(false);
    expect(v.problem()).toContain(`byte ${MiB + 17}`);
  });

  it('rejects a short or a long body', () => {
    expect(verify(good.subarray(0, size - 1), 65_536).ok()).toBe(false);
    expect(verify(Buffer.concat([good, Buffer.from('x')]), 65_536).problem()).toContain(`expected ${size}`);
  });

  it("rejects another object's body of the same size", () => {
    expect(verify(body('bucket-key/000124', size), 65_536).ok()).toBe(false);
  });

  it('rejects a body whose second 1 MiB block repeats the first', () => {
    const swapped = Buffer.concat([good.subarray(0, MiB), good.subarray(0, MiB), good.subarray(2 * MiB)]);
    expect(verify(swapped, 65_536).ok()).toBe(false);
  });

  it('accepts an empty body of size 0', () => {
    expect(new BodyVerifier(pattern, offsetOf(key), 0).ok()).toBe(true);
  });
});
