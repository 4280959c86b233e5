import type { FastifyRequest } from 'fastify';
import type { Kms } from '../crypto/index.js';
import type { ObjectLayer, StorageAdmin } from '../storage/index.js';
import type { AuthResult } from './auth/index.js';
import { KMS_ADMIN_PATHS, serveKmsAdmin } from './kms-admin.js';
import type { RequestTarget } from './request-target.js';
import type { S3Response } from './s3-context.js';
import { isS3Error, S3Error } from './s3-errors.js';
import { toS3Error } from './storage-errors.js';
import {
  clusterHealth,
  type HealthAnswer,
  type HealthState,
  liveness,
  readiness,
} from './telemetry/health.js';
import type { Scrape } from './telemetry/metrics.js';
import { type PrometheusAuthType, verifyPrometheusToken } from './telemetry/prometheus-token.js';

/**
 * Strata's own endpoints on the S3 port. Answers are JSON (metrics: Prometheus text).
 *
 * Under `/_strata/` (a leading underscore is never a valid bucket name, so these cannot
 * shadow a bucket):
 * - `GET|HEAD /_strata/health/live`, `/_strata/health/ready`, `/_strata/health/cluster`
 * - `POST /_strata/admin/v1/heal[?bucket=name]`: SigV4-signed by the root user; heals
 *   everything or one bucket and answers StorageAdmin.heal()'s report.
 * - `/_strata/admin/v1/kms/...`: KMS keys and the re-wrap, root only (server/kms-admin.ts).
 *
 * The exact paths below, for Kubernetes probes, Prometheus and MinIO tooling. They are
 * path-style paths of the buckets `strata` and `minio`, which are reserved names for that
 * reason (server/bucket-name.ts), and they are served only on path-style requests:
 * - `GET|HEAD /strata/health/live` (alias `/minio/health/live`): 200 while the process serves.
 * - `GET|HEAD /strata/health/ready` (alias `/minio/health/ready`): 200 once serving with
 *   write quorum; 503 before that and once shutdown has begun (server/telemetry/health.ts).
 * - `GET|HEAD /strata/health/cluster` (alias `/minio/health/cluster`): 200 with write quorum.
 * - `GET /strata/v1/metrics` (alias `/minio/v2/metrics/cluster`): Prometheus text. Needs
 *   `Authorization: Bearer <JWT>` (server/telemetry/prometheus-token.ts) unless the auth
 *   type is `public`; a missing or refused token is 403.
 * No endpoint here needs a SigV4 signature except the admin API.
 */

type InternalEndpoint = 'live' | 'ready' | 'cluster' | 'metrics' | 'heal' | 'kms';

const ENDPOINTS: ReadonlyMap<string, InternalEndpoint> = new Map([
  ['/_strata/health/live', 'live'],
  ['/_strata/health/ready', 'ready'],
  ['/_strata/health/cluster', 'cluster'],
  ['/_strata/admin/v1/heal', 'heal'],
  ['/strata/health/live', 'live'],
  ['/strata/health/ready', 'ready'],
  ['/strata/health/cluster', 'cluster'],
  ['/strata/v1/metrics', 'metrics'],
  ['/minio/health/live', 'live'],
  ['/minio/health/ready', 'ready'],
  ['/minio/health/cluster', 'cluster'],
  ['/minio/v2/metrics/cluster', 'metrics'],
]);

/** The canonical paths (what manifests and docs should use). */
export const HEALTH_LIVE_PATH = '/strata/health/live';
export const HEALTH_READY_PATH = '/strata/health/ready';
export const HEALTH_CLUSTER_PATH = '/strata/health/cluster';
export const METRICS_PATH = '/strata/v1/metrics';
/** MinIO's cluster metrics path, so existing ServiceMonitors and dashboards work. */
export const MINIO_METRICS_PATH = '/minio/v2/metrics/cluster';

/**
 * True when a path-style request's raw path is one of Strata's own endpoints: anything
 * under `/_strata/`, or exactly one of the health and metrics paths above. Routed before
 * S3 operation resolution.
 */
export function isInternalPath(rawPath: string): boolean {
  return rawPath === '/_strata' || rawPath.startsWith('/_strata/') || ENDPOINTS.has(rawPath);
}

/** The scrape endpoint's configuration (ServerOptions.metrics). */
export interface MetricsAccess {
  metrics: { scrape(): Promise<Scrape> };
  /** `jwt`: a root user's bearer token is required; `public`: anyone may scrape. */
  authType: PrometheusAuthType;
}

export interface InternalRequest {
  request: FastifyRequest;
  target: RequestTarget;
  objectLayer: ObjectLayer;
  admin: StorageAdmin;
  /** Verifies the request's SigV4 signature (throws S3Error). */
  authenticate: () => AuthResult;
  isRoot: (accessKeyId: string) => boolean;
  /** The secret of an access key (bearer tokens are verified with the root user's). */
  secretFor: (accessKeyId: string) => string | undefined;
  /** Undefined: readiness follows write quorum alone. */
  health: HealthState | undefined;
  /** Undefined: the metrics paths answer 404. */
  metrics: MetricsAccess | undefined;
  /** The server's KMS. Undefined (no root secret): the KMS admin calls answer 501 KmsNotConfigured. */
  kms: Kms | undefined;
}

export async function serveInternal(req: InternalRequest): Promise<S3Response> {
  const kmsCall = KMS_ADMIN_PATHS.get(req.target.rawPath);
  const endpoint = kmsCall === undefined ? ENDPOINTS.get(req.target.rawPath) : 'kms';
  const method = req.request.method;
  const writable = () => req.objectLayer.isWritable();
  try {
    switch (endpoint) {
      case 'live':
        requireMethod(method, 'GET', 'HEAD');
        return health(liveness());
      case 'ready':
        requireMethod(method, 'GET', 'HEAD');
        return health(
          req.health === undefined ? await clusterHealth(writable) : await readiness(req.health, writable),
        );
      case 'cluster':
        requireMethod(method, 'GET', 'HEAD');
        return health(await clusterHealth(writable));
      case 'metrics':
        if (req.metrics === undefined) break;
        requireMethod(method, 'GET');
        return await scrape(req, req.metrics);
      case 'heal': {
        requireMethod(method, 'POST');
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
      case 'kms': {
        if (kmsCall === undefined) break;
        const auth = req.authenticate();
        if (!req.isRoot(auth.accessKeyId)) throw new S3Error('AccessDenied');
        const answer = await serveKmsAdmin(kmsCall, {
          method,
          query: req.target.query,
          kms: req.kms,
          objectLayer: req.objectLayer,
        });
        return json(
          answer.status,
          answer.status === 200 ? answer.body : { ...answer.body, requestId: req.request.id },
        );
      }
      case undefined:
        break;
    }
    return json(404, { code: 'NotFound', message: 'No such Strata endpoint.', requestId: req.request.id });
  } catch (err) {
    if (!isS3Error(err)) throw err;
    return json(err.status, { code: err.code, message: err.message, requestId: req.request.id });
  }
}

async function scrape(req: InternalRequest, access: MetricsAccess): Promise<S3Response> {
  if (access.authType === 'jwt') {
    const subject = await verifyPrometheusToken(req.request.headers.authorization, {
      secretFor: req.secretFor,
      isRoot: req.isRoot,
    });
    if (subject === undefined) {
      return json(403, {
        code: 'AccessDenied',
        message: 'A valid bearer token is required (strata admin prometheus generate).',
        requestId: req.request.id,
      });
    }
  }
  const { contentType, body } = await access.metrics.scrape();
  return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
}

function requireMethod(method: string, ...allowed: string[]): void {
  if (!allowed.includes(method)) throw new S3Error('MethodNotAllowed');
}

function health(answer: HealthAnswer): S3Response {
  return {
    status: answer.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(answer.body),
  };
}

function json(status: number, body: unknown): S3Response {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
