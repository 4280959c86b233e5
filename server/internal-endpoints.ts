import type { FastifyRequest } from 'fastify';
import type { ObjectLayer, StorageAdmin } from '../storage/index.js';
import type { AuthResult } from './auth/index.js';
import type { RequestTarget } from './request-target.js';
import type { S3Response } from './s3-context.js';
import { isS3Error, S3Error } from './s3-errors.js';
import { toS3Error } from './storage-errors.js';

/**
 * Strata's own endpoints under `/_strata/` (a leading underscore is never a valid bucket
 * name, so they cannot shadow a bucket). Answers are JSON.
 *
 * - `GET /_strata/health/live`: 200 while the process serves requests (no auth).
 * - `GET /_strata/health/ready`: 200 when a write could reach quorum now, else 503 (no auth).
 * - `POST /_strata/admin/v1/heal[?bucket=name]`: SigV4-signed by the root user; heals
 *   everything or one bucket and answers StorageAdmin.heal()'s report.
 */
export interface InternalRequest {
  request: FastifyRequest;
  target: RequestTarget;
  objectLayer: ObjectLayer;
  admin: StorageAdmin;
  /** Verifies the request's signature (throws S3Error). */
  authenticate: () => AuthResult;
  isRoot: (accessKeyId: string) => boolean;
}

export async function serveInternal(req: InternalRequest): Promise<S3Response> {
  const path = req.target.rawPath;
  const method = req.request.method;
  try {
    if (path === '/_strata/health/live') {
      if (method !== 'GET' && method !== 'HEAD') throw new S3Error('MethodNotAllowed');
      return json(200, { status: 'ok' });
    }
    if (path === '/_strata/health/ready') {
      if (method !== 'GET' && method !== 'HEAD') throw new S3Error('MethodNotAllowed');
      const writable = await req.objectLayer.isWritable();
      return json(writable ? 200 : 503, { status: writable ? 'ready' : 'not ready' });
    }
    if (path === '/_strata/admin/v1/heal') {
      if (method !== 'POST') throw new S3Error('MethodNotAllowed');
      const auth = req.authenticate();
      if (!req.isRoot(auth.accessKeyId)) throw new S3Error('AccessDenied');
      const bucket = req.target.query.get('bucket') ?? undefined;
      try {
        const report = await req.admin.heal(bucket === undefined ? {} : { bucket });
        return json(200, report);
      } catch (err) {
        throw toS3Error(err, { bucket });
      }
    }
    return json(404, { code: 'NotFound', message: 'No such Strata endpoint.', requestId: req.request.id });
  } catch (err) {
    if (!isS3Error(err)) throw err;
    return json(err.status, { code: err.code, message: err.message, requestId: req.request.id });
  }
}

function json(status: number, body: unknown): S3Response {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
