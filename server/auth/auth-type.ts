import { SIGV2_HEADER_PREFIX } from './sigv2.js';
import type { AuthRequest } from './types.js';

/**
 * How a request claims to be authenticated: SigV4 or SigV2 (`-v2`) in the Authorization
 * header or in the query string (presigned), or not at all.
 */
export type AuthType = 'header' | 'header-v2' | 'presigned' | 'presigned-v2' | 'anonymous';

const PRESIGN_V4 = /(?:^|&)X-Amz-(?:Algorithm|Credential|Signature)=/;
const PRESIGN_V2 = /(?:^|&)(?:AWSAccessKeyId|Signature)=/;

/**
 * Classifies a request by its authentication mechanism, without verifying it: an
 * Authorization header `AWS …` → 'header-v2', any other → 'header' (SigV4, or an
 * algorithm authenticate() refuses); SigV4 query parameters → 'presigned'; SigV2 query
 * parameters (AWSAccessKeyId/Signature) → 'presigned-v2'; nothing → 'anonymous'.
 * Both a header and query auth → the header's type (authenticate() rejects the mix).
 */
export function authType(req: AuthRequest): AuthType {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    return authorization.startsWith(SIGV2_HEADER_PREFIX) ? 'header-v2' : 'header';
  }
  if (PRESIGN_V4.test(req.rawQuery)) return 'presigned';
  if (PRESIGN_V2.test(req.rawQuery)) return 'presigned-v2';
  return 'anonymous';
}

/** True when the query carries SigV4 or SigV2 query authentication parameters. */
export function hasQueryAuth(rawQuery: string): boolean {
  return PRESIGN_V4.test(rawQuery) || PRESIGN_V2.test(rawQuery);
}
