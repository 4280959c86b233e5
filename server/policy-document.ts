import { S3Error } from './s3-errors.js';

/**
 * Bucket policies: validated (AWS's structural rules) and stored verbatim (bucket
 * config 'policy'); GetBucketPolicy returns the document as it was put. Evaluation
 * belongs to the IAM issue: until then a stored policy grants and denies nothing.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
 */

/** AWS's limit on a bucket policy document. */
export const MAX_POLICY_BYTES = 20 * 1024;

const VERSIONS = ['2012-10-17', '2008-10-17'];
const ACTION = /^(\*|s3:[A-Za-z*?]+)$/i;
const RESOURCE = /^(\*|arn:aws:s3:::.+)$/;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function malformed(message: string): S3Error {
  return new S3Error('MalformedPolicy', { message });
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

/** Validates a bucket policy document; throws MalformedPolicy with AWS's wording. */
export function validatePolicy(text: string): void {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) {
    throw malformed('Policies must be less than 20 KB');
  }
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (err) {
    throw new S3Error('MalformedPolicy', {
      message: "Policies must be valid JSON and the first byte must be '{'",
      cause: err,
    });
  }
  if (!isObject(doc)) throw malformed("Policies must be valid JSON and the first byte must be '{'");
  if (doc.Version !== undefined && !(typeof doc.Version === 'string' && VERSIONS.includes(doc.Version))) {
    throw malformed('The policy must contain a valid version string');
  }
  const statements = asList(doc.Statement);
  if (statements.length === 0) throw malformed('Missing required field Statement');
  for (const s of statements) validateStatement(s);
}

function validateStatement(s: Json): void {
  if (!isObject(s)) throw malformed('Missing required field Statement');
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed(`Invalid effect: ${String(s.Effect)}`);
  if (s.Principal === undefined && s.NotPrincipal === undefined)
    throw malformed('Missing required field Principal');
  validatePrincipal(s.Principal ?? s.NotPrincipal);
  const actions = asList(s.Action ?? s.NotAction);
  if (actions.length === 0) throw malformed('Missing required field Action');
  for (const a of actions) {
    if (typeof a !== 'string' || !ACTION.test(a)) throw malformed('Policy has invalid action');
  }
  const resources = asList(s.Resource ?? s.NotResource);
  if (resources.length === 0) throw malformed('Missing required field Resource');
  for (const r of resources) {
    if (typeof r !== 'string' || !RESOURCE.test(r)) throw malformed('Policy has invalid resource');
  }
  if (s.Condition !== undefined && !isObject(s.Condition)) throw malformed('Invalid Condition block');
  if (s.Sid !== undefined && typeof s.Sid !== 'string')
    throw malformed('Statement IDs (SID) must be strings');
}

function validatePrincipal(p: Json | undefined): void {
  if (p === '*') return;
  if (!isObject(p)) throw malformed('Invalid principal in policy');
  const kinds = Object.keys(p);
  if (kinds.length === 0) throw malformed('Invalid principal in policy');
  for (const kind of kinds) {
    if (!['AWS', 'CanonicalUser', 'Service', 'Federated'].includes(kind)) {
      throw malformed('Invalid principal in policy');
    }
    const values = asList(p[kind]);
    if (values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
      throw malformed('Invalid principal in policy');
    }
  }
}

/**
 * PolicyStatus.IsPublic: some statement allows everyone (Principal "*" or AWS "*")
 * without a Condition. (AWS also treats some conditions as non-restricting; we count
 * any condition as restricting.)
 */
export function policyIsPublic(text: string): boolean {
  const doc = JSON.parse(text) as Json;
  if (!isObject(doc)) return false;
  return asList(doc.Statement).some((s) => {
    if (!isObject(s) || s.Effect !== 'Allow' || s.Principal === undefined) return false;
    const everyone = s.Principal === '*' || (isObject(s.Principal) && asList(s.Principal.AWS).includes('*'));
    const conditioned = isObject(s.Condition) && Object.keys(s.Condition).length > 0;
    return everyone && !conditioned;
  });
}
