/**
 * SigV4's URI encoding: every byte except the unreserved set `A-Z a-z 0-9 - . _ ~`
 * becomes `%XY` with upper-case hex; '/' is kept only when `encodeSlash` is false.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html ("UriEncode")
 */
export function uriEncode(input: string | Uint8Array, encodeSlash: boolean): string {
  if (typeof input === 'string') {
    if (isAllUnreserved(input, encodeSlash)) return input;
    input = Buffer.from(input, 'utf8');
  }
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const b = input[i] as number;
    out += b === SLASH && !encodeSlash ? '/' : (ENCODED[b] as string);
  }
  return out;
}

/**
 * Decodes `%XY` escapes into raw bytes (invalid UTF-8 survives as bytes). A '%' not
 * followed by two hex digits stays a literal '%'. With `plusIsSpace`, '+' decodes
 * to a space (form encoding, as query strings are read everywhere else in the server).
 */
export function percentDecode(input: string, plusIsSpace: boolean): Buffer {
  if (input.indexOf('%') === -1 && !(plusIsSpace && input.indexOf('+') !== -1)) {
    return Buffer.from(input, 'utf8');
  }
  const src = Buffer.from(input, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i] as number;
    if (b === PERCENT && i + 2 < src.length) {
      const hi = hexValue(src[i + 1] as number);
      const lo = hexValue(src[i + 2] as number);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = plusIsSpace && b === PLUS ? SPACE : b;
  }
  return out.subarray(0, n);
}

const SLASH = 0x2f;
const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;

const ENCODED: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  isUnreservedByte(b) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
);

function isUnreservedByte(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || // -
    b === 0x2e || // .
    b === 0x5f || // _
    b === 0x7e // ~
  );
}

function isAllUnreserved(s: string, encodeSlash: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || !(isUnreservedByte(c) || (c === SLASH && !encodeSlash))) return false;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}
