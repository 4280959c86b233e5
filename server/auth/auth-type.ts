import type { AuthRequest } from './types.js';

/** How a request claims to be authenticated. */
export type AuthType = 'header' | 'presigned' | 'anonymous' | 'unsupported';

const PRESIGN_V4 = /(?:^|&)X-Amz-(?:Algorithm|Credential|Signature)=/;
const PRESIGN_V2 = /(?:^|&)(?:AWSAccessKeyId|Signature)=/;

/**
 * Classifies a request by its authentication mechanism, without verifying it:
 * an Authorization header → 'header'; SigV4 query parameters → 'presigned'; SigV2
 * query parameters (AWSAccessKeyId/Signature) → 'unsupported'; nothing → 'anonymous'.
 * Both a header and query auth → 'header' (authenticate() rejects the mix).
 */
export function authType(req: AuthRequest): AuthType {
  if (req.headers.authorization !== undefined) return 'header';
  if (PRESIGN_V4.test(req.rawQuery)) return 'presigned';
  if (PRESIGN_V2.test(req.rawQuery)) return 'unsupported';
  return 'anonymous';
}
