import type { Readable } from 'node:stream';
import { readBody } from './body/index.js';
import type { S3Context } from './s3-context.js';
import { S3Error } from './s3-errors.js';

/** Limits for request documents (DeleteObjects, CreateBucket...): never object data. */
export const MAX_XML_BODY_BYTES = 2 * 1024 * 1024;

export interface SmallBody {
  bytes: Buffer;
  md5Hex: string;
  checksums: Record<string, string>;
}

/**
 * Reads a whole (small) request body through readBody, so signatures, Content-MD5 and
 * x-amz-checksum-* are verified, and refuses bodies over maxBytes with
 * MaxMessageLengthExceeded (the rest of the body is left unread; the app then closes
 * the connection).
 */
export async function readSmallBody(ctx: S3Context, maxBytes = MAX_XML_BODY_BYTES): Promise<SmallBody> {
  const body = readBody(ctx.raw, ctx.headers, ctx.auth);
  if (body.declaredSizeBytes > maxBytes) {
    body.stream.destroy();
    throw new S3Error('MaxMessageLengthExceeded');
  }
  const bytes = await collect(body.stream, maxBytes);
  const { md5Hex, checksums } = body.finish();
  const contentMd5 = ctx.headers['content-md5'];
  if (typeof contentMd5 === 'string' && Buffer.from(md5Hex, 'hex').toString('base64') !== contentMd5.trim()) {
    throw new S3Error('BadDigest');
  }
  return { bytes, md5Hex, checksums };
}

async function collect(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > maxBytes) {
      stream.destroy();
      throw new S3Error('MaxMessageLengthExceeded');
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}
