import { CryptoError } from './errors.js';

/**
 * Non-secret name → value pairs bound to a sealed key as associated data: the key opens
 * only with the same context (AWS KMS's encryption context). Object keys always carry
 * `aws:s3:arn` = `arn:aws:s3:::bucket/key`, like S3 adds for SSE-KMS.
 */
export type EncryptionContext = Readonly<Record<string, string>>;

/** Most bytes a context may take in its canonical encoding (it is stored with every object). */
export const MAX_CONTEXT_BYTES = 4096;

/**
 * The canonical bytes of a context: uint32 BE pair count, then per pair in UTF-8 byte
 * order of the names: uint32 BE length || name (UTF-8) || uint32 BE length || value (UTF-8).
 * Do not change: on-disk format (sealed keys authenticate these bytes).
 * Throws CryptoError('InvalidContext') for non-string values or an encoding over MAX_CONTEXT_BYTES.
 */
export function encodeContext(context: EncryptionContext): Buffer {
  const pairs = Object.entries(context).map(([name, value]) => {
    if (typeof value !== 'string') {
      throw new CryptoError('InvalidContext', `encryption context value of "${name}" is not a string`);
    }
    return [Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8')] as const;
  });
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  const size = 4 + pairs.reduce((sum, [n, v]) => sum + 8 + n.length + v.length, 0);
  if (size > MAX_CONTEXT_BYTES) {
    throw new CryptoError(
      'InvalidContext',
      `encryption context takes ${size} bytes, more than ${MAX_CONTEXT_BYTES}`,
    );
  }
  const out = Buffer.alloc(size);
  let pos = out.writeUInt32BE(pairs.length, 0);
  for (const [name, value] of pairs) {
    pos = out.writeUInt32BE(name.length, pos);
    pos += name.copy(out, pos);
    pos = out.writeUInt32BE(value.length, pos);
    pos += value.copy(out, pos);
  }
  return out;
}

/** Inverse of encodeContext. Throws CryptoError('InvalidFormat') for malformed bytes. */
export function decodeContext(bytes: Uint8Array): Record<string, string> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (): CryptoError => new CryptoError('InvalidFormat', 'malformed encryption context');
  if (buf.length < 4) throw bad();
  const count = buf.readUInt32BE(0);
  let pos = 4;
  // No prototype: a name such as "__proto__" is just a name.
  const out = Object.create(null) as Record<string, string>;
  const read = (): string => {
    if (pos + 4 > buf.length) throw bad();
    const len = buf.readUInt32BE(pos);
    pos += 4;
    if (pos + len > buf.length) throw bad();
    const text = buf.toString('utf8', pos, pos + len);
    pos += len;
    return text;
  };
  for (let i = 0; i < count; i++) {
    const name = read();
    out[name] = read();
  }
  if (pos !== buf.length) throw bad();
  return out;
}
