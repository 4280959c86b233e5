import { createHmac } from 'node:crypto';
import { S3Error } from '../s3-errors.js';
import { headerText } from './canonical-request.js';
import { checkSkew, parseRequestDate } from './request-time.js';
import { signaturesEqual } from './string-to-sign.js';
import type { AuthRequest, CredentialLookup } from './types.js';
import { percentDecode } from './uri-encode.js';

/**
 * AWS Signature Version 2 for S3 (`Authorization: AWS AKID:sig`, and presigned URLs with
 * `AWSAccessKeyId`, `Expires`, `Signature`), still sent by older clients: boto's
 * signature_version='s3', s3cmd with signature_v2, old SDKs. The signature is the base64
 * HMAC-SHA1 of a string to sign built from the method, Content-MD5, Content-Type, the date
 * (Expires for presigned URLs), the x-amz-* headers and the resource; the body is not signed.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 */

/** The Authorization header scheme SigV2 uses ('AWS' and one space). */
export const SIGV2_HEADER_PREFIX = 'AWS ';

const RESPONSE_OVERRIDES = [
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
];

/**
 * The query parameters S3 signs as sub-resources: AWS's documented list, the response
 * overrides, and the sub-resources added since (the ones MinIO and radosgw sign too).
 */
export const SIGNED_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl',
  'cors',
  'delete',
  'legal-hold',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'object-lock',
  'partNumber',
  'policy',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'select-type',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
  ...RESPONSE_OVERRIDES,
]);

/**
 * botocore's list (HmacV1Auth.QSAOfInterest): it also signs accelerate, analytics,
 * defaultObjectAcl, inventory, metrics, replication and storageClass, and not retention or
 * legal-hold. A request naming one of those is also checked against this reading.
 */
const BOTOCORE_SUBRESOURCES: ReadonlySet<string> = new Set([
  ...[...SIGNED_SUBRESOURCES].filter((n) => n !== 'retention' && n !== 'legal-hold'),
  'accelerate',
  'analytics',
  'defaultObjectAcl',
  'inventory',
  'metrics',
  'replication',
  'storageClass',
]);

/**
 * `/bucket` for a virtual-hosted-style request, then the path exactly as sent (still
 * percent-encoded), then the signed sub-resources of the query in `?a&b=v` form: sorted by
 * name (stable), values percent-decoded ('+' stays '+', as botocore and boto unquote them)
 * and never re-encoded, a parameter sent as `name=` keeps its '='. Other parameters
 * (including AWSAccessKeyId, Expires and Signature) are not part of the resource.
 */
export function canonicalizedResource(
  rawPath: string,
  rawQuery: string,
  virtualHostBucket: string | undefined,
  subresources: ReadonlySet<string> = SIGNED_SUBRESOURCES,
): string {
  let out = virtualHostBucket === undefined ? rawPath : `/${virtualHostBucket}${rawPath}`;
  if (out === '') out = '/';
  if (rawQuery === '') return out;
  const signed: [string, string][] = [];
  for (const piece of rawQuery.split('&')) {
    const eq = piece.indexOf('=');
    const name = eq === -1 ? piece : piece.slice(0, eq);
    if (!subresources.has(name)) continue;
    signed.push([
      name,
      eq === -1 ? name : `${name}=${percentDecode(piece.slice(eq + 1), false).toString('utf8')}`,
    ]);
  }
  if (signed.length === 0) return out;
  signed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `${out}?${signed.map((s) => s[1]).join('&')}`;
}

/**
 * CanonicalizedAmzHeaders from (name, value) pairs in arrival order: names starting with
 * x-amz- lower-cased and sorted, each value trimmed with line folds unfolded, repeated
 * names joined with ',' in arrival order, `name:value\n` each. `omit` drops one name.
 */
export function canonicalizedAmzHeaders(pairs: Iterable<readonly [string, string]>, omit?: string): string {
  const byName = new Map<string, string[]>();
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase();
    if (!name.startsWith('x-amz-') || name === omit) continue;
    const v = headerText(value).replace(LINE_FOLD, ' ').trim();
    const list = byName.get(name);
    if (list === undefined) byName.set(name, [v]);
    else list.push(v);
  }
  let out = '';
  for (const name of [...byName.keys()].sort()) {
    out += `${name}:${(byName.get(name) as string[]).join(',')}\n`;
  }
  return out;
}

const LINE_FOLD = /\r?\n[ \t]*/g;

/** The SigV2 string to sign: the positional lines, then the amz headers and the resource. */
export function stringToSignV2(
  method: string,
  contentMd5: string,
  contentType: string,
  dateOrExpires: string,
  amzHeaders: string,
  resource: string,
): string {
  return `${method}\n${contentMd5}\n${contentType}\n${dateOrExpires}\n${amzHeaders}${resource}`;
}

/** base64(HMAC-SHA1(secret, UTF-8 of stringToSign)). */
export function signV2(secretAccessKey: string, stringToSign: string): string {
  return createHmac('sha1', secretAccessKey).update(stringToSign, 'utf8').digest('base64');
}

/**
 * Parses `AWS AKID:signature` (leading and trailing spaces around either part ignored).
 * Throws InvalidArgument when either part is missing.
 */
export function parseV2Authorization(header: string): { accessKeyId: string; signature: string } {
  const rest = header.startsWith(SIGV2_HEADER_PREFIX) ? header.slice(SIGV2_HEADER_PREFIX.length) : '';
  const colon = rest.lastIndexOf(':');
  const accessKeyId = colon === -1 ? '' : rest.slice(0, colon).trim();
  const signature = colon === -1 ? '' : rest.slice(colon + 1).trim();
  if (accessKeyId === '' || signature === '') {
    throw new S3Error('InvalidArgument', {
      message: 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature',
      extra: { ArgumentName: 'Authorization', ArgumentValue: header.slice(0, 256) },
    });
  }
  return { accessKeyId, signature };
}

/**
 * Verifies `Authorization: AWS AKID:signature` and returns the access key id.
 *
 * The request time is x-amz-date when present, else Date; missing, unreadable or before the
 * epoch → AccessDenied; more than 15 minutes off → RequestTimeTooSkewed. Then
 * InvalidAccessKeyId, SignatureDoesNotMatch (with the string to sign).
 *
 * The string to sign follows the documentation: with x-amz-date present, the Date line is
 * empty and x-amz-date is signed among the amz headers. Two other readings are accepted
 * when that one does not match, since real signers produce them: botocore puts the Date
 * header on the Date line even then (MinIO verifies it that way), and the documentation's
 * own DELETE example puts the x-amz-date value on the Date line and leaves it out of the
 * amz headers. Each reading signs the same request data.
 */
export function verifyV2Header(req: AuthRequest, lookup: CredentialLookup, nowMs: number): string {
  const { accessKeyId, signature } = parseV2Authorization(header(req, 'authorization') ?? '');
  const amzDate = header(req, 'x-amz-date');
  const date = header(req, 'date');
  const timeValue = amzDate ?? date;
  const requestMs = timeValue === undefined ? Number.NaN : parseRequestDate(timeValue);
  // ceph/s3-tests (test_object_create_bad_date_before_epoch_aws2) wants a pre-1970 date
  // refused as invalid, not as skewed.
  if (!(requestMs >= 0)) {
    throw new S3Error('AccessDenied', {
      message: 'AWS authentication requires a valid Date or x-amz-date header',
    });
  }
  checkSkew(requestMs, nowMs);
  const creds = lookup(accessKeyId);
  if (!creds) throw new S3Error('InvalidAccessKeyId', { extra: { AWSAccessKeyId: accessKeyId } });

  const pairs = headerPairs(req);
  const amzHeaders = canonicalizedAmzHeaders(pairs);
  const lines: [string, string][] = [];
  if (amzDate === undefined) {
    lines.push([text(date), amzHeaders]);
  } else {
    lines.push(['', amzHeaders]);
    if (date !== undefined) lines.push([text(date), amzHeaders]);
    lines.push([text(amzDate), canonicalizedAmzHeaders(pairs, 'x-amz-date')]);
  }
  const candidates: string[] = [];
  for (const resource of resources(req)) {
    for (const [dateLine, amz] of lines) {
      candidates.push(
        stringToSignV2(
          req.method,
          text(header(req, 'content-md5')),
          text(header(req, 'content-type')),
          dateLine,
          amz,
          resource,
        ),
      );
    }
  }
  verify(creds.secretAccessKey, candidates, signature, accessKeyId);
  return accessKeyId;
}

/**
 * Verifies a SigV2 presigned URL (`AWSAccessKeyId`, `Expires` in epoch seconds,
 * `Signature`) and returns the access key id. The Date line is the Expires value as sent;
 * x-amz-* query parameters are signed like x-amz-* headers, and Content-Type/Content-MD5
 * given as `content-type`/`content-md5` parameters stand in for absent headers (botocore's
 * presigner moves signed headers into the query). No Date or clock-skew check applies.
 *
 * Throws AccessDenied (a parameter missing, Expires not a number, expired: "Request has
 * expired"), InvalidAccessKeyId, SignatureDoesNotMatch.
 */
export function verifyV2Query(req: AuthRequest, lookup: CredentialLookup, nowMs: number): string {
  const params = queryPairs(req.rawQuery);
  const get = (name: string): string | undefined => params.find((p) => p[0] === name)?.[1];
  const accessKeyId = get('AWSAccessKeyId');
  const expires = get('Expires');
  // Base64 never contains a space: a '+' sent unencoded was read as one.
  const signature = get('Signature')?.replace(/ /g, '+');
  if (accessKeyId === undefined || expires === undefined || signature === undefined) {
    throw new S3Error('AccessDenied', {
      message: 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
    });
  }
  if (!/^\d{1,12}$/.test(expires)) {
    throw new S3Error('AccessDenied', {
      message: `Invalid date (should be seconds since epoch): ${expires.slice(0, 64)}`,
    });
  }
  const expiresMs = Number(expires) * 1000;
  if (nowMs > expiresMs) {
    throw new S3Error('AccessDenied', {
      message: 'Request has expired',
      extra: { Expires: new Date(expiresMs).toISOString(), ServerTime: new Date(nowMs).toISOString() },
    });
  }
  const creds = lookup(accessKeyId);
  if (!creds) throw new S3Error('InvalidAccessKeyId', { extra: { AWSAccessKeyId: accessKeyId } });

  const amzHeaders = canonicalizedAmzHeaders([
    ...headerPairs(req),
    ...params.filter((p) => p[0].toLowerCase().startsWith('x-amz-')),
  ]);
  const contentMd5 = text(header(req, 'content-md5') ?? get('content-md5'));
  const contentType = text(header(req, 'content-type') ?? get('content-type'));
  const candidates = resources(req).map((resource) =>
    stringToSignV2(req.method, contentMd5, contentType, expires, amzHeaders, resource),
  );
  verify(creds.secretAccessKey, candidates, signature, accessKeyId);
  return accessKeyId;
}

/**
 * The resources a signer may have meant, the documented reading first: the path as sent,
 * and for a path-style request naming only a bucket (`/bucket`) also `/bucket/`, which
 * botocore and boto sign for bucket operations whatever the addressing style; each with
 * S3's sub-resource list and, when that differs for this query, botocore's.
 */
function resources(req: AuthRequest): string[] {
  const paths = [req.rawPath];
  if (req.virtualHostBucket === undefined && /^\/[^/]+$/.test(req.rawPath)) paths.push(`${req.rawPath}/`);
  const out: string[] = [];
  for (const list of [SIGNED_SUBRESOURCES, BOTOCORE_SUBRESOURCES]) {
    for (const path of paths) {
      const resource = canonicalizedResource(path, req.rawQuery, req.virtualHostBucket, list);
      if (!out.includes(resource)) out.push(resource);
    }
  }
  return out;
}

/**
 * Accepts when `provided` matches the signature of any candidate (each compared in
 * constant time); otherwise SignatureDoesNotMatch with the first (documented) string to
 * sign, as AWS reports it to help clients debug. Nothing in it derives from the secret.
 */
function verify(secret: string, candidates: readonly string[], provided: string, accessKeyId: string): void {
  for (const sts of candidates) {
    if (signaturesEqual(signV2(secret, sts), provided)) return;
  }
  const sts = candidates[0] as string;
  throw new S3Error('SignatureDoesNotMatch', {
    extra: {
      AWSAccessKeyId: accessKeyId,
      StringToSign: sts,
      SignatureProvided: provided,
      StringToSignBytes: Buffer.from(sts, 'utf8')
        .toString('hex')
        .replace(/(..)(?!$)/g, '$1 '),
    },
    cause: new Error('signature mismatch'),
  });
}

/** Query parameters as (decoded name, decoded value) pairs; '+' reads as a space. */
function queryPairs(rawQuery: string): [string, string][] {
  const out: [string, string][] = [];
  if (rawQuery === '') return out;
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = percentDecode(eq === -1 ? piece : piece.slice(0, eq), true).toString('utf8');
    const value = eq === -1 ? '' : percentDecode(piece.slice(eq + 1), true).toString('utf8');
    out.push([name, value]);
  }
  return out;
}

/**
 * The request's headers as (name, value) pairs in arrival order: from `rawHeaders` when
 * given (repeated headers stay separate, so they join with ',' as signers join them), else
 * from `headers` (where Node has already joined repeats with ', ').
 */
function headerPairs(req: AuthRequest): [string, string][] {
  const out: [string, string][] = [];
  const raw = req.rawHeaders;
  if (raw !== undefined) {
    for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
    return out;
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, v]);
    else out.push([name, value]);
  }
  return out;
}

function header(req: AuthRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** A positional value as signed: its text, trimmed; '' when absent. */
function text(value: string | undefined): string {
  return value === undefined ? '' : headerText(value).trim();
}
