import { describe, expect, it } from 'vitest';
import { canonicalHeaders, headerText } from './canonical-request.js';

/** A header value as Node hands it over: its bytes latin1-decoded. */
const received = (bytes: Buffer): string => bytes.toString('latin1');

describe('headerText', () => {
  it('decodes UTF-8 bytes received as latin1', () => {
    expect(headerText(received(Buffer.from('Hello World\u00e9')))).toBe('Hello World\u00e9');
    expect(headerText(received(Buffer.from('ключ 😀')))).toBe('ключ 😀');
  });

  it('keeps ASCII, text beyond latin-1, and bytes that are not UTF-8 (read as latin-1)', () => {
    expect(headerText('plain ascii')).toBe('plain ascii');
    expect(headerText('ключ')).toBe('ключ');
    expect(headerText(received(Buffer.from([0x63, 0x61, 0x66, 0xe9])))).toBe('caf\u00e9');
    // A lone latin-1 character is not valid UTF-8, so text like a decoded form field stays.
    expect(headerText('\u00e9')).toBe('\u00e9');
  });
});

describe('canonicalHeaders', () => {
  it('signs the UTF-8 text of a value, so the hash covers the bytes the client sent', () => {
    const headers = {
      host: 'h',
      'x-amz-meta-a': received(Buffer.from('  Hello   World\u00e9 ')),
      // 'à' is C3 A0: its second byte read as latin1 is U+00A0, which is whitespace.
      'x-amz-meta-b': received(Buffer.from('à')),
    };
    expect(canonicalHeaders(headers, ['host', 'x-amz-meta-a', 'x-amz-meta-b'])).toBe(
      'host:h\nx-amz-meta-a:Hello World\u00e9\nx-amz-meta-b:à\n',
    );
  });
});
