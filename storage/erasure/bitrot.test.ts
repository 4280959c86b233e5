import { describe, expect, it } from 'vitest';
import { BITROT_HASH_SIZE_BYTES, bitrotHash, bitrotVerify } from './bitrot.js';

describe('bitrot', () => {
  it('writes xxh64 (seed 0) little-endian: golden value, do not change', () => {
    const out = Buffer.alloc(BITROT_HASH_SIZE_BYTES);
    bitrotHash(Buffer.from('abc'), out);
    // xxh64("abc", 0) = 0x44bc2cf5ad770999 (xxHash reference)
    expect(out.toString('hex')).toBe('990977adf52cbc44');
    bitrotHash(new Uint8Array(0), out);
    // xxh64("", 0) = 0xef46db3751d8e999
    expect(out.toString('hex')).toBe('99e9d85137db46ef');
  });

  it('verifies good shards and rejects a flipped byte or a short header', () => {
    const shard = Buffer.alloc(4096, 7);
    const header = Buffer.alloc(16);
    bitrotHash(shard, header, 4);
    expect(bitrotVerify(shard, header, 4)).toBe(true);
    shard.writeUInt8(shard.readUInt8(100) ^ 1, 100);
    expect(bitrotVerify(shard, header, 4)).toBe(false);
    expect(bitrotVerify(shard, header.subarray(0, 7), 0)).toBe(false);
  });
});
