import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectLayer } from '../storage/index.js';
import type { S3Response } from './s3-context.js';
import { S3Error } from './s3-errors.js';
import { buildXml, childElements, parseXml, type XmlElement, type XmlObject } from './xml.js';

/**
 * Bucket CORS: the configuration document (parse, validate, serialise) and the
 * matching rules S3 applies to preflight (OPTIONS) and actual requests.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 */

/** AWS: a CORS configuration holds at most 100 rules and is at most 64 KiB. */
export const MAX_CORS_RULES = 100;
export const MAX_CORS_CONFIG_BYTES = 64 * 1024;

/** The only methods a CORS rule may allow. */
export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;

export interface CorsRule {
  id: string | undefined;
  /** Upper-case, from CORS_METHODS. */
  allowedMethods: string[];
  /** Patterns with at most one '*'; matched case-sensitively. */
  allowedOrigins: string[];
  /** Patterns with at most one '*'; matched case-insensitively. */
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number | undefined;
}

const RULE_CHILDREN = new Set([
  'ID',
  'AllowedMethod',
  'AllowedOrigin',
  'AllowedHeader',
  'ExposeHeader',
  'MaxAgeSeconds',
]);

/**
 * Parses and validates a CORSConfiguration document (PutBucketCors). Throws
 * S3Error MalformedXML (not XML, wrong elements, a rule without AllowedMethod or
 * AllowedOrigin, no rules or more than 100, bad MaxAgeSeconds) or InvalidRequest
 * (unsupported method, a pattern with more than one '*'), as S3 does.
 */
export function parseCorsConfiguration(body: Uint8Array | string): CorsRule[] {
  const root = parseXml(body);
  if (root.name !== 'CORSConfiguration') throw malformed(`root element ${root.name}`);
  const rules: CorsRule[] = [];
  for (const el of root.children) {
    if (el.name !== 'CORSRule') throw malformed(`unexpected element ${el.name}`);
    rules.push(parseRule(el));
  }
  if (rules.length === 0) throw malformed('no CORSRule');
  if (rules.length > MAX_CORS_RULES) throw malformed(`${rules.length} rules`);
  return rules;
}

function parseRule(el: XmlElement): CorsRule {
  for (const c of el.children) {
    if (!RULE_CHILDREN.has(c.name)) throw malformed(`unexpected element ${c.name} in CORSRule`);
  }
  const texts = (name: string): string[] => childElements(el, name).map((c) => c.text.trim());
  const ids = texts('ID');
  if (ids.length > 1) throw malformed('several IDs in one rule');
  const id = ids[0];
  if (id !== undefined && id.length > 255) {
    throw new S3Error('InvalidArgument', {
      message: 'The ID of a CORS rule must be at most 255 characters.',
      extra: { ArgumentName: 'ID', ArgumentValue: id.slice(0, 64) },
    });
  }
  const allowedMethods = texts('AllowedMethod');
  const allowedOrigins = texts('AllowedOrigin');
  if (allowedMethods.length === 0 || allowedOrigins.length === 0) {
    throw malformed('a CORSRule needs AllowedMethod and AllowedOrigin');
  }
  for (const m of allowedMethods) {
    if (!(CORS_METHODS as readonly string[]).includes(m)) {
      throw new S3Error('InvalidRequest', {
        message: `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
      });
    }
  }
  for (const o of allowedOrigins) {
    if (wildcards(o) > 1) {
      throw new S3Error('InvalidRequest', {
        message: `AllowedOrigin "${o}" can not have more than one wildcard.`,
      });
    }
  }
  const allowedHeaders = texts('AllowedHeader');
  for (const h of allowedHeaders) {
    if (wildcards(h) > 1) {
      throw new S3Error('InvalidRequest', {
        message: `AllowedHeader "${h}" can not have more than one wildcard.`,
      });
    }
  }
  const maxAges = texts('MaxAgeSeconds');
  if (maxAges.length > 1) throw malformed('several MaxAgeSeconds in one rule');
  let maxAgeSeconds: number | undefined;
  if (maxAges[0] !== undefined) {
    if (!/^-?\d{1,10}$/.test(maxAges[0])) throw malformed(`MaxAgeSeconds ${maxAges[0]}`);
    maxAgeSeconds = Number(maxAges[0]);
  }
  return {
    id,
    allowedMethods,
    allowedOrigins,
    allowedHeaders,
    exposeHeaders: texts('ExposeHeader'),
    maxAgeSeconds,
  };
}

/** The GetBucketCors document for these rules (what is stored, too). */
export function corsConfigurationXml(rules: readonly CorsRule[]): string {
  return buildXml('CORSConfiguration', {
    CORSRule: rules.map(
      (r): XmlObject => ({
        ID: r.id,
        AllowedHeader: r.allowedHeaders,
        AllowedMethod: r.allowedMethods,
        AllowedOrigin: r.allowedOrigins,
        ExposeHeader: r.exposeHeaders,
        MaxAgeSeconds: r.maxAgeSeconds,
      }),
    ),
  });
}

function wildcards(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '*') n++;
  return n;
}

function malformed(why: string): S3Error {
  return new S3Error('MalformedXML', { cause: new Error(why) });
}

/** Matches `value` against a pattern with at most one '*' (which matches any run of characters). */
export function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star === -1) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}

function originAllowed(rule: CorsRule, origin: string): boolean {
  return rule.allowedOrigins.some((p) => wildcardMatch(p, origin));
}

function headerAllowed(rule: CorsRule, header: string): boolean {
  const h = header.toLowerCase();
  return rule.allowedHeaders.some((p) => wildcardMatch(p.toLowerCase(), h));
}

/**
 * The first rule whose origin, method and (for preflights) every requested header
 * match, as S3 evaluates them; undefined when none does.
 */
export function matchCorsRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules.find(
    (r) =>
      originAllowed(r, origin) &&
      r.allowedMethods.includes(method) &&
      requestHeaders.every((h) => headerAllowed(r, h)),
  );
}

/** Splits Access-Control-Request-Headers ("a, b") into trimmed names. */
export function parseRequestHeaderList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

/** The headers S3 sends for a matched rule (preflight and actual requests alike). */
function ruleHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const out: Record<string, string> = {};
  // A rule whose only origin is '*' answers '*' (and then credentials cannot be allowed).
  const any = rule.allowedOrigins.includes('*');
  out['access-control-allow-origin'] = any ? '*' : origin;
  out['access-control-allow-methods'] = rule.allowedMethods.join(', ');
  if (!any) out['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length > 0) out['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) out['access-control-max-age'] = String(rule.maxAgeSeconds);
  out.vary = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';
  return out;
}

/**
 * A bounded cache of parsed configurations keyed by the stored document, so actual
 * requests with an Origin header do not re-parse XML each time.
 */
const PARSED_CACHE_ENTRIES = 256;
const parsedCache = new Map<string, CorsRule[]>();

function parseStored(xml: string): CorsRule[] {
  const hit = parsedCache.get(xml);
  if (hit) return hit;
  const rules = parseCorsConfiguration(xml);
  if (parsedCache.size >= PARSED_CACHE_ENTRIES) {
    const oldest = parsedCache.keys().next();
    if (!oldest.done) parsedCache.delete(oldest.value);
  }
  parsedCache.set(xml, rules);
  return rules;
}

/** The bucket's rules; undefined when it has no CORS configuration. Storage errors propagate. */
export async function loadCorsRules(
  objectLayer: ObjectLayer,
  bucket: string,
): Promise<CorsRule[] | undefined> {
  const xml = await objectLayer.getBucketConfig(bucket, 'cors');
  return xml === undefined ? undefined : parseStored(xml);
}

const FORBIDDEN_MESSAGE =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

export interface PreflightRequest {
  objectLayer: ObjectLayer;
  bucket: string | undefined;
  key: string | undefined;
  headers: IncomingHttpHeaders;
}

/**
 * Answers a CORS preflight (`OPTIONS /bucket[/key]`), unauthenticated as in S3.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_OPTIONSobject.html
 *
 * Throws S3Error: BadRequest (no Origin, no or bad Access-Control-Request-Method),
 * AccessForbidden (no bucket, no configuration, no matching rule), storage errors
 * for anything else.
 */
export async function preflight(req: PreflightRequest): Promise<S3Response> {
  const origin = single(req.headers.origin);
  if (origin === undefined) {
    throw new S3Error('BadRequest', { message: 'Insufficient information. Origin request header needed.' });
  }
  const method = single(req.headers['access-control-request-method']);
  if (method === undefined || !(CORS_METHODS as readonly string[]).includes(method)) {
    throw new S3Error('BadRequest', {
      message: `Invalid Access-Control-Request-Method: ${method ?? 'null'}`,
    });
  }
  const resourceType = req.key === undefined || req.key === '' ? 'BUCKET' : 'OBJECT';
  if (req.bucket === undefined || req.bucket === '')
    throw forbidden(method, resourceType, 'CORSResponse: Bucket not found');
  let rules: CorsRule[] | undefined;
  try {
    rules = await loadCorsRules(req.objectLayer, req.bucket);
  } catch (err) {
    if ((err as { code?: string }).code === 'NoSuchBucket') {
      throw forbidden(method, resourceType, 'CORSResponse: Bucket not found');
    }
    throw err;
  }
  if (rules === undefined) {
    throw forbidden(method, resourceType, 'CORSResponse: CORS is not enabled for this bucket.');
  }
  const requested = parseRequestHeaderList(single(req.headers['access-control-request-headers']));
  const rule = matchCorsRule(rules, origin, method, requested);
  if (!rule) throw forbidden(method, resourceType, FORBIDDEN_MESSAGE);
  const headers: Record<string, string> = ruleHeaders(rule, origin);
  if (requested.length > 0) headers['access-control-allow-headers'] = requested.join(', ');
  headers['content-length'] = '0';
  return { status: 200, headers };
}

function forbidden(method: string, resourceType: string, message: string): S3Error {
  return new S3Error('AccessForbidden', { message, extra: { Method: method, ResourceType: resourceType } });
}

/**
 * CORS headers for an actual (non-preflight) request that carries an Origin header,
 * from the bucket's first rule matching the origin and the method (the request's
 * Access-Control-Request-Method when present, as S3 does). Empty when there is no
 * Origin, no configuration or no match; never throws (CORS must not turn a response
 * into an error), so storage failures just mean no CORS headers.
 */
export async function actualRequestCorsHeaders(
  objectLayer: ObjectLayer,
  bucket: string | undefined,
  method: string,
  headers: IncomingHttpHeaders,
): Promise<Record<string, string>> {
  const origin = single(headers.origin);
  if (origin === undefined || bucket === undefined || bucket === '') return {};
  let rules: CorsRule[] | undefined;
  try {
    rules = await loadCorsRules(objectLayer, bucket);
  } catch {
    return {};
  }
  if (rules === undefined) return {};
  const wanted = single(headers['access-control-request-method']) ?? method;
  const rule = matchCorsRule(rules, origin, wanted);
  return rule ? ruleHeaders(rule, origin) : {};
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
