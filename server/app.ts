import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { BufferPool, type ObjectLayer, type StorageAdmin } from '../storage/index.js';
import { authorizeAnonymous } from './anonymous-access.js';
import { type AuthResult, authenticate, authType, type CredentialLookup } from './auth/index.js';
import { deferContinue } from './body/index.js';
import { isValidBucketName } from './bucket-name.js';
import { actualRequestCorsHeaders, preflight } from './cors.js';
import { BUILT_OPERATIONS, dispatch } from './dispatch.js';
import { errorResponse } from './error-response.js';
import { checkExpectedBucketOwner } from './expected-owner.js';
import { isInternalPath, type MetricsAccess, serveInternal } from './internal-endpoints.js';
import {
  declaredBytesIn,
  pickRequestHeaders,
  pickResponseHeaders,
  type RequestObserver,
  type RequestRecord,
} from './request-record.js';
import { parseRequestTarget } from './request-target.js';
import { resolveOperation, type S3Operation } from './resolve-operation.js';
import type { S3Context, S3Response } from './s3-context.js';
import { isS3Error, S3Error } from './s3-errors.js';
import { NO_SSE, PlaintextObjectLayer, type SseSettings } from './sse/index.js';
import type { HealthState } from './telemetry/health.js';
import type { TlsServerOptions } from './tls/certificate-store.js';

export interface ServerOptions {
  objectLayer: ObjectLayer;
  admin: StorageAdmin;
  credentials: CredentialLookup;
  /** The region this endpoint answers for (SigV4 scope, CreateBucket's LocationConstraint). */
  region: string;
  /** Virtual-host base domains: `<bucket>.<domain>` selects a bucket. May be empty. */
  domains: string[];
  logger: Logger;
  /**
   * Who may call the admin API. Until IAM exists every credential the lookup knows is
   * the root user's, so the default admits them all.
   */
  isRoot?: (accessKeyId: string) => boolean;
  /** Clock for signature checks (tests). Defaults to Date.now. */
  nowMs?: () => number;
  /**
   * Called with every finished request (metrics, audit). Observers must not throw or
   * block; an observer that throws is logged and the request is unaffected.
   */
  observers?: readonly RequestObserver[];
  /**
   * Called once a request's S3 operation is known (also 'Preflight'); the function it
   * returns is called once when the response is over, sent or abandoned (the in-flight
   * gauge of server/telemetry/metrics.ts). Must not throw.
   */
  requestStarted?: (op: S3Operation | 'Preflight') => () => void;
  /**
   * The server's lifecycle for the readiness endpoint: main.ts marks it serving once
   * listening and shutting down on SIGTERM. Without it readiness follows write quorum.
   */
  health?: HealthState | undefined;
  /** The Prometheus scrape endpoint (/strata/v1/metrics); without it those paths are 404. */
  metrics?: MetricsAccess | undefined;
  /**
   * Serve HTTPS with these options (server/tls: the certificate directory's default pair
   * and its SNI lookup); without them the server speaks plain HTTP.
   */
  https?: TlsServerOptions | undefined;
  /** Server-side encryption: the KMS and defaults. Without it only SSE-C is available (over TLS). */
  sse?: SseSettings | undefined;
}

/** S3 keys are at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/**
 * Log paths pino must censor. Strata's own log lines never include headers or query
 * strings; these catch anything that logs a raw request by accident.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-amz-security-token"]',
  'req.headers["x-amz-server-side-encryption-customer-key"]',
  'req.headers["x-amz-copy-source-server-side-encryption-customer-key"]',
  'headers.authorization',
  'headers["x-amz-security-token"]',
  'headers["x-amz-server-side-encryption-customer-key"]',
  'headers["x-amz-copy-source-server-side-encryption-customer-key"]',
  'secretAccessKey',
  '*.secretAccessKey',
  // Node's HTTP parse errors carry the raw request bytes (Authorization, presigned query);
  // Fastify logs them at trace level as "client error".
  'err.rawPacket',
];

/** Every method an S3 operation uses; anything else is MethodNotAllowed. */
const S3_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'] as const;

/** What the handler learned about a request, for the access log line and the observers. */
interface RequestNote {
  op?: S3Operation | 'Internal' | 'Preflight';
  bucket?: string;
  key?: string;
  /** ?versionId= of the request. */
  versionId?: string;
  accessKeyId?: string;
  errorCode?: string;
  /** reply.elapsedTime when the response headers went out. */
  timeToFirstByteMs?: number;
}

/**
 * POST Object carries its credentials and signature inside the multipart form; its
 * handler verifies them (server/post-policy.ts) before any byte is stored.
 */
const AUTHENTICATED_BY_FORM: AuthResult = {
  accessKeyId: '',
  payload: { kind: 'unsigned' },
  presigned: false,
};

/** A request without any signature: the ACLs decide (server/anonymous-access.ts). */
const ANONYMOUS: AuthResult = {
  accessKeyId: '',
  payload: { kind: 'unsigned' },
  presigned: false,
  anonymous: true,
};

/**
 * Builds the S3 HTTP server (not listening yet; the caller calls listen()).
 *
 * Fastify carries connections, logging and hooks; S3 routing is ours: every URL is
 * rewritten to one route and the raw request target is parsed by parseRequestTarget,
 * so no router decodes, normalises or rejects odd keys. Request bodies are never
 * touched by Fastify: PUT/POST/DELETE/... are registered as body-less methods, so no
 * content-type parser runs, no bodyLimit applies and any Content-Type is accepted;
 * handlers stream request.raw through readBody.
 */
/**
 * Bytes of reusable buffers decrypted GETs write plaintext into, across all requests: 1 MiB
 * each, back once the socket took their bytes (a GET at line rate holds 1–3). Past it,
 * reads use fresh memory, which costs page faults and GC (bench/README.md, "SSE-S3 cost").
 */
const SSE_PLAINTEXT_BUFFER_BYTES = 32 * 1024 * 1024;

export async function buildServer(serverOptions: ServerOptions): Promise<FastifyInstance> {
  // Handlers see plaintext sizes of encrypted objects (server/sse/plaintext-object-layer.ts).
  const opts = { ...serverOptions, objectLayer: new PlaintextObjectLayer(serverOptions.objectLayer) };
  const sse: SseSettings = {
    ...(serverOptions.sse ?? NO_SSE),
    plaintextBuffers: new BufferPool({ budgetBytes: SSE_PLAINTEXT_BUFFER_BYTES }),
  };
  const logger = opts.logger.child(
    {},
    {
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // Never the query string: presigned URLs carry X-Amz-Signature and credentials.
        req: (req: { method?: string; url?: string }) => ({
          method: req.method,
          path: req.url?.split('?')[0],
        }),
      },
    },
  );
  const nowMs = opts.nowMs ?? Date.now;
  const isRoot = opts.isRoot ?? ((id: string) => opts.credentials(id) !== undefined);
  const notes = new WeakMap<FastifyRequest, RequestNote>();

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Our own access line (onResponse) replaces Fastify's request logging.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: newRequestId,
    requestIdHeader: false,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // With certificates app.server is a node:https Server: the same HTTP/1.1 server API
    // over TLS (Fastify's types model http or https per instance; Strata uses what both have).
    ...((opts.https === undefined ? {} : { https: opts.https }) as object),
    rewriteUrl: () => '/',
    routerOptions: {
      maxParamLength: 65_535,
      ignoreTrailingSlash: false,
      ignoreDuplicateSlashes: false,
      querystringParser: () => ({}),
    },
  });

  // Expect: 100-continue is answered when the body is first read, not on arrival, so
  // a request refused before that (e.g. unauthenticated) gets only its final response.
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    deferContinue(req, res);
    app.server.emit('request', req, res);
  });

  for (const method of ['PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'] as const) {
    app.addHttpMethod(method, { hasBody: false, overrideExisting: true });
  }
  // Belt and braces: should a body method ever reach content-type parsing, leave the body alone.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    (_req: FastifyRequest, _payload: IncomingMessage, done: (err: Error | null) => void) => done(null),
  );

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-amz-request-id', request.id);
    reply.header('x-amz-id-2', hostIdFor(request.id));
  });

  app.addHook('onSend', async (request, reply) => {
    const note = notes.get(request);
    if (note !== undefined) note.timeToFirstByteMs = reply.elapsedTime;
  });

  const observers = opts.observers ?? [];
  app.addHook('onResponse', async (request, reply) => {
    const note = notes.get(request);
    if (observers.length > 0) {
      const record = requestRecord(request, reply, note);
      for (const observe of observers) {
        try {
          observe(record);
        } catch (err) {
          request.log.error({ err }, 'request observer failed');
        }
      }
    }
    request.log.info(
      {
        op: note?.op,
        bucket: note?.bucket,
        method: request.raw.method,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
      },
      'request completed',
    );
  });

  app.setNotFoundHandler(async (request, reply) => {
    const res = errorResponse(new S3Error('MethodNotAllowed'), errorContext(request));
    return send(request, reply, closeIfUnread(request, res));
  });

  app.setErrorHandler(async (err, request, reply) => {
    const res = errorResponse(err, errorContext(request));
    return send(request, reply, closeIfUnread(request, res));
  });

  // Handlers still running. A client that leaves (or a shutdown deadline that cuts it)
  // closes the socket before its handler has unwound, so close() waits for them too: after
  // app.close() nothing touches storage any more.
  const running = new Set<Promise<unknown>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled(running);
  });

  app.route({
    method: [...S3_METHODS],
    url: '/',
    handler: tracked(running, async (request, reply) => {
      const raw = request.raw as IncomingMessage & { originalUrl?: string };
      const rawUrl = raw.originalUrl ?? raw.url ?? '/';
      const note: RequestNote = {};
      notes.set(request, note);

      let res: S3Response;
      const signal = clientGone(reply);
      let resourceBucket: string | undefined;
      let resourceKey: string | undefined;
      try {
        const target = parseRequestTarget(rawUrl, request.headers.host, opts.domains);
        resourceBucket = target.bucket;
        resourceKey = target.key;
        note.bucket = target.bucket;
        note.key = target.key;
        note.versionId = target.query.get('versionId') ?? undefined;
        // Strata's endpoints (health, metrics, admin) on path-style requests only: on a
        // virtual host /strata/... is a key in the addressed bucket.
        if (!target.virtualHost && isInternalPath(target.rawPath)) {
          note.op = 'Internal';
          return send(
            request,
            reply,
            await serveInternal({
              request,
              target,
              objectLayer: opts.objectLayer,
              admin: opts.admin,
              authenticate: () =>
                authenticate(
                  {
                    method: request.method,
                    rawPath: target.rawPath,
                    rawQuery: target.rawQuery,
                    headers: request.headers,
                  },
                  { lookup: opts.credentials, region: opts.region, nowMs: nowMs() },
                ),
              isRoot,
              secretFor: (accessKeyId: string) => opts.credentials(accessKeyId)?.secretAccessKey,
              health: opts.health,
              metrics: opts.metrics,
              kms: serverOptions.sse?.kms,
            }),
          );
        }

        if (request.method === 'OPTIONS') {
          // CORS preflight: unauthenticated, answered from the bucket's CORS rules.
          note.op = 'Preflight';
          note.bucket = target.bucket;
          inFlight(reply, opts.requestStarted?.('Preflight'));
          const headers = request.headers;
          const answer = await preflight({ objectLayer: opts.objectLayer, ...target, headers });
          return send(request, reply, answer);
        }

        const op = resolveOperation({
          method: request.method,
          bucket: target.bucket,
          key: target.key,
          query: target.query,
          headers: request.headers,
        });
        if (op === undefined) throw new S3Error('MethodNotAllowed');
        note.op = op;
        inFlight(reply, opts.requestStarted?.(op));
        note.bucket = target.bucket;

        const authRequest = {
          method: request.method,
          rawPath: target.rawPath,
          rawQuery: target.rawQuery,
          headers: request.headers,
          rawHeaders: raw.rawHeaders,
          virtualHostBucket: target.virtualHost ? target.bucket : undefined,
        };
        let auth: AuthResult;
        if (op === 'PostObject') auth = AUTHENTICATED_BY_FORM;
        else if (authType(authRequest) === 'anonymous') auth = ANONYMOUS;
        else
          auth = authenticate(authRequest, { lookup: opts.credentials, region: opts.region, nowMs: nowMs() });
        note.accessKeyId = auth.accessKeyId;
        // Session tokens come from STS, which does not exist yet: a request that carries one
        // must not be served as if the token had been checked (after the signature check).
        if (
          request.headers['x-amz-security-token'] !== undefined ||
          target.query.has('X-Amz-Security-Token')
        ) {
          throw new S3Error('InvalidToken');
        }
        if (!BUILT_OPERATIONS.has(op)) throw new S3Error('NotImplemented');
        if (target.key !== undefined && Buffer.byteLength(target.key) > MAX_KEY_BYTES) {
          throw new S3Error('KeyTooLongError', {
            extra: { Size: String(Buffer.byteLength(target.key)), MaxSizeAllowed: String(MAX_KEY_BYTES) },
          });
        }
        if (target.bucket !== undefined && op !== 'CreateBucket' && !isValidBucketName(target.bucket)) {
          throw new S3Error('NoSuchBucket', { extra: { BucketName: target.bucket } });
        }

        const ctx: S3Context = {
          op,
          bucket: target.bucket ?? '',
          key: target.key ?? '',
          target,
          query: target.query,
          headers: request.headers,
          method: request.method,
          raw,
          auth,
          objectLayer: opts.objectLayer,
          sse,
          region: opts.region,
          signal,
          log: request.log,
          requestId: request.id,
          credentials: opts.credentials,
          nowMs,
        };
        // Authorized before anything is read or stored: signed users have the owner's
        // rights until IAM exists; unsigned requests get what the AllUsers grants allow.
        checkExpectedBucketOwner(request.headers, ctx.bucket !== '');
        if (auth.anonymous === true) await authorizeAnonymous(ctx);
        res = await dispatch(op, ctx);
      } catch (err) {
        if (signal.aborted) {
          // Nobody is left to answer; whatever failed did so because the client left.
          request.log.info(
            { op: note.op, bucket: note.bucket, err: String(err) },
            'client closed the connection',
          );
          return reply.hijack();
        }
        note.errorCode = errorCodeOf(err);
        res = closeIfUnread(request, errorResponse(err, errorContext(request, resourceBucket, resourceKey)));
      }
      if (request.headers.origin !== undefined && request.method !== 'OPTIONS') {
        // Actual CORS requests get the matching rule's headers, on errors too (as S3).
        const cors = await actualRequestCorsHeaders(
          opts.objectLayer,
          resourceBucket,
          request.method,
          request.headers,
        );
        res = { ...res, headers: { ...cors, ...res.headers } };
      }
      return send(request, reply, res);
    }),
  });

  return app;
}

/** Calls `done` (from ServerOptions.requestStarted) once, when the response is over or abandoned. */
function inFlight(reply: FastifyReply, done: (() => void) | undefined): void {
  if (done !== undefined) reply.raw.once('close', done);
}

/** `handler`, with each call's promise in `running` until it settles. */
function tracked(
  running: Set<Promise<unknown>>,
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return (request, reply) => {
    const call = handler(request, reply);
    running.add(call);
    return call.finally(() => running.delete(call));
  };
}

function errorCodeOf(err: unknown): string {
  return isS3Error(err) ? err.code : 'InternalError';
}

/** The observers' view of a finished request (server/request-record.ts). */
function requestRecord(
  request: FastifyRequest,
  reply: FastifyReply,
  note: RequestNote | undefined,
): RequestRecord {
  const totalMs = reply.elapsedTime;
  const responseHeaders = reply.getHeaders();
  const contentLength = Number(responseHeaders['content-length']);
  const sentInFull = reply.raw.writableFinished && request.method !== 'HEAD';
  const status = reply.statusCode;
  const versionHeader = responseHeaders['x-amz-version-id'];
  const userAgent = request.headers['user-agent'];
  return {
    time: new Date(Date.now() - totalMs),
    requestId: request.id,
    op: note?.op,
    method: request.method,
    bucket: note?.bucket ?? '',
    key: note?.key ?? '',
    versionId: typeof versionHeader === 'string' ? versionHeader : (note?.versionId ?? ''),
    status,
    errorCode: status >= 300 && status !== 304 ? (note?.errorCode ?? '') : '',
    bytesIn: request.raw.complete ? declaredBytesIn(request.headers) : 0,
    bytesOut: sentInFull && Number.isSafeInteger(contentLength) ? contentLength : 0,
    timeToFirstByteMs: note?.timeToFirstByteMs ?? totalMs,
    totalMs,
    accessKeyId: note?.accessKeyId ?? '',
    sourceIp: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent : '',
    requestHeaders: pickRequestHeaders(request.headers),
    responseHeaders: pickResponseHeaders(responseHeaders),
  };
}

/** AWS-style request id: 16 upper-case hex characters. */
function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** x-amz-id-2 / HostId: an opaque token tied to the request id. */
function hostIdFor(requestId: string): string {
  return Buffer.from(`strata/${requestId}`).toString('base64');
}

function errorContext(request: FastifyRequest, bucket?: string, key?: string) {
  let resource = '/';
  if (bucket !== undefined) resource = key === undefined ? `/${bucket}` : `/${bucket}/${key}`;
  return {
    method: request.method,
    resource,
    requestId: request.id,
    hostId: hostIdFor(request.id),
    log: request.log,
  };
}

/**
 * An error answered before the request body was read: close the connection after the
 * response, so the unread bytes are not parsed as the next request on keep-alive.
 */
function closeIfUnread(request: FastifyRequest, res: S3Response): S3Response {
  if (request.raw.complete) return res;
  return { ...res, headers: { ...res.headers, connection: 'close' } };
}

/** An AbortSignal that fires when the client goes away before the response finished. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller.signal;
}

function send(request: FastifyRequest, reply: FastifyReply, res: S3Response): FastifyReply {
  reply.code(res.status);
  if (res.headers !== undefined) {
    for (const [name, value] of Object.entries(res.headers)) reply.header(name, value);
  }
  if (request.method === 'HEAD' || res.status === 304 || res.status === 204) {
    if (res.body instanceof Readable) res.body.destroy();
    return reply.send();
  }
  return reply.send(res.body ?? '');
}
