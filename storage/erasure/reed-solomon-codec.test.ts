import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultParityShards, RonomonCodec, validateShardCounts } from './reed-solomon-codec.js';

/** Every subset of {0..n-1} with at most `max` members. */
function subsets(n: number, max: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << n; mask++) {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (mask & (1 << i)) members.push(i);
    if (members.length <= max) out.push(members);
  }
  return out;
}

describe('defaultParityShards', () => {
  it('follows the set-size table', () => {
    const expected = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4];
    expect(expected.map((_, i) => defaultParityShards(i + 1))).toEqual(expected);
  });

  it('rejects set sizes outside 1..16', () => {
    expect(() => defaultParityShards(0)).toThrow(RangeError);
    expect(() => defaultParityShards(17)).toThrow(RangeError);
    expect(() => defaultParityShards(2.5)).toThrow(RangeError);
  });
});

describe('RonomonCodec', () => {
  it('validates k and m', () => {
    expect(() => validateShardCounts(0, 1)).toThrow(RangeError);
    expect(() => validateShardCounts(1, -1)).toThrow(RangeError);
    expect(() => validateShardCounts(25, 1)).toThrow(RangeError);
    expect(() => validateShardCounts(4, 7)).toThrow(RangeError);
    expect(() => new RonomonCodec(1.5, 1)).toThrow(RangeError);
    expect(() => validateShardCounts(12, 4)).not.toThrow();
  });

  it('rejects shard sizes that are not a positive multiple of 8, and short stripes', () => {
    const codec = new RonomonCodec(2, 2);
    expect(() => codec.encode(Buffer.alloc(64), 12)).toThrow(RangeError);
    expect(() => codec.encode(Buffer.alloc(63), 16)).toThrow(RangeError);
  });

  for (const [k, m] of [
    [2, 2],
    [4, 2],
    [1, 1],
    [1, 0],
    [8, 4],
    [3, 1],
  ] as const) {
    it(`${k}+${m} reconstructs identically after losing any ${m} or fewer shards`, async () => {
      const codec = new RonomonCodec(k, m);
      const s = 256;
      const stripe = Buffer.alloc((k + m) * s);
      randomBytes(k * s).copy(stripe);
      await codec.encode(stripe, s);
      const original = Buffer.from(stripe);
      if (m === 0) expect(stripe.equals(original)).toBe(true);
      for (const lost of subsets(k + m, m)) {
        const damaged = Buffer.from(original);
        const present = new Array<boolean>(k + m).fill(true);
        for (const i of lost) {
          damaged.fill(0xa5, i * s, (i + 1) * s);
          present[i] = false;
        }
        await codec.reconstruct(damaged, s, present);
        expect(damaged.equals(original), `lost ${lost.join(',')}`).toBe(true);
      }
    });
  }

  it('rebuilds only the requested shards and accepts a Uint8Array view inside a larger buffer', async () => {
    const codec = new RonomonCodec(4, 2);
    const s = 64;
    const backing = new Uint8Array(16 + 6 * s);
    const stripe = backing.subarray(16);
    stripe.set(randomBytes(4 * s));
    await codec.encode(stripe, s);
    const original = stripe.slice();
    stripe.fill(0, 0, s); // shard 0
    stripe.fill(0, 5 * s, 6 * s); // shard 5 (parity), not requested
    await codec.reconstruct(
      stripe,
      s,
      [false, true, true, true, true, false],
      [true, false, false, false, false, false],
    );
    expect(Buffer.from(stripe.subarray(0, 5 * s)).equals(Buffer.from(original.subarray(0, 5 * s)))).toBe(
      true,
    );
  });

  it('refuses to reconstruct from fewer than k shards', async () => {
    const codec = new RonomonCodec(2, 1);
    await expect(codec.reconstruct(Buffer.alloc(24), 8, [true, false, false])).rejects.toThrow(RangeError);
    const plain = new RonomonCodec(2, 0);
    await expect(plain.reconstruct(Buffer.alloc(16), 8, [true, false])).rejects.toThrow(RangeError);
  });
});
