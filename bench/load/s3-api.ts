/**
 * The few S3 calls the load generator makes, behind one interface with two implementations:
 * `HttpS3Api` (node:http + SigV4 with UNSIGNED-PAYLOAD, the default) and `SdkS3Api`
 * (@aws-sdk/client-s3), so their client-side cost can be compared (`--client`).
 */
import { createHash } from 'node:crypto';

/** Where to send requests and how to sign them. */
export interface S3Target {
  /** `http://host:port` (path-style requests). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * Server-side encryption the generator asks for (`--sse`): none, SSE-S3 (`AES256`), SSE-KMS
 * (`aws:kms` with the server's default key) or SSE-C with BENCH_SSE_C_KEY.
 */
export const SSE_MODES = ['none', 's3', 'kms', 'c'] as const;
export type SseMode = (typeof SSE_MODES)[number];

export function isSseMode(text: string): text is SseMode {
  return (SSE_MODES as readonly string[]).includes(text);
}

/**
 * The SSE-C customer key of every run: fixed (derived from a constant), so objects kept with
 * `--keep` can be read by a later run. A benchmark key, not a secret.
 */
export const BENCH_SSE_C_KEY: Buffer = createHash('sha256').update('strata-bench SSE-C key').digest();

/** Request headers of one SSE mode (lower-case names, as node:http and SigV4 want them). */
export interface SseHeaders {
  /** PutObject and CreateMultipartUpload: what to encrypt with. */
  write: Readonly<Record<string, string>>;
  /** GetObject, HeadObject and UploadPart: only SSE-C repeats its key there; empty otherwise. */
  read: Readonly<Record<string, string>>;
}

export function sseHeaders(mode: SseMode): SseHeaders {
  switch (mode) {
    case 'none':
      return { write: {}, read: {} };
    case 's3':
      return { write: { 'x-amz-server-side-encryption': 'AES256' }, read: {} };
    case 'kms':
      return { write: { 'x-amz-server-side-encryption': 'aws:kms' }, read: {} };
    case 'c': {
      const customer = {
        'x-amz-server-side-encryption-customer-algorithm': 'AES256',
        'x-amz-server-side-encryption-customer-key': BENCH_SSE_C_KEY.toString('base64'),
        'x-amz-server-side-encryption-customer-key-md5': createHash('md5')
          .update(BENCH_SSE_C_KEY)
          .digest('base64'),
      };
      return { write: customer, read: customer };
    }
  }
}

/** A request body taken from the shared pattern: the caller never allocates object-sized buffers. */
export interface PatternBody {
  /** Chunks to send, in order (views of the shared pattern). */
  chunks: () => Iterable<Buffer>;
  sizeBytes: number;
}

export interface ListPage {
  keys: string[];
  /** Continuation token of the next page; undefined on the last page. */
  next: string | undefined;
}

export interface S3Api {
  /** True when the bucket exists (HeadBucket 200), false on 404; throws otherwise. */
  bucketExists(bucket: string): Promise<boolean>;
  createBucket(bucket: string): Promise<void>;
  deleteBucket(bucket: string): Promise<void>;
  putObject(bucket: string, key: string, body: PatternBody): Promise<void>;
  /**
   * Streams the object's body into `onChunk` (the chunk is only valid during the call) and
   * resolves with the byte count once the body has ended.
   */
  getObject(bucket: string, key: string, onChunk: (chunk: Buffer) => void): Promise<number>;
  /** HeadObject; resolves with Content-Length. */
  headObject(bucket: string, key: string): Promise<number>;
  /** DeleteObject; a missing key is not an error (S3 answers 204 either way). */
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjectsV2(
    bucket: string,
    prefix: string,
    continuationToken?: string,
    maxKeys?: number,
  ): Promise<ListPage>;
  createMultipartUpload(bucket: string, key: string): Promise<string>;
  /** Resolves with the part's ETag. */
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: PatternBody,
  ): Promise<string>;
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

/** A request that got an error answer (status ≥ 300, or an error document in a 200). */
export class S3RequestError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`${operation}: HTTP ${status}${code ? ` ${code}` : ''}`, options);
    this.name = 'S3RequestError';
  }
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five XML entities and numeric character references. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return String.fromCodePoint(code);
    }
    return XML_ENTITIES[name] ?? whole;
  });
}

/** The decoded text of the first `<tag>` element in `xml`, or undefined. */
export function xmlElement(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m?.[1] === undefined ? undefined : decodeXmlText(m[1]);
}

/**
 * Keys and continuation of a ListObjectsV2 answer. A regular expression suffices: the keys of a
 * page are the only `<Key>` elements, and their text has no markup.
 */
export function parseListObjectsV2(xml: string): ListPage {
  const keys: string[] = [];
  for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(decodeXmlText(m[1] ?? ''));
  const truncated = xmlElement(xml, 'IsTruncated') === 'true';
  const next = truncated ? xmlElement(xml, 'NextContinuationToken') : undefined;
  if (truncated && !next) throw new Error('ListObjectsV2: truncated page without NextContinuationToken');
  return { keys, next };
}

/** RFC 3986 encoding of one URI component, as SigV4 canonicalizes it. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The path of a path-style request: `/bucket` or `/bucket/key` (slashes in the key kept). */
export function objectPath(bucket: string, key?: string): string {
  const base = `/${encodeRfc3986(bucket)}`;
  return key === undefined ? base : `${base}/${key.split('/').map(encodeRfc3986).join('/')}`;
}
