import type { IncomingHttpHeaders } from 'node:http';
import type { S3Operation } from './resolve-operation.js';

/**
 * What the server knows about one finished request, handed to every observer
 * (metrics, the audit log) once the response is done. Built from values the request
 * already carried: no object keys or headers beyond the allow-lists below, and never
 * a credential (Authorization, signatures, session tokens, SSE-C keys).
 */
export interface RequestRecord {
  /** When the request arrived. */
  time: Date;
  requestId: string;
  /** The S3 operation; 'Internal' for /_strata, 'Preflight' for CORS OPTIONS, undefined when unresolved. */
  op: S3Operation | 'Internal' | 'Preflight' | undefined;
  method: string;
  /** '' when the request named none. */
  bucket: string;
  key: string;
  /** The version the request named or the response reported; '' when none. */
  versionId: string;
  status: number;
  /** The S3 error code of an error response; '' on success. */
  errorCode: string;
  /** Request body bytes as declared (Content-Length / x-amz-decoded-content-length); 0 without a body. */
  bytesIn: number;
  /** Response body bytes as declared by Content-Length; 0 when not sent in full. */
  bytesOut: number;
  /** Arrival to the response headers being written. */
  timeToFirstByteMs: number;
  /** Arrival to the last byte written (or the connection closing). */
  totalMs: number;
  /** The signing access key; '' for anonymous requests and POST forms. */
  accessKeyId: string;
  sourceIp: string;
  userAgent: string;
  /** Allow-listed request headers (REQUEST_HEADERS). */
  requestHeaders: Record<string, string>;
  /** Allow-listed response headers (RESPONSE_HEADERS). */
  responseHeaders: Record<string, string>;
}

/** Receives each finished request; must not throw and must not block (queue work instead). */
export type RequestObserver = (record: RequestRecord) => void;

/** Request headers worth keeping in an audit trail; nothing secret is on this list. */
export const REQUEST_HEADERS = [
  'content-type',
  'content-length',
  'content-md5',
  'x-amz-decoded-content-length',
  'x-amz-content-sha256',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'x-amz-copy-source',
  'x-amz-copy-source-range',
  'x-amz-metadata-directive',
  'x-amz-tagging-directive',
  'x-amz-acl',
  'x-amz-storage-class',
  'x-amz-server-side-encryption',
  'x-amz-bypass-governance-retention',
  'x-amz-object-lock-mode',
  'x-amz-object-lock-retain-until-date',
  'x-amz-object-lock-legal-hold',
  'origin',
  'expect',
] as const;

/** Response headers worth keeping in an audit trail. */
export const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'etag',
  'last-modified',
  'x-amz-version-id',
  'x-amz-delete-marker',
  'x-amz-copy-source-version-id',
] as const;

type HeaderMap = Readonly<Record<string, string | number | readonly string[] | undefined>>;

function pick(headers: HeaderMap, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
}

export function pickRequestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return pick(headers, REQUEST_HEADERS);
}

export function pickResponseHeaders(headers: HeaderMap): Record<string, string> {
  return pick(headers, RESPONSE_HEADERS);
}

/** Declared request body size: the decoded length of aws-chunked bodies, else Content-Length. */
export function declaredBytesIn(headers: IncomingHttpHeaders): number {
  const raw = headers['x-amz-decoded-content-length'] ?? headers['content-length'];
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
