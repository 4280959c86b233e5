import { randomBytes } from 'node:crypto';
import { S3Error } from './s3-errors.js';
import { buildXml, childElement, childElements, parseXml, type XmlElement, type XmlObject } from './xml.js';

/**
 * Bucket lifecycle configuration: parsed and validated with AWS's rules, stored as a
 * canonical LifecycleConfiguration document (bucket config 'lifecycle') for the
 * tiering worker to execute later. Nothing here expires or moves data.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
 */

export const MAX_LIFECYCLE_RULES = 1000;
export const MAX_RULE_ID_CHARS = 255;

/** One validated rule, in document form (element name → value), ready to serialize. */
type RuleDocument = XmlObject;

function malformed(): S3Error {
  return new S3Error('MalformedXML');
}

function invalidArgument(message: string): S3Error {
  return new S3Error('InvalidArgument', { message });
}

/** Parses and validates a LifecycleConfiguration; returns the canonical document to store. */
export function parseLifecycleConfiguration(bytes: Uint8Array | string): string {
  const root = parseXml(bytes);
  if (root.name !== 'LifecycleConfiguration') throw malformed();
  const rules = childElements(root, 'Rule');
  if (rules.length === 0 || rules.length > MAX_LIFECYCLE_RULES) throw malformed();
  const ids = new Set<string>();
  const out: RuleDocument[] = [];
  for (const rule of rules) {
    const doc = parseRule(rule);
    const id = String(doc.ID);
    if (ids.has(id)) throw invalidArgument('Rule ID must be unique. Found same ID for more than one rule');
    ids.add(id);
    out.push(doc);
  }
  return buildXml('LifecycleConfiguration', { Rule: out });
}

function parseRule(rule: XmlElement): RuleDocument {
  const idEl = childElement(rule, 'ID');
  const id = idEl === undefined || idEl.text === '' ? generatedId() : idEl.text;
  if ([...id].length > MAX_RULE_ID_CHARS)
    invalidArgumentThrow('ID length should not exceed allowed limit of 255');
  const status = childElement(rule, 'Status')?.text.trim();
  if (status !== 'Enabled' && status !== 'Disabled') throw malformed();

  const legacyPrefix = childElement(rule, 'Prefix');
  const filterEl = childElement(rule, 'Filter');
  if (legacyPrefix !== undefined && filterEl !== undefined) throw malformed();
  const filter = filterEl === undefined ? undefined : parseFilter(filterEl);

  const expiration = optional(rule, 'Expiration', parseExpiration);
  const transitions = childElements(rule, 'Transition').map(parseTransition);
  const noncurrentExpiration = optional(rule, 'NoncurrentVersionExpiration', parseNoncurrentExpiration);
  const noncurrentTransitions = childElements(rule, 'NoncurrentVersionTransition').map(
    parseNoncurrentTransition,
  );
  const abort = optional(rule, 'AbortIncompleteMultipartUpload', (el) => ({
    DaysAfterInitiation: positiveInt(el, 'DaysAfterInitiation', 'AbortIncompleteMultipartUpload'),
  }));
  if (
    expiration === undefined &&
    transitions.length === 0 &&
    noncurrentExpiration === undefined &&
    noncurrentTransitions.length === 0 &&
    abort === undefined
  ) {
    throw new S3Error('InvalidRequest', { message: 'At least one action needs to be specified in a rule' });
  }
  if (filter?.hasTags === true) {
    if (expiration?.ExpiredObjectDeleteMarker !== undefined || abort !== undefined) {
      throw invalidArgument(
        'Tag-based filter cannot be used with ExpiredObjectDeleteMarker or AbortIncompleteMultipartUpload',
      );
    }
  }
  return {
    ID: id,
    Prefix: legacyPrefix === undefined ? undefined : legacyPrefix.text,
    Filter: filter?.doc,
    Status: status,
    Expiration: expiration,
    Transition: transitions,
    NoncurrentVersionExpiration: noncurrentExpiration,
    NoncurrentVersionTransition: noncurrentTransitions,
    AbortIncompleteMultipartUpload: abort,
  };
}

function invalidArgumentThrow(message: string): never {
  throw invalidArgument(message);
}

/** AWS names a rule without an ID; so do we (random, stable once stored). */
function generatedId(): string {
  return randomBytes(12).toString('base64url');
}

function optional<T>(el: XmlElement, name: string, parse: (child: XmlElement) => T): T | undefined {
  const found = childElements(el, name);
  if (found.length > 1) throw malformed();
  return found[0] === undefined ? undefined : parse(found[0]);
}

function parseFilter(el: XmlElement): { doc: XmlObject; hasTags: boolean } {
  const parts = el.children.map((c) => c.name);
  if (parts.length > 1) throw malformed();
  const only = el.children[0];
  if (only === undefined) return { doc: {}, hasTags: false };
  switch (only.name) {
    case 'Prefix':
      return { doc: { Prefix: only.text }, hasTags: false };
    case 'Tag':
      return { doc: { Tag: parseTag(only) }, hasTags: true };
    case 'ObjectSizeGreaterThan':
    case 'ObjectSizeLessThan':
      return { doc: { [only.name]: nonNegativeInt(only) }, hasTags: false };
    case 'And': {
      const prefix = optional(only, 'Prefix', (p) => p.text);
      const tags = childElements(only, 'Tag').map(parseTag);
      const gt = optional(only, 'ObjectSizeGreaterThan', nonNegativeInt);
      const lt = optional(only, 'ObjectSizeLessThan', nonNegativeInt);
      for (const c of only.children) {
        if (!['Prefix', 'Tag', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan'].includes(c.name))
          throw malformed();
      }
      if (gt !== undefined && lt !== undefined && gt >= lt) {
        throw invalidArgument('ObjectSizeGreaterThan must be less than ObjectSizeLessThan');
      }
      return {
        doc: { And: { Prefix: prefix, Tag: tags, ObjectSizeGreaterThan: gt, ObjectSizeLessThan: lt } },
        hasTags: tags.length > 0,
      };
    }
    default:
      throw malformed();
  }
}

function parseTag(el: XmlElement): XmlObject {
  const key = childElement(el, 'Key');
  if (key === undefined) throw malformed();
  return { Key: key.text, Value: childElement(el, 'Value')?.text ?? '' };
}

function parseExpiration(el: XmlElement): XmlObject & { ExpiredObjectDeleteMarker?: boolean } {
  const days = childElement(el, 'Days');
  const date = childElement(el, 'Date');
  const marker = childElement(el, 'ExpiredObjectDeleteMarker');
  const given = [days, date, marker].filter((x) => x !== undefined).length;
  if (given !== 1) throw malformed();
  if (days !== undefined) return { Days: positiveInt(el, 'Days', 'Expiration') };
  if (date !== undefined) return { Date: midnightDate(date) };
  const flag = (marker as XmlElement).text.trim().toLowerCase();
  if (flag !== 'true' && flag !== 'false') throw malformed();
  return { ExpiredObjectDeleteMarker: flag === 'true' };
}

function parseTransition(el: XmlElement): XmlObject {
  const days = childElement(el, 'Days');
  const date = childElement(el, 'Date');
  if ((days === undefined) === (date === undefined)) throw malformed();
  return {
    Days: days === undefined ? undefined : nonNegativeInt(days),
    Date: date === undefined ? undefined : midnightDate(date),
    StorageClass: storageClass(el),
  };
}

function parseNoncurrentExpiration(el: XmlElement): XmlObject {
  const newer = childElement(el, 'NewerNoncurrentVersions');
  return {
    NoncurrentDays: positiveInt(el, 'NoncurrentDays', 'NoncurrentVersionExpiration'),
    NewerNoncurrentVersions:
      newer === undefined ? undefined : positiveIntOf(newer, 'NewerNoncurrentVersions'),
  };
}

function parseNoncurrentTransition(el: XmlElement): XmlObject {
  const days = childElement(el, 'NoncurrentDays');
  if (days === undefined) throw malformed();
  const newer = childElement(el, 'NewerNoncurrentVersions');
  return {
    NoncurrentDays: nonNegativeInt(days),
    NewerNoncurrentVersions:
      newer === undefined ? undefined : positiveIntOf(newer, 'NewerNoncurrentVersions'),
    StorageClass: storageClass(el),
  };
}

const STORAGE_CLASS = /^[A-Z0-9_-]{1,64}$/;

function storageClass(el: XmlElement): string {
  const sc = childElement(el, 'StorageClass')?.text.trim();
  if (sc === undefined) throw malformed();
  if (!STORAGE_CLASS.test(sc)) throw new S3Error('InvalidStorageClass');
  return sc;
}

function positiveInt(parent: XmlElement, name: string, action: string): number {
  const el = childElement(parent, name);
  if (el === undefined) throw malformed();
  const text = el.text.trim();
  if (!/^-?\d+$/.test(text)) throw malformed();
  const n = Number(text);
  if (n <= 0 || !Number.isSafeInteger(n))
    throw invalidArgument(`'${name}' for ${action} action must be a positive integer`);
  return n;
}

function positiveIntOf(el: XmlElement, name: string): number {
  const text = el.text.trim();
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw invalidArgument(`'${name}' must be a positive integer`);
  return Number(text);
}

function nonNegativeInt(el: XmlElement): number {
  const text = el.text.trim();
  if (!/^-?\d+$/.test(text)) throw malformed();
  const n = Number(text);
  if (n < 0 || !Number.isSafeInteger(n)) throw invalidArgument(`'${el.name}' must be a non-negative integer`);
  return n;
}

/** Lifecycle dates are ISO 8601 at midnight UTC, as AWS requires. */
function midnightDate(el: XmlElement): string {
  const text = el.text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(T00:00(:00(\.0+)?)?(Z|\+00:?00)?)?$/.exec(text);
  const d = m === null ? undefined : new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00.000Z`);
  if (d === undefined || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text.slice(0, 10)) {
    throw invalidArgument("'Date' must be at midnight GMT");
  }
  return d.toISOString().replace('.000Z', 'Z');
}
