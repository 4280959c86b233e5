/**
 * Hand-made HTTP requests for edge cases the SDK will not produce: signed with
 * @smithy/signature-v4 (or deliberately not), sent with node:http so every header,
 * including Host, goes on the wire exactly as given.
 */
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY } from './strata-server.js';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface RawRequest {
  method: string;
  /** Already percent-encoded path, e.g. `/bucket/${encodeKey(key)}`. */
  path: string;
  /** Unencoded query parameters ('' for valueless ones like `?location`). */
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface SignOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  /** Value for x-amz-content-sha256; default: the SHA-256 of the body. */
  payloadHash?: string;
  /** Host header to sign and send; default 127.0.0.1:<port>. */
  host?: string;
  signingDate?: Date;
}

/** RFC 3986 encoding as SigV4 wants it (same as the SDK's escapeUri). */
export function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Encodes an object key for a path: every byte but unreserved characters and '/'. */
export function encodeKey(key: string): string {
  return key.split('/').map(escapeUri).join('/');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function queryString(query: Record<string, string> | undefined): string {
  if (!query) return '';
  const parts = Object.entries(query).map(([k, v]) =>
    v === '' ? escapeUri(k) : `${escapeUri(k)}=${escapeUri(v)}`,
  );
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Sends a request as given (no signing). */
export function sendRaw(endpoint: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(endpoint);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  const hasLength = Object.keys(headers).some((h) => h.toLowerCase() === 'content-length');
  if (body && !hasLength) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        host: url.hostname,
        port: Number(url.port),
        method: req.method,
        path: req.path + queryString(req.query),
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

/**
 * Signs the request with SigV4 header auth (root credentials by default) and sends it.
 * The Host header is signed; x-amz-content-sha256 defaults to the body's SHA-256.
 */
export async function signedRequest(
  endpoint: string,
  req: RawRequest,
  opts: SignOptions = {},
): Promise<RawResponse> {
  const signed = await signHeaders(endpoint, req, opts);
  return sendRaw(endpoint, { ...req, headers: signed });
}

/** Returns the headers of `req` plus host, x-amz-date, x-amz-content-sha256 and Authorization. */
export async function signHeaders(
  endpoint: string,
  req: RawRequest,
  opts: SignOptions = {},
): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  headers.host = opts.host ?? `${url.hostname}:${url.port}`;
  headers['x-amz-content-sha256'] ??= opts.payloadHash ?? sha256Hex(body);
  const signer = new SignatureV4({
    service: 's3',
    region: opts.region ?? REGION,
    credentials: {
      accessKeyId: opts.accessKeyId ?? ROOT_ACCESS_KEY,
      secretAccessKey: opts.secretAccessKey ?? ROOT_SECRET_KEY,
    },
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: req.path,
      query: req.query ?? {},
      headers,
    },
    { signingDate: opts.signingDate ?? new Date() },
  );
  return signed.headers as Record<string, string>;
}

/** The SigV4 signing key for a date (YYYYMMDD). */
export function signingKey(secret: string, shortDate: string, region: string, service = 's3'): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(shortDate).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/**
 * A STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] upload built by hand: signs the
 * headers with the streaming marker, then chains a signature over every chunk and,
 * with `trailers`, over the trailer block. `tamperChunk` corrupts the signature of
 * that chunk index; `tamperTrailerSignature` corrupts the trailer signature.
 */
export async function streamingSignedPut(
  endpoint: string,
  path: string,
  data: Buffer,
  opts: {
    chunkBytes?: number;
    tamperChunk?: number;
    headers?: Record<string, string>;
    trailers?: Record<string, string>;
    tamperTrailerSignature?: boolean;
  } = {},
): Promise<RawResponse> {
  const chunkBytes = opts.chunkBytes ?? 64 * 1024;
  const chunks: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunkBytes) chunks.push(data.subarray(off, off + chunkBytes));
  chunks.push(Buffer.alloc(0));
  const trailers = opts.trailers;
  const withTrailer = trailers !== undefined;
  // Trailer lines as sent (CRLF) and as signed (LF).
  const trailerWire = Object.entries(trailers ?? {})
    .map(([k, v]) => `${k}:${v}\r\n`)
    .join('');
  const trailerSigned = Object.entries(trailers ?? {})
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');

  const build = (chunkSigs: string[], trailerSig: string): Buffer => {
    const parts: Buffer[] = [];
    chunks.forEach((c, i) => {
      parts.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${chunkSigs[i]}\r\n`));
      if (c.length > 0 || !withTrailer) parts.push(c, Buffer.from('\r\n'));
    });
    if (withTrailer) parts.push(Buffer.from(`${trailerWire}x-amz-trailer-signature:${trailerSig}\r\n\r\n`));
    return Buffer.concat(parts);
  };
  const dummy = '0'.repeat(64);
  const encodedLength = build(
    chunks.map(() => dummy),
    dummy,
  ).length;

  const date = new Date();
  const headers = await signHeaders(
    endpoint,
    {
      method: 'PUT',
      path,
      headers: {
        ...(opts.headers ?? {}),
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(data.length),
        'content-length': String(encodedLength),
        'x-amz-content-sha256': withTrailer
          ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
          : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        ...(withTrailer ? { 'x-amz-trailer': Object.keys(trailers).join(',') } : {}),
      },
    },
    { signingDate: date },
  );
  const auth = headers.authorization ?? '';
  const seed = /Signature=([0-9a-f]{64})/.exec(auth)?.[1];
  const amzDate = headers['x-amz-date'];
  if (!seed || !amzDate) throw new Error(`could not read seed signature from ${auth}`);
  const shortDate = amzDate.slice(0, 8);
  const scope = `${shortDate}/${REGION}/s3/aws4_request`;
  const key = signingKey(ROOT_SECRET_KEY, shortDate, REGION);
  const tamper = (sig: string) => sig.replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
  let prev = seed;
  const chunkSigs = chunks.map((c, i) => {
    const sts = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, prev, EMPTY_SHA256, sha256Hex(c)].join('\n');
    const sig = createHmac('sha256', key).update(sts).digest('hex');
    prev = sig;
    return opts.tamperChunk === i ? tamper(sig) : sig;
  });
  let trailerSig = '';
  if (withTrailer) {
    const sts = ['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, prev, sha256Hex(trailerSigned)].join('\n');
    trailerSig = createHmac('sha256', key).update(sts).digest('hex');
    if (opts.tamperTrailerSignature) trailerSig = tamper(trailerSig);
  }
  const body = build(chunkSigs, trailerSig);
  if (body.length !== encodedLength) throw new Error('chunked length miscomputed');
  return sendRaw(endpoint, { method: 'PUT', path, headers, body });
}

/** Builds an aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER body with the given trailer lines. */
export function unsignedTrailerBody(
  data: Buffer,
  trailers: Record<string, string>,
  chunkBytes = 64 * 1024,
): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunkBytes) {
    const c = data.subarray(off, off + chunkBytes);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n'));
  for (const [k, v] of Object.entries(trailers)) parts.push(Buffer.from(`${k}:${v}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** Text content of every <tag>…</tag> (non-nested) in an XML document, entities decoded. */
export function xmlValues(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g');
  const out: string[] = [];
  for (const m of xml.matchAll(re)) out.push(decodeXmlEntities(m[1] ?? ''));
  return out;
}

export function decodeXmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e] ?? '';
  });
}

export interface XmlError {
  code: string | undefined;
  message: string | undefined;
  resource: string | undefined;
  requestId: string | undefined;
}

/** Parses an S3 XML error body (<Error><Code>…). */
export function parseXmlError(xml: string): XmlError {
  return {
    code: xmlValues(xml, 'Code')[0],
    message: xmlValues(xml, 'Message')[0],
    resource: xmlValues(xml, 'Resource')[0],
    requestId: xmlValues(xml, 'RequestId')[0],
  };
}
