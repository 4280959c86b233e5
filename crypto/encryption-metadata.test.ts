import { describe, expect, it } from 'vitest';
import { decodeContext, encodeContext } from './encryption-context.js';
import {
  decodeObjectEncryption,
  decodePartEncryption,
  encodeObjectEncryption,
  encodePartEncryption,
} from './encryption-metadata.js';
import { isCryptoError } from './errors.js';

describe('encryption metadata', () => {
  it('round-trips object and part entries under x-strata-sse-* names', () => {
    const e = {
      aead: 'ChaCha20-Poly1305' as const,
      sealedKey: Buffer.from('sealed-key-bytes'),
      nonceBase: Buffer.alloc(12, 9),
      plainSizeBytes: 5 * 1024 ** 4,
    };
    const md = encodeObjectEncryption(e);
    expect(Object.keys(md).sort()).toEqual([
      'x-strata-sse-aead',
      'x-strata-sse-format',
      'x-strata-sse-nonce',
      'x-strata-sse-sealed-key',
      'x-strata-sse-size',
    ]);
    expect(decodeObjectEncryption({ 'content-type': 'x/y', ...md })).toEqual(e);
    const multipart = encodeObjectEncryption({ ...e, nonceBase: undefined });
    expect(decodeObjectEncryption(multipart)?.nonceBase).toBeUndefined();
    const part = { nonceBase: Buffer.alloc(12, 1), plainSizeBytes: 0 };
    expect(decodePartEncryption(encodePartEncryption(part))).toEqual(part);
    expect(decodeObjectEncryption({ 'content-type': 'x/y' })).toBeUndefined();
  });

  it.each<Record<string, string>>([
    { 'x-strata-sse-format': '2' },
    { 'x-strata-sse-aead': 'AES-128-GCM' },
    { 'x-strata-sse-size': '-1' },
    { 'x-strata-sse-size': '1e3' },
    { 'x-strata-sse-nonce': 'AAAA' },
    { 'x-strata-sse-sealed-key': 'not base64!' },
  ])('refuses malformed entries (%o)', (change) => {
    const md = {
      ...encodeObjectEncryption({
        aead: 'AES-256-GCM',
        sealedKey: Buffer.from('k'),
        nonceBase: Buffer.alloc(12),
        plainSizeBytes: 1,
      }),
      ...change,
    };
    let err: unknown;
    try {
      decodeObjectEncryption(md);
    } catch (caught) {
      err = caught;
    }
    expect(isCryptoError(err, 'InvalidFormat')).toBe(true);
  });
});

describe('encryption context encoding', () => {
  it('is canonical: the same pairs in any order give the same bytes, and decode back', () => {
    const a = encodeContext({ b: '2', a: '1', é: 'x' });
    const b = encodeContext({ é: 'x', a: '1', b: '2' });
    expect(a.equals(b)).toBe(true);
    expect(decodeContext(a)).toEqual({ a: '1', b: '2', é: 'x' });
    expect(encodeContext({}).toString('hex')).toBe('00000000');
    expect(decodeContext(encodeContext({ __proto__: 'p' } as Record<string, string>))).toEqual({});
    expect(Object.keys(decodeContext(encodeContext(JSON.parse('{"__proto__":"p"}'))))).toEqual(['__proto__']);
  });

  it('refuses oversized contexts and non-string values', () => {
    expect(() => encodeContext({ big: 'x'.repeat(5000) })).toThrow(
      expect.objectContaining({ code: 'InvalidContext' }),
    );
    expect(() => encodeContext({ n: 1 as unknown as string })).toThrow(
      expect.objectContaining({ code: 'InvalidContext' }),
    );
    expect(() => decodeContext(Buffer.from('0000000100', 'hex'))).toThrow(
      expect.objectContaining({ code: 'InvalidFormat' }),
    );
  });
});
