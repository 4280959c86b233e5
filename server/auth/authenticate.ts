import { S3Error } from '../s3-errors.js';
import { authType, hasQueryAuth } from './auth-type.js';
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  parseQuery,
  type QueryParam,
} from './canonical-request.js';
import {
  checkSkew,
  formatAmzDate,
  MAX_CLOCK_SKEW_MS,
  parseAmzDate,
  parseRequestDate,
} from './request-time.js';
import { SigningKeyCache } from './signing-key.js';
import { verifyV2Header, verifyV2Query } from './sigv2.js';
import { hmacHex, SIGV4_ALGORITHM, signaturesEqual, stringToSign } from './string-to-sign.js';
import type { AuthRequest, AuthResult, CredentialLookup, PayloadMode } from './types.js';

export interface AuthenticateOptions {
  lookup: CredentialLookup;
  /** The region this server answers for; a credential scope naming another is rejected. */
  region: string;
  /** Server time, ms since the epoch (injected so tests control the clock). */
  nowMs: number;
  /** Signing-key cache; a module-wide default (bounded) is used when omitted. */
  signingKeys?: SigningKeyCache;
}

export { formatAmzDate, MAX_CLOCK_SKEW_MS, parseAmzDate } from './request-time.js';

/** Longest presigned URL lifetime S3 accepts: 7 days. */
export const MAX_PRESIGN_EXPIRES_SECONDS = 604_800;

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_PAYLOAD_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

const defaultSigningKeys = new SigningKeyCache();

/**
 * Verifies a SigV4 or SigV2 request (Authorization header or presigned query string)
 * and decides how its body must be read. Pure apart from the signing-key cache.
 *
 * Throws S3Error: AccessDenied (anonymous, bad/missing date, expired or not yet
 * valid presigned URL, X-Amz-Expires ≤ 0 or over a week), AuthorizationHeaderMalformed, AuthorizationQueryParametersError,
 * InvalidRequest (SigV4a and other algorithms, missing x-amz-content-sha256), InvalidArgument (bad
 * x-amz-content-sha256 value, two auth mechanisms, malformed SigV2 header), RequestTimeTooSkewed,
 * InvalidAccessKeyId, SignatureDoesNotMatch.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html (SigV2)
 */
export function authenticate(req: AuthRequest, opts: AuthenticateOptions): AuthResult {
  switch (authType(req)) {
    case 'header':
      return authenticateHeader(req, opts);
    case 'presigned':
      return authenticatePresigned(req, opts);
    case 'header-v2': {
      if (hasQueryAuth(req.rawQuery)) throw onlyOneMechanism();
      const accessKeyId = verifyV2Header(req, opts.lookup, opts.nowMs);
      return { accessKeyId, payload: v2Payload(req), presigned: false };
    }
    case 'presigned-v2': {
      const accessKeyId = verifyV2Query(req, opts.lookup, opts.nowMs);
      return { accessKeyId, payload: v2Payload(req), presigned: true };
    }
    case 'anonymous':
      // Anonymous access needs bucket policies (IAM); until then it is refused.
      throw new S3Error('AccessDenied', { cause: new Error('anonymous request') });
  }
}

/** A parsed `Credential=` value. */
export interface CredentialScope {
  accessKeyId: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request` */
  scope: string;
}

/** A parsed SigV4 Authorization header. */
export interface ParsedAuthorization {
  credential: CredentialScope;
  signedHeaders: string[];
  /** Lower-case hex. */
  signature: string;
}

const MALFORMED = 'The authorization header is malformed;';
const CREDENTIAL_FORM =
  'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';
const SIGNATURE_RE = /^[0-9a-fA-F]{64}$/;
const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const SCOPE_DATE_RE = /^\d{8}$/;

/**
 * Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` strictly:
 * exactly these three components, once each, in any order, separated by ','
 * (optional spaces). Throws AuthorizationHeaderMalformed (InvalidRequest for other
 * algorithms).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 */
export function parseAuthorization(header: string): ParsedAuthorization {
  const space = header.indexOf(' ');
  const algorithm = space === -1 ? header : header.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw unsupportedMechanism(`authorization algorithm ${JSON.stringify(algorithm.slice(0, 40))}`);
  }
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (eq === -1 || fields.has(key) || !['Credential', 'SignedHeaders', 'Signature'].includes(key)) {
      throw malformedHeader(`${MALFORMED} the component ${JSON.stringify(key.slice(0, 40))} is not valid.`);
    }
    fields.set(key, item.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw malformedHeader(`${MALFORMED} it must contain Credential, SignedHeaders and Signature.`);
  }
  const scope = parseCredential(credential);
  if (!scope) throw malformedHeader(`${MALFORMED} ${CREDENTIAL_FORM}`);
  const names = parseSignedHeaders(signedHeaders);
  if (!names) throw malformedHeader(`${MALFORMED} the SignedHeaders list is not valid.`);
  if (!SIGNATURE_RE.test(signature)) throw malformedHeader(`${MALFORMED} the Signature is not valid.`);
  return { credential: scope, signedHeaders: names, signature: signature.toLowerCase() };
}

/** Parses `AKID/YYYYMMDD/region/service/aws4_request` (terminal checked by the caller). */
export function parseCredential(value: string): CredentialScope | undefined {
  const parts = value.split('/');
  if (parts.length < 5) return undefined;
  const terminal = parts.pop() as string;
  const service = parts.pop() as string;
  const region = parts.pop() as string;
  const date = parts.pop() as string;
  const accessKeyId = parts.join('/');
  if (accessKeyId === '' || !SCOPE_DATE_RE.test(date) || region === '' || service === '' || terminal === '') {
    return undefined;
  }
  if (terminal !== 'aws4_request') return undefined;
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request` };
}

function parseSignedHeaders(value: string): string[] | undefined {
  if (value === '') return undefined;
  const names = value.split(';');
  for (const n of names) if (!HEADER_NAME_RE.test(n)) return undefined;
  if (!names.includes('host')) return undefined;
  return names;
}

function authenticateHeader(req: AuthRequest, opts: AuthenticateOptions): AuthResult {
  if (/(?:^|&)X-Amz-(?:Algorithm|Credential|Signature)=/.test(req.rawQuery)) throw onlyOneMechanism();
  const header = singleHeader(req, 'authorization') ?? '';
  const auth = parseAuthorization(header);
  const cred = auth.credential;

  const contentSha256 = singleHeader(req, 'x-amz-content-sha256');
  if (contentSha256 === undefined) {
    throw new S3Error('InvalidRequest', {
      message: 'Missing required header for this request: x-amz-content-sha256',
    });
  }
  const payloadMode = parsePayloadMode(contentSha256);

  // x-amz-date wins over Date; Date may be RFC 7231 or ISO 8601 basic.
  const amzDateHeader = singleHeader(req, 'x-amz-date');
  let requestMs: number;
  if (amzDateHeader !== undefined) {
    requestMs = parseAmzDate(amzDateHeader);
  } else {
    const date = singleHeader(req, 'date');
    requestMs = date === undefined ? Number.NaN : parseRequestDate(date);
  }
  if (!Number.isFinite(requestMs)) {
    throw new S3Error('AccessDenied', {
      message: 'AWS authentication requires a valid Date or x-amz-date header',
    });
  }
  const amzDate = amzDateHeader ?? formatAmzDate(requestMs);
  checkSkew(requestMs, opts.nowMs);
  if (amzDate.slice(0, 8) !== cred.date) {
    throw malformedHeader(`${MALFORMED} Invalid credential date. Date is not the same as X-Amz-Date.`);
  }
  checkScope(cred, opts.region, 'header');

  const creds = opts.lookup(cred.accessKeyId);
  if (!creds) throw new S3Error('InvalidAccessKeyId', { extra: { AWSAccessKeyId: cred.accessKeyId } });

  const params = parseQuery(req.rawQuery);
  const creq = canonicalRequest({
    method: req.method,
    canonicalUri: canonicalUri(req.rawPath),
    canonicalQuery: canonicalQuery(params),
    canonicalHeaders: canonicalHeaders(req.headers, auth.signedHeaders),
    signedHeaders: auth.signedHeaders.join(';'),
    payloadHash: contentSha256,
  });
  const key = (opts.signingKeys ?? defaultSigningKeys).get(creds.secretAccessKey, cred.date, cred.region);
  verify(key, amzDate, cred.scope, creq, auth.signature, cred.accessKeyId);
  return {
    accessKeyId: cred.accessKeyId,
    payload: toPayload(payloadMode, auth.signature, key, amzDate, cred.scope),
    presigned: false,
  };
}

function authenticatePresigned(req: AuthRequest, opts: AuthenticateOptions): AuthResult {
  const params = parseQuery(req.rawQuery);
  const get = (name: string): string | undefined => findParam(params, name);
  const algorithm = get('X-Amz-Algorithm');
  const credential = get('X-Amz-Credential');
  const signature = get('X-Amz-Signature');
  const date = get('X-Amz-Date');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const expires = get('X-Amz-Expires');
  if (
    algorithm === undefined ||
    credential === undefined ||
    signature === undefined ||
    date === undefined ||
    signedHeaders === undefined ||
    expires === undefined
  ) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== SIGV4_ALGORITHM) throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const requestMs = parseAmzDate(date);
  if (!Number.isFinite(requestMs)) {
    throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  if (!/^-?\d{1,10}$/.test(expires)) throw queryError('X-Amz-Expires should be a number');
  const expiresSeconds = Number(expires);
  if (expiresSeconds > MAX_PRESIGN_EXPIRES_SECONDS) {
    // 403 as RGW and ceph/s3-tests (test_object_raw_get_x_amz_expires_out_max_range);
    // AWS is reported to answer 400 AuthorizationQueryParametersError with this message.
    throw new S3Error('AccessDenied', {
      message: 'X-Amz-Expires must be less than a week (in seconds) that is; 604800',
      extra: { 'X-Amz-Expires': expires },
    });
  }
  const cred = parseCredential(credential);
  if (!cred) throw queryError(`Error parsing the X-Amz-Credential parameter; ${CREDENTIAL_FORM}`);
  const names = parseSignedHeaders(signedHeaders);
  if (!names) throw queryError('SignedHeaders is not valid; it must be a ;-separated list containing host.');
  if (!SIGNATURE_RE.test(signature)) throw queryError('X-Amz-Signature is not valid.');
  if (date.slice(0, 8) !== cred.date) {
    throw queryError(
      'Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.',
    );
  }
  checkScope(cred, opts.region, 'query');

  if (requestMs - opts.nowMs > MAX_CLOCK_SKEW_MS) {
    throw new S3Error('AccessDenied', { message: 'Request is not valid yet' });
  }
  const expiresMs = requestMs + expiresSeconds * 1000;
  // A URL that lives zero or fewer seconds has expired whatever the clocks say: 403 as
  // RGW and ceph/s3-tests (test_object_raw_put_authenticated_expired: ExpiresIn=-1000;
  // …_out_range_zero, …_out_positive_range: 0 and -7). AWS is reported to refuse 0 and
  // negative values with 400 AuthorizationQueryParametersError instead.
  if (expiresSeconds <= 0 || opts.nowMs > expiresMs) {
    throw new S3Error('AccessDenied', {
      message: 'Request has expired',
      extra: {
        'X-Amz-Expires': expires,
        Expires: new Date(expiresMs).toISOString(),
        ServerTime: new Date(opts.nowMs).toISOString(),
      },
    });
  }

  const creds = opts.lookup(cred.accessKeyId);
  if (!creds) throw new S3Error('InvalidAccessKeyId', { extra: { AWSAccessKeyId: cred.accessKeyId } });

  const contentSha256 = singleHeader(req, 'x-amz-content-sha256');
  const payloadMode =
    contentSha256 === undefined ? ({ kind: 'unsigned' } as const) : parsePayloadMode(contentSha256);
  const creq = canonicalRequest({
    method: req.method,
    canonicalUri: canonicalUri(req.rawPath),
    canonicalQuery: canonicalQuery(params, 'X-Amz-Signature'),
    canonicalHeaders: canonicalHeaders(req.headers, names),
    signedHeaders: names.join(';'),
    payloadHash: contentSha256 ?? UNSIGNED_PAYLOAD,
  });
  const sig = signature.toLowerCase();
  const key = (opts.signingKeys ?? defaultSigningKeys).get(creds.secretAccessKey, cred.date, cred.region);
  verify(key, date, cred.scope, creq, sig, cred.accessKeyId);
  return {
    accessKeyId: cred.accessKeyId,
    payload: toPayload(payloadMode, sig, key, date, cred.scope),
    presigned: true,
  };
}

/**
 * SigV2 does not sign the body: it is read as unsigned (Content-MD5 and checksums are
 * still verified). An x-amz-content-sha256 header, signed among the amz headers, is
 * honoured: a hex SHA-256 is verified, STREAMING-UNSIGNED-PAYLOAD-TRAILER decoded. Signed
 * streaming payloads need a SigV4 seed signature: InvalidRequest.
 */
function v2Payload(req: AuthRequest): PayloadMode {
  const contentSha256 = singleHeader(req, 'x-amz-content-sha256');
  if (contentSha256 === undefined) return { kind: 'unsigned' };
  const p = parsePayloadMode(contentSha256);
  if (p.kind === 'streaming-signed') {
    throw new S3Error('InvalidRequest', {
      message: `x-amz-content-sha256 ${contentSha256} requires AWS4-HMAC-SHA256 authentication`,
    });
  }
  return p;
}

type ParsedPayload =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; sha256Hex: string }
  | { kind: 'streaming-signed'; trailer: boolean }
  | { kind: 'streaming-unsigned-trailer' };

/**
 * Reads an x-amz-content-sha256 value. Throws InvalidArgument for anything but the
 * documented literals and 64 hex digits; NotImplemented for SigV4a streaming.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 */
export function parsePayloadMode(value: string): ParsedPayload {
  switch (value) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned' };
    case STREAMING_PAYLOAD:
      return { kind: 'streaming-signed', trailer: false };
    case STREAMING_PAYLOAD_TRAILER:
      return { kind: 'streaming-signed', trailer: true };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'streaming-unsigned-trailer' };
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD':
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER':
      throw new S3Error('NotImplemented', { cause: new Error(`x-amz-content-sha256: ${value}`) });
  }
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { kind: 'sha256', sha256Hex: value.toLowerCase() };
  throw new S3Error('InvalidArgument', {
    message:
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.',
    extra: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value.slice(0, 128) },
  });
}

function toPayload(
  p: ParsedPayload,
  signature: string,
  key: Uint8Array,
  amzDate: string,
  scope: string,
): PayloadMode {
  if (p.kind !== 'streaming-signed') return p;
  return {
    kind: 'streaming-signed',
    seedSignature: signature,
    signingKey: key,
    amzDate,
    scope,
    trailer: p.trailer,
  };
}

function verify(
  key: Uint8Array,
  amzDate: string,
  scope: string,
  creq: string,
  provided: string,
  accessKeyId: string,
): void {
  const sts = stringToSign(amzDate, scope, creq);
  const expected = hmacHex(key, sts);
  if (!signaturesEqual(expected, provided)) {
    // AWS returns the string to sign and canonical request to help clients debug; both
    // are derived from what the client sent, never from the secret.
    throw new S3Error('SignatureDoesNotMatch', {
      extra: {
        AWSAccessKeyId: accessKeyId,
        StringToSign: sts,
        SignatureProvided: provided,
        CanonicalRequest: creq,
      },
      cause: new Error('signature mismatch'),
    });
  }
}

function checkScope(cred: CredentialScope, region: string, where: 'header' | 'query'): void {
  const prefix = where === 'header' ? MALFORMED : 'Error parsing the X-Amz-Credential parameter;';
  const fail = (message: string, extra: Record<string, string> = {}): S3Error =>
    where === 'header' ? malformedHeader(message, extra) : queryError(message, extra);
  if (cred.region !== region) {
    throw fail(`${prefix} the region '${cred.region}' is wrong; expecting '${region}'`, { Region: region });
  }
  if (cred.service !== 's3') {
    throw fail(`${prefix} incorrect service '${cred.service}'. This endpoint belongs to 's3'.`);
  }
}

function findParam(params: readonly QueryParam[], name: string): string | undefined {
  for (const p of params) if (p.name === name) return p.value;
  return undefined;
}

function singleHeader(req: AuthRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function malformedHeader(message: string, extra: Record<string, string> = {}): S3Error {
  return new S3Error('AuthorizationHeaderMalformed', { message, extra });
}

function queryError(message: string, extra: Record<string, string> = {}): S3Error {
  return new S3Error('AuthorizationQueryParametersError', { message, extra });
}

function onlyOneMechanism(): S3Error {
  return new S3Error('InvalidArgument', {
    message:
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    extra: { ArgumentName: 'Authorization', ArgumentValue: '' },
  });
}

function unsupportedMechanism(what: string): S3Error {
  return new S3Error('InvalidRequest', {
    message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    cause: new Error(what),
  });
}
