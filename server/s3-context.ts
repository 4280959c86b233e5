import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { ObjectLayer } from '../storage/index.js';
import type { AuthResult, CredentialLookup } from './auth/index.js';
import type { RequestTarget } from './request-target.js';
import type { S3Operation } from './resolve-operation.js';
import type { SseSettings } from './sse/index.js';
import { buildXml, type XmlObject } from './xml.js';

/** Everything a handler needs about one authenticated S3 request. */
export interface S3Context {
  op: S3Operation;
  /** '' for service-level operations (ListBuckets). */
  bucket: string;
  /** '' for bucket-level operations. Already checked to be ≤ 1024 UTF-8 bytes. */
  key: string;
  target: RequestTarget;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  method: string;
  /** The request body source; handlers read it only through readBody (server/body). */
  raw: IncomingMessage;
  auth: AuthResult;
  /** Sizes are plaintext sizes (server/sse/plaintext-object-layer.ts). */
  objectLayer: ObjectLayer;
  /** Server-side encryption settings (KMS, default AEAD, auto-encryption). */
  sse: SseSettings;
  region: string;
  /** Aborted when the client goes away before the response finished. */
  signal: AbortSignal;
  log: FastifyBaseLogger;
  requestId: string;
  /**
   * Credential lookup for authentication that travels in the body (POST Object's
   * signed policy form); every other operation is authenticated before dispatch.
   */
  credentials: CredentialLookup;
  /** Server clock (ms since the epoch) for signature and expiry checks; injectable in tests. */
  nowMs: () => number;
}

/**
 * What a handler answers; the app writes it. A Readable body is owned by the app from
 * here on (piped to the socket, destroyed if the client leaves).
 */
export interface S3Response {
  status: number;
  headers?: Record<string, string | number>;
  body?: string | Readable;
}

export type S3Handler = (ctx: S3Context) => Promise<S3Response>;

/** A 200 (or given status) response with an S3 XML document. */
export function xmlResponse(rootName: string, body: XmlObject, status = 200): S3Response {
  return { status, headers: { 'content-type': 'application/xml' }, body: buildXml(rootName, body) };
}

/** The fixed owner reported in listings until IAM gives buckets and objects real owners. */
export const OWNER = {
  ID: '02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4',
  DisplayName: 'strata',
} as const;
