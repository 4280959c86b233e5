import type { FastifyBaseLogger } from 'fastify';
import type { S3Response } from './s3-context.js';
import { isS3Error, S3Error } from './s3-errors.js';
import { buildXml } from './xml.js';

/** Extra response headers some errors carry (InvalidRange's Content-Range). */
const errorHeaders = new WeakMap<Error, Record<string, string>>();

/** Attaches response headers to an error; returns the same error for `throw`. */
export function withResponseHeaders<T extends Error>(err: T, headers: Record<string, string>): T {
  errorHeaders.set(err, headers);
  return err;
}

export interface ErrorContext {
  method: string;
  /** The resource as AWS reports it: '/bucket/key' (decoded). */
  resource: string;
  requestId: string;
  hostId: string;
  log: FastifyBaseLogger;
}

/**
 * Turns anything thrown while serving a request into the S3 error response.
 * S3Errors go on the wire with their code and AWS's message; anything else is a bug:
 * logged with its stack and the request id, answered 500 InternalError with no detail.
 * HEAD responses and 304s carry no body.
 */
export function errorResponse(err: unknown, ctx: ErrorContext): S3Response {
  let s3: S3Error;
  if (isS3Error(err)) {
    s3 = err;
    if (s3.status >= 500 && s3.code !== 'NotImplemented')
      ctx.log.warn({ err, code: s3.code }, 'request failed with a server error');
  } else {
    ctx.log.error({ err, requestId: ctx.requestId }, 'internal error');
    s3 = new S3Error('InternalError', { cause: err });
  }
  const headers: Record<string, string | number> = { ...(errorHeaders.get(s3) ?? {}) };
  if (ctx.method === 'HEAD' || s3.status === 304) return { status: s3.status, headers };
  headers['content-type'] = 'application/xml';
  const body = buildXml(
    'Error',
    {
      Code: s3.code,
      Message: s3.message,
      ...s3.extra,
      Resource: ctx.resource,
      RequestId: ctx.requestId,
      HostId: ctx.hostId,
    },
    { namespace: false },
  );
  return { status: s3.status, headers, body };
}
