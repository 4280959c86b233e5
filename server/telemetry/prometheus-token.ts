import { decodeJwt, jwtVerify, SignJWT } from 'jose';

/**
 * Bearer tokens for the Prometheus scrape endpoint, as MinIO's `mc admin prometheus
 * generate` makes them: a JWT signed with HS512 by the root secret key, `sub` the root
 * access key, `iss` 'prometheus', `exp` far in the future. Changing the root password
 * invalidates every token issued with the old one.
 */

/** STRATA_PROMETHEUS_AUTH_TYPE: `jwt` (default) needs a bearer token; `public` serves anyone. */
export const PROMETHEUS_AUTH_TYPES = ['jwt', 'public'] as const;
export type PrometheusAuthType = (typeof PROMETHEUS_AUTH_TYPES)[number];

export const PROMETHEUS_TOKEN_ISSUER = 'prometheus';
export const PROMETHEUS_TOKEN_ALGORITHM = 'HS512';
/** MinIO's default: 100 years, so a scrape config written once keeps working. */
export const PROMETHEUS_TOKEN_TTL_SECONDS = 100 * 365 * 24 * 60 * 60;

export interface TokenCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A signed token for `credentials` (root), valid `ttlSeconds` from `nowMs`. */
export async function issuePrometheusToken(
  credentials: TokenCredentials,
  opts: { ttlSeconds?: number; nowMs?: number } = {},
): Promise<string> {
  const nowSeconds = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: PROMETHEUS_TOKEN_ALGORITHM, typ: 'JWT' })
    .setSubject(credentials.accessKeyId)
    .setIssuer(PROMETHEUS_TOKEN_ISSUER)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + (opts.ttlSeconds ?? PROMETHEUS_TOKEN_TTL_SECONDS))
    .sign(new TextEncoder().encode(credentials.secretAccessKey));
}

export interface TokenVerifier {
  /** The secret of an access key, or undefined when unknown. */
  secretFor: (accessKeyId: string) => string | undefined;
  /** Who may scrape: only the root user, like the admin API. */
  isRoot: (accessKeyId: string) => boolean;
  nowMs?: () => number;
}

/**
 * The token of an `Authorization: Bearer <token>` header, checked: HS512 only, issuer
 * 'prometheus', not expired, `sub` a root access key whose secret verifies the signature.
 * Resolves with the access key, or undefined for a missing, malformed or refused token
 * (never throws: a scrape answers 403 either way).
 */
export async function verifyPrometheusToken(
  authorization: string | undefined,
  verifier: TokenVerifier,
): Promise<string | undefined> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const token = match?.[1];
  if (token === undefined) return undefined;
  try {
    const subject = decodeJwt(token).sub;
    if (subject === undefined || !verifier.isRoot(subject)) return undefined;
    const secret = verifier.secretFor(subject);
    if (secret === undefined) return undefined;
    const nowMs = verifier.nowMs?.() ?? Date.now();
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: [PROMETHEUS_TOKEN_ALGORITHM],
      issuer: PROMETHEUS_TOKEN_ISSUER,
      subject,
      currentDate: new Date(nowMs),
      requiredClaims: ['exp'],
    });
    return payload.sub;
  } catch {
    return undefined;
  }
}
