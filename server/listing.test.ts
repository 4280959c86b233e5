import { describe, expect, it } from 'vitest';
import {
  decodeContinuationToken,
  encodeContinuationToken,
  parseEncodingType,
  parseMaxKeys,
} from './listing.js';

describe('listing parameters', () => {
  it('parses max-keys: default 1000, 0 allowed, above 1000 served as 1000', () => {
    expect(parseMaxKeys(null)).toBe(1000);
    expect(parseMaxKeys('0')).toBe(0);
    expect(parseMaxKeys('5')).toBe(5);
    expect(parseMaxKeys('5000')).toBe(1000);
    for (const bad of ['-1', 'abc', '1.5', '']) {
      expect(() => parseMaxKeys(bad)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
  });

  it('parses encoding-type', () => {
    expect(parseEncodingType(null)).toBeUndefined();
    expect(parseEncodingType('url')).toBe('url');
    expect(parseEncodingType('URL')).toBe('url');
    expect(() => parseEncodingType('base64')).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('round-trips continuation tokens for any marker and refuses forged ones', () => {
    for (const marker of ['', 'a', 'dir/', '\u0001😀 +%', 'k'.repeat(1024)]) {
      expect(decodeContinuationToken(encodeContinuationToken(marker))).toBe(marker);
    }
    for (const bad of ['garbage!', Buffer.from('2:x').toString('base64'), 'YQ', '']) {
      expect(() => decodeContinuationToken(bad)).toThrow(
        expect.objectContaining({ code: 'InvalidArgument' }),
      );
    }
  });
});
