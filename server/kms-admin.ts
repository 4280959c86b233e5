import { type CryptoErrorCode, isCryptoError, type Kms } from '../crypto/index.js';
import type { ObjectLayer } from '../storage/index.js';
import { rewrapObjectKeys } from './kms-rewrap.js';
import { S3Error } from './s3-errors.js';
import { toS3Error } from './storage-errors.js';

/**
 * The KMS admin calls (`strata admin kms ...`), under `/_strata/admin/v1/kms/`; the caller
 * (server/internal-endpoints.ts) has checked the root user's signature. Answers are JSON:
 *
 * - `GET  key/list`               `{defaultKey, keys: [KeyInfo]}` (KeyInfo: crypto/kms.ts; dates as ISO strings)
 * - `POST key/create?name=N`      KeyInfo of the new key (version 1); 409 KeyExists
 * - `GET  key/status?name=N`      KeyStatus (after a generate/decrypt round trip); 404 KeyNotFound
 * - `POST key/rotate?name=N`      KeyInfo with the new version; 404 KeyNotFound
 * - `POST rewrap[?bucket=B]`      RewrapReport (server/kms-rewrap.ts)
 *
 * Errors are `{code, message, requestId}`: 400 InvalidKeyName or InvalidArgument (no
 * name), 404 KeyNotFound, 409 KeyExists, 405 MethodNotAllowed, 501 KmsNotConfigured when
 * the server has no KMS root secret; storage errors as S3 maps them (404 NoSuchBucket,
 * 503 ServiceUnavailable).
 */
export type KmsAdminCall =
  | 'kms-key-list'
  | 'kms-key-create'
  | 'kms-key-status'
  | 'kms-key-rotate'
  | 'kms-rewrap';

export const KMS_ADMIN_PATHS: ReadonlyMap<string, KmsAdminCall> = new Map([
  ['/_strata/admin/v1/kms/key/list', 'kms-key-list'],
  ['/_strata/admin/v1/kms/key/create', 'kms-key-create'],
  ['/_strata/admin/v1/kms/key/status', 'kms-key-status'],
  ['/_strata/admin/v1/kms/key/rotate', 'kms-key-rotate'],
  ['/_strata/admin/v1/kms/rewrap', 'kms-rewrap'],
]);

export interface KmsAdminRequest {
  method: string;
  query: URLSearchParams;
  /** Undefined: no root secret configured; every call answers 501 KmsNotConfigured. */
  kms: Kms | undefined;
  objectLayer: ObjectLayer;
}

/** An answer: status and the JSON body (an error body lacks the request id, which the caller adds). */
export interface KmsAdminAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Runs one call. Throws S3Error (method, arguments, storage); unexpected errors pass through (500). */
export async function serveKmsAdmin(call: KmsAdminCall, req: KmsAdminRequest): Promise<KmsAdminAnswer> {
  requireMethod(req.method, call === 'kms-key-list' || call === 'kms-key-status' ? 'GET' : 'POST');
  const kms = req.kms;
  if (kms === undefined) {
    return {
      status: 501,
      body: {
        code: 'KmsNotConfigured',
        message:
          'KMS not configured: start the server with STRATA_KMS_SECRET_KEY or STRATA_KMS_SECRET_KEY_FILE.',
      },
    };
  }
  try {
    switch (call) {
      case 'kms-key-list':
        return ok({ defaultKey: kms.defaultKeyName, keys: await kms.listKeys() });
      case 'kms-key-create':
        return ok(await kms.createKey(keyName(req.query)));
      case 'kms-key-status':
        return ok(await kms.keyStatus(keyName(req.query)));
      case 'kms-key-rotate':
        return ok(await kms.rotateKey(keyName(req.query)));
      case 'kms-rewrap': {
        const bucket = req.query.get('bucket') ?? undefined;
        try {
          return ok(await rewrapObjectKeys(req.objectLayer, kms, { bucket }));
        } catch (err) {
          throw toS3Error(err, { bucket });
        }
      }
    }
  } catch (err) {
    if (!isCryptoError(err)) throw err;
    const status = CRYPTO_STATUS[err.code];
    if (status === undefined) throw err;
    return { status, body: { code: err.code, message: err.message } };
  }
}

/** The crypto errors a caller can cause; any other is a server fault (500, logged). */
const CRYPTO_STATUS: Partial<Record<CryptoErrorCode, number>> = {
  InvalidKeyName: 400,
  KeyNotFound: 404,
  KeyExists: 409,
};

function keyName(query: URLSearchParams): string {
  const name = query.get('name');
  if (name === null || name === '') {
    throw new S3Error('InvalidArgument', {
      message: 'The query parameter "name" (the KMS key name) is required.',
    });
  }
  return name;
}

function requireMethod(method: string, allowed: string): void {
  if (method !== allowed) throw new S3Error('MethodNotAllowed');
}

function ok(body: object): KmsAdminAnswer {
  return { status: 200, body: { ...body } };
}
