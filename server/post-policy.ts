import { createHmac } from 'node:crypto';
import { parseAmzDate, parseCredential } from './auth/authenticate.js';
import { type CredentialLookup, hmacHex, SigningKeyCache, signaturesEqual } from './auth/index.js';
import { S3Error } from './s3-errors.js';

/**
 * POST policies of browser-based uploads: decoding the policy document, verifying the
 * form's signature, and checking the form fields against the policy's conditions.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
 *
 * Form field names are compared case-insensitively (S3 does; callers pass them lower
 * case), condition operators too; values are compared exactly.
 */

/** AWS: the policy document is at most 20 KiB. */
export const MAX_POLICY_BYTES = 20 * 1024;

export type PolicyCondition =
  /** `{"field": "v"}` or `["eq", "$field", "v"]`; field lower case without '$'. */
  | { kind: 'eq'; field: string; value: string }
  /** `["starts-with", "$field", "prefix"]` ('' allows anything). */
  | { kind: 'starts-with'; field: string; value: string }
  | { kind: 'content-length-range'; min: number; max: number };

export interface PostPolicy {
  expirationMs: number;
  conditions: PolicyCondition[];
}

/** Form fields no condition needs to cover (AWS's list, plus SigV2's and checksums). */
function isExemptField(name: string): boolean {
  return (
    name === 'policy' ||
    name === 'signature' ||
    name === 'x-amz-signature' ||
    name === 'awsaccesskeyid' ||
    name === 'file' ||
    name.startsWith('x-ignore-') ||
    // Integrity data, not an authorisation choice; boto-based suites send it uncovered.
    name.startsWith('x-amz-checksum-')
  );
}

/**
 * Decodes the base64 `policy` field. Throws InvalidPolicyDocument (400) for anything
 * that is not a policy: bad base64/JSON, too large, `expiration` or `conditions`
 * missing (names are case-sensitive), a malformed condition.
 */
export function decodePostPolicy(policyBase64: string): PostPolicy {
  const compact = policyBase64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact))
    throw invalidPolicy('Invalid Policy: Invalid Base64 Encoding.');
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > MAX_POLICY_BYTES) throw invalidPolicy('Invalid Policy: Policy document is too large.');
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw invalidPolicy('Invalid Policy: Invalid JSON.', err);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalidPolicy('Invalid Policy: Invalid JSON.');
  }
  const record = doc as Record<string, unknown>;
  const expiration = record.expiration;
  if (expiration === undefined) throw invalidPolicy('Invalid Policy: Policy missing expiration.');
  const expirationMs = typeof expiration === 'string' ? parseExpiration(expiration) : Number.NaN;
  if (!Number.isFinite(expirationMs)) {
    throw invalidPolicy(`Invalid Policy: Invalid 'expiration' value: '${String(expiration).slice(0, 64)}'`);
  }
  const conditions = record.conditions;
  if (!Array.isArray(conditions)) throw invalidPolicy('Invalid Policy: Policy missing conditions.');
  return { expirationMs, conditions: conditions.map(parseCondition) };
}

/** ISO 8601 in UTC as AWS writes it: 2007-12-01T12:00:00Z or with milliseconds. */
const EXPIRATION_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

function parseExpiration(value: string): number {
  const m = EXPIRATION_RE.exec(value);
  if (!m) return Number.NaN;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

function parseCondition(c: unknown): PolicyCondition {
  if (Array.isArray(c)) {
    const op = typeof c[0] === 'string' ? c[0].toLowerCase() : '';
    if (op === 'content-length-range') {
      const [, min, max] = c as unknown[];
      if (c.length !== 3 || !isLength(min) || !isLength(max) || Number(min) > Number(max)) {
        throw invalidPolicy('Invalid Policy: Invalid content-length-range condition.');
      }
      return { kind: 'content-length-range', min: Number(min), max: Number(max) };
    }
    if (op === 'eq' || op === 'starts-with') {
      const [, field, value] = c as unknown[];
      if (
        c.length !== 3 ||
        typeof field !== 'string' ||
        !field.startsWith('$') ||
        typeof value !== 'string'
      ) {
        throw invalidPolicy(`Invalid Policy: Invalid ${op} condition.`);
      }
      return { kind: op, field: field.slice(1).toLowerCase(), value };
    }
    throw invalidPolicy(`Invalid Policy: Unknown condition operator '${String(c[0]).slice(0, 32)}'.`);
  }
  if (typeof c === 'object' && c !== null) {
    const entries = Object.entries(c);
    const entry = entries[0];
    if (entries.length !== 1 || entry === undefined) {
      throw invalidPolicy(
        'Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.',
      );
    }
    const [field, value] = entry;
    if (typeof value !== 'string') throw invalidPolicy('Invalid Policy: Invalid Simple-Condition value.');
    return { kind: 'eq', field: field.replace(/^\$/, '').toLowerCase(), value };
  }
  throw invalidPolicy('Invalid Policy: Invalid condition.');
}

/** A byte count in a content-length-range: a non-negative integer, as a number or a digit string. */
function isLength(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0;
  return typeof v === 'string' && /^\d{1,16}$/.test(v) && Number.isSafeInteger(Number(v));
}

export interface PolicyCheck {
  /** The bucket the form was posted to (what `$bucket` is compared with). */
  bucket: string;
  /** Form fields, lower-case names, `key` already with `${filename}` substituted. */
  fields: ReadonlyMap<string, string>;
  nowMs: number;
}

/**
 * Checks expiry and every condition against the form; returns the content-length
 * range to enforce while streaming (undefined when the policy sets none).
 * Throws AccessDenied "Invalid according to Policy: …" as S3 words it.
 */
export function checkPostPolicy(
  policy: PostPolicy,
  check: PolicyCheck,
): { min: number; max: number } | undefined {
  if (check.nowMs > policy.expirationMs) throw policyDenied('Policy expired.');
  const covered = new Set<string>();
  let range: { min: number; max: number } | undefined;
  let bucketConstrained = false;
  for (const c of policy.conditions) {
    if (c.kind === 'content-length-range') {
      range = { min: c.min, max: c.max };
      continue;
    }
    covered.add(c.field);
    if (c.field === 'bucket') bucketConstrained = true;
    const actual = c.field === 'bucket' ? check.bucket : (check.fields.get(c.field) ?? '');
    if (!conditionHolds(c, actual)) {
      const op = c.kind === 'eq' ? 'eq' : 'starts-with';
      throw policyDenied(`Policy Condition failed: ["${op}", "$${c.field}", ${JSON.stringify(c.value)}]`);
    }
  }
  if (!bucketConstrained) {
    throw policyDenied(`Policy Condition failed: ["eq", "$bucket", ${JSON.stringify(check.bucket)}]`);
  }
  const extra = [...check.fields.keys()].filter((name) => !isExemptField(name) && !covered.has(name));
  if (extra.length > 0) throw policyDenied(`Extra input fields: ${extra.join(', ')}`);
  return range;
}

function conditionHolds(
  c: { kind: 'eq' | 'starts-with'; field: string; value: string },
  actual: string,
): boolean {
  if (c.kind === 'eq') return actual === c.value;
  if (c.field === 'content-type') {
    // A Content-Type field may list several types; each must start with the prefix.
    return actual.split(',').every((t) => t.trim().startsWith(c.value));
  }
  return actual.startsWith(c.value);
}

export interface PostSignatureOptions {
  lookup: CredentialLookup;
  region: string;
  /** Signing-key cache; a module-wide default (bounded) is used when omitted. */
  signingKeys?: SigningKeyCache;
}

const defaultSigningKeys = new SigningKeyCache();

/**
 * Verifies the form's signature over the base64 policy string and returns the
 * access key id. SigV4 (`x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
 * `x-amz-signature`: hex HMAC-SHA256 with the SigV4 signing key) or SigV2
 * (`AWSAccessKeyId`, `signature`: base64 HMAC-SHA1 with the secret), which older
 * browser-upload code and the s3-tests suite still send.
 *
 * Throws InvalidArgument (a required field missing or malformed), InvalidAccessKeyId,
 * SignatureDoesNotMatch, AccessDenied (no signature at all: anonymous uploads need
 * bucket policies, which do not exist yet).
 */
export function verifyPostSignature(
  fields: ReadonlyMap<string, string>,
  opts: PostSignatureOptions,
): { accessKeyId: string } {
  const policy = fields.get('policy');
  const v4Signature = fields.get('x-amz-signature');
  const v2Signature = fields.get('signature');
  if (policy === undefined) {
    if (v4Signature !== undefined || v2Signature !== undefined) throw missingField('policy');
    throw new S3Error('AccessDenied', { cause: new Error('anonymous POST upload') });
  }
  if (v4Signature !== undefined || fields.has('x-amz-algorithm') || fields.has('x-amz-credential')) {
    return verifyV4(fields, policy, opts);
  }
  if (v2Signature !== undefined || fields.has('awsaccesskeyid')) {
    const accessKeyId = fields.get('awsaccesskeyid');
    if (accessKeyId === undefined) throw missingField('AWSAccessKeyId');
    if (v2Signature === undefined) throw missingField('signature');
    const creds = opts.lookup(accessKeyId);
    if (!creds) throw new S3Error('InvalidAccessKeyId', { extra: { AWSAccessKeyId: accessKeyId } });
    const expected = createHmac('sha1', creds.secretAccessKey).update(policy).digest('base64');
    if (!signaturesEqual(expected, v2Signature)) throw signatureMismatch(accessKeyId, policy, v2Signature);
    return { accessKeyId };
  }
  throw missingField('x-amz-signature');
}

function verifyV4(
  fields: ReadonlyMap<string, string>,
  policy: string,
  opts: PostSignatureOptions,
): { accessKeyId: string } {
  const algorithm = fields.get('x-amz-algorithm');
  const credential = fields.get('x-amz-credential');
  const date = fields.get('x-amz-date');
  const signature = fields.get('x-amz-signature');
  if (algorithm === undefined) throw missingField('x-amz-algorithm');
  if (credential === undefined) throw missingField('x-amz-credential');
  if (date === undefined) throw missingField('x-amz-date');
  if (signature === undefined) throw missingField('x-amz-signature');
  if (algorithm !== 'AWS4-HMAC-SHA256') {
    throw invalidField('x-amz-algorithm', algorithm, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const cred = parseCredential(credential);
  if (!cred) {
    throw invalidField(
      'x-amz-credential',
      credential,
      'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  if (cred.region !== opts.region) {
    throw invalidField(
      'x-amz-credential',
      credential,
      `Error parsing the X-Amz-Credential parameter; the region '${cred.region}' is wrong; expecting '${opts.region}'`,
    );
  }
  if (cred.service !== 's3') {
    throw invalidField(
      'x-amz-credential',
      credential,
      `Error parsing the X-Amz-Credential parameter; incorrect service '${cred.service}'. This endpoint belongs to 's3'.`,
    );
  }
  if (!Number.isFinite(parseAmzDate(date)) || date.slice(0, 8) !== cred.date) {
    throw invalidField(
      'x-amz-date',
      date,
      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\" and match the credential date",
    );
  }
  const creds = opts.lookup(cred.accessKeyId);
  if (!creds) throw new S3Error('InvalidAccessKeyId', { extra: { AWSAccessKeyId: cred.accessKeyId } });
  const key = (opts.signingKeys ?? defaultSigningKeys).get(creds.secretAccessKey, cred.date, cred.region);
  const expected = hmacHex(key, policy);
  if (!signaturesEqual(expected, signature.toLowerCase())) {
    throw signatureMismatch(cred.accessKeyId, policy, signature);
  }
  return { accessKeyId: cred.accessKeyId };
}

function signatureMismatch(accessKeyId: string, policy: string, provided: string): S3Error {
  // The string to sign of a POST form is the base64 policy itself.
  return new S3Error('SignatureDoesNotMatch', {
    extra: { AWSAccessKeyId: accessKeyId, StringToSign: policy, SignatureProvided: provided },
    cause: new Error('POST policy signature mismatch'),
  });
}

export function missingField(name: string): S3Error {
  return new S3Error('InvalidArgument', {
    message: `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
    extra: { ArgumentName: name, ArgumentValue: '' },
  });
}

function invalidField(name: string, value: string, message: string): S3Error {
  return new S3Error('InvalidArgument', {
    message,
    extra: { ArgumentName: name, ArgumentValue: value.slice(0, 128) },
  });
}

function invalidPolicy(message: string, cause?: unknown): S3Error {
  return new S3Error('InvalidPolicyDocument', { message, cause });
}

function policyDenied(why: string): S3Error {
  return new S3Error('AccessDenied', { message: `Invalid according to Policy: ${why}` });
}
