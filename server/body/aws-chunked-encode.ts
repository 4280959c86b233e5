import { createHash } from 'node:crypto';
import { chunkStringToSign, hmacHex, sha256Hex, trailerStringToSign } from '../auth/string-to-sign.js';
import { type ChunkSigning, canonicalTrailer } from './aws-chunked-decoder.js';

export interface AwsChunkedEncodeOptions {
  /** Sign chunks (and trailers) as STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]. */
  signing?: ChunkSigning;
  /** Trailing headers, lower-case names, sent after the zero-length chunk. */
  trailers?: ReadonlyArray<readonly [string, string]>;
  /**
   * Omit the final CRLF when there are no trailers, as the AWS SDK for JavaScript
   * does (`0\r\n` then end of body).
   */
  sdkStyleEnd?: boolean;
}

/**
 * Builds an aws-chunked body from data chunks (one frame per element; empty
 * elements are skipped). For tests, benchmarks and hand-signed raw requests —
 * not on the request path.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export function awsChunkedEncode(chunks: readonly Uint8Array[], opts: AwsChunkedEncodeOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const s = opts.signing;
  let previous = s?.seedSignature ?? '';
  const frame = (data: Uint8Array): void => {
    let header = data.length.toString(16);
    if (s) {
      const hash = createHash('sha256').update(data).digest('hex');
      previous = hmacHex(s.signingKey, chunkStringToSign(s.amzDate, s.scope, previous, hash));
      header += `;chunk-signature=${previous}`;
    }
    parts.push(Buffer.from(`${header}\r\n`, 'latin1'));
    if (data.length > 0)
      parts.push(Buffer.from(data.buffer, data.byteOffset, data.length), Buffer.from('\r\n'));
  };
  for (const c of chunks) if (c.length > 0) frame(c);
  frame(new Uint8Array(0));
  const trailers = opts.trailers ?? [];
  if (trailers.length === 0) {
    if (!opts.sdkStyleEnd) parts.push(Buffer.from('\r\n'));
    return Buffer.concat(parts);
  }
  for (const [name, value] of trailers) parts.push(Buffer.from(`${name}:${value}\r\n`, 'latin1'));
  if (s) {
    const hash = sha256Hex(canonicalTrailer(new Map(trailers)));
    const sig = hmacHex(s.signingKey, trailerStringToSign(s.amzDate, s.scope, previous, hash));
    parts.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
