import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectInfo, ObjectLayer, ObjectMetadata } from '../storage/index.js';
import { headerValue } from './object-metadata.js';
import { hasIntegrityHeader } from './request-integrity.js';
import { S3Error } from './s3-errors.js';
import { toS3Error } from './storage-errors.js';
import { buildXml, childElement, parseXml, type XmlElement, type XmlObject } from './xml.js';

/**
 * S3 Object Lock: the bucket configuration (default retention), per-version retention
 * and legal hold, and the rules that refuse deletes and retention changes.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 *
 * Retention and legal hold live in the version's metadata (names below), written
 * with updateObjectMetadata(touch: false); the checks run inside storage's callbacks
 * (deleteObject's check, updateObjectMetadata's update) under the key lock, so a
 * concurrent change cannot slip between check and write.
 */

export const LOCK_MODE_METADATA = 'x-amz-object-lock-mode';
export const LOCK_UNTIL_METADATA = 'x-amz-object-lock-retain-until-date';
export const LEGAL_HOLD_METADATA = 'x-amz-object-lock-legal-hold';
const LOCK_METADATA = [LOCK_MODE_METADATA, LOCK_UNTIL_METADATA, LEGAL_HOLD_METADATA] as const;

export type RetentionMode = 'GOVERNANCE' | 'COMPLIANCE';
export interface Retention {
  mode: RetentionMode;
  retainUntil: Date;
}
export interface DefaultRetention {
  mode: RetentionMode;
  days?: number;
  years?: number;
}
export interface ObjectLockConfiguration {
  defaultRetention?: DefaultRetention;
}

/** AWS's upper bounds for a default retention period. */
const MAX_RETENTION_DAYS = 36_500;
const MAX_RETENTION_YEARS = 100;

function isMode(value: string): value is RetentionMode {
  return value === 'GOVERNANCE' || value === 'COMPLIANCE';
}

// ---- bucket configuration --------------------------------------------------------

/** Parses and validates an ObjectLockConfiguration document (AWS's error codes). */
export function parseObjectLockConfiguration(bytes: Uint8Array | string): ObjectLockConfiguration {
  const root = parseXml(bytes);
  if (root.name !== 'ObjectLockConfiguration') throw new S3Error('MalformedXML');
  if (childElement(root, 'ObjectLockEnabled')?.text.trim() !== 'Enabled') throw new S3Error('MalformedXML');
  const rule = childElement(root, 'Rule');
  if (rule === undefined) return {};
  const dr = childElement(rule, 'DefaultRetention');
  if (dr === undefined) throw new S3Error('MalformedXML');
  const mode = childElement(dr, 'Mode')?.text.trim() ?? '';
  if (!isMode(mode)) throw new S3Error('MalformedXML');
  const days = childElement(dr, 'Days');
  const years = childElement(dr, 'Years');
  if ((days === undefined) === (years === undefined)) throw new S3Error('MalformedXML');
  if (days !== undefined)
    return { defaultRetention: { mode, days: retentionPeriod(days, MAX_RETENTION_DAYS) } };
  return { defaultRetention: { mode, years: retentionPeriod(years as XmlElement, MAX_RETENTION_YEARS) } };
}

function retentionPeriod(el: XmlElement, max: number): number {
  const text = el.text.trim();
  if (!/^-?\d+$/.test(text)) throw new S3Error('MalformedXML');
  const n = Number(text);
  if (n <= 0) throw new S3Error('InvalidRetentionPeriod');
  if (n > max) {
    throw new S3Error('InvalidRetentionPeriod', {
      message: `Default retention period is too large.`,
    });
  }
  return n;
}

/** The document body GetObjectLockConfiguration returns. */
export function objectLockConfigurationBody(config: ObjectLockConfiguration): XmlObject {
  const dr = config.defaultRetention;
  return {
    ObjectLockEnabled: 'Enabled',
    Rule:
      dr === undefined ? undefined : { DefaultRetention: { Mode: dr.mode, Days: dr.days, Years: dr.years } },
  };
}

/** Stored form of the configuration ('object-lock' bucket document): canonical AWS XML. */
export function serializeObjectLockConfiguration(config: ObjectLockConfiguration): string {
  return buildXml('ObjectLockConfiguration', objectLockConfigurationBody(config));
}

export interface BucketLockState {
  /** Created with object lock, or enabled later by PutObjectLockConfiguration. */
  enabled: boolean;
  config: ObjectLockConfiguration;
}

/** Whether the bucket has object lock, and its default retention. Throws NoSuchBucket. */
export async function bucketLockState(objectLayer: ObjectLayer, bucket: string): Promise<BucketLockState> {
  try {
    const info = await objectLayer.getBucketInfo(bucket);
    // Enabling lock after creation needs versioning Enabled, which then cannot be
    // suspended: any other bucket has no lock and no configuration to read.
    if (!info.objectLockEnabled && info.versioning !== 'Enabled') return { enabled: false, config: {} };
    const stored = await objectLayer.getBucketConfig(bucket, 'object-lock');
    const config = stored === undefined ? {} : parseObjectLockConfiguration(stored);
    return { enabled: info.objectLockEnabled || stored !== undefined, config };
  } catch (err) {
    throw toS3Error(err, { bucket });
  }
}

/** Retention, legal hold and their rules need a bucket with object lock (InvalidRequest). */
export async function requireLockEnabled(objectLayer: ObjectLayer, bucket: string): Promise<BucketLockState> {
  const state = await bucketLockState(objectLayer, bucket);
  if (!state.enabled) {
    throw new S3Error('InvalidRequest', { message: 'Bucket is missing Object Lock Configuration' });
  }
  return state;
}

// ---- per-version retention and legal hold ---------------------------------------

/** Parses `<Retention><Mode/><RetainUntilDate/></Retention>`; an empty one removes retention. */
export function parseRetention(bytes: Uint8Array | string, nowMs: number): Retention | undefined {
  const root = parseXml(bytes);
  if (root.name !== 'Retention') throw new S3Error('MalformedXML');
  const mode = childElement(root, 'Mode')?.text.trim();
  const until = childElement(root, 'RetainUntilDate')?.text.trim();
  if (mode === undefined && until === undefined) return undefined;
  if (mode === undefined || until === undefined || !isMode(mode)) throw new S3Error('MalformedXML');
  const retainUntil = parseDate(until);
  if (retainUntil === undefined) throw new S3Error('MalformedXML');
  if (retainUntil.getTime() <= nowMs) {
    throw new S3Error('InvalidArgument', { message: 'The retain until date must be in the future!' });
  }
  return { mode, retainUntil };
}

/** Parses `<LegalHold><Status>ON|OFF</Status></LegalHold>`. */
export function parseLegalHold(bytes: Uint8Array | string): boolean {
  const root = parseXml(bytes);
  if (root.name !== 'LegalHold') throw new S3Error('MalformedXML');
  const status = childElement(root, 'Status')?.text.trim();
  if (status !== 'ON' && status !== 'OFF') throw new S3Error('MalformedXML');
  return status === 'ON';
}

function parseDate(text: string): Date | undefined {
  // ISO 8601 with a time zone (what the SDKs send); anything else is not a date here.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The retention stored with a version, if any (expired or not). */
export function storedRetention(metadata: ObjectMetadata): Retention | undefined {
  const mode = metadata[LOCK_MODE_METADATA];
  const until = metadata[LOCK_UNTIL_METADATA];
  if (mode === undefined || until === undefined || !isMode(mode)) return undefined;
  const retainUntil = new Date(until);
  return Number.isNaN(retainUntil.getTime()) ? undefined : { mode, retainUntil };
}

export function storedLegalHold(metadata: ObjectMetadata): boolean | undefined {
  const v = metadata[LEGAL_HOLD_METADATA];
  return v === undefined ? undefined : v === 'ON';
}

/** Metadata with this retention (undefined removes it). */
export function withRetention(metadata: ObjectMetadata, retention: Retention | undefined): ObjectMetadata {
  const { [LOCK_MODE_METADATA]: _m, [LOCK_UNTIL_METADATA]: _u, ...rest } = metadata;
  if (retention === undefined) return rest;
  return {
    ...rest,
    [LOCK_MODE_METADATA]: retention.mode,
    [LOCK_UNTIL_METADATA]: retention.retainUntil.toISOString(),
  };
}

export function withLegalHold(metadata: ObjectMetadata, on: boolean): ObjectMetadata {
  return { ...metadata, [LEGAL_HOLD_METADATA]: on ? 'ON' : 'OFF' };
}

/** Stored metadata without retention and legal hold (a copy does not inherit them). */
export function withoutLock(metadata: ObjectMetadata): ObjectMetadata {
  const out: ObjectMetadata = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (!(LOCK_METADATA as readonly string[]).includes(name)) out[name] = value;
  }
  return out;
}

/** x-amz-object-lock-* response headers for GET/HEAD. */
export function lockResponseHeaders(metadata: ObjectMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of LOCK_METADATA) {
    const value = metadata[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function bypassGovernance(headers: IncomingHttpHeaders): boolean {
  return headerValue(headers, 'x-amz-bypass-governance-retention')?.trim().toLowerCase() === 'true';
}

function accessDenied(): S3Error {
  return new S3Error('AccessDenied');
}

/**
 * Refuses deleting this version while it is protected: legal hold ON always,
 * COMPLIANCE retention always, GOVERNANCE retention unless bypassed. Delete markers
 * carry no protection.
 */
export function checkVersionDeletable(target: ObjectInfo, bypass: boolean, nowMs: number): void {
  if (target.isDeleteMarker) return;
  if (storedLegalHold(target.metadata) === true) throw accessDenied();
  const retention = storedRetention(target.metadata);
  if (retention === undefined || retention.retainUntil.getTime() <= nowMs) return;
  if (retention.mode === 'COMPLIANCE' || !bypass) throw accessDenied();
}

/**
 * Refuses a retention change that weakens active protection: COMPLIANCE can only be
 * extended; GOVERNANCE can be extended (or turned into COMPLIANCE) only with the
 * bypass header when it shortens, removes or changes mode.
 */
export function checkRetentionChange(
  current: ObjectMetadata,
  next: Retention | undefined,
  bypass: boolean,
  nowMs: number,
): void {
  const active = storedRetention(current);
  if (active === undefined || active.retainUntil.getTime() <= nowMs) return;
  const extends_ =
    next !== undefined &&
    next.mode === active.mode &&
    next.retainUntil.getTime() >= active.retainUntil.getTime();
  if (extends_) return;
  if (active.mode === 'COMPLIANCE' || !bypass) throw accessDenied();
}

// ---- new versions -----------------------------------------------------------------

/** The x-amz-object-lock-* headers of a write request, validated (nothing if absent). */
export function lockHeaders(
  headers: IncomingHttpHeaders,
  nowMs: number,
): { retention?: Retention; legalHold?: boolean; present: boolean } {
  const mode = headerValue(headers, 'x-amz-object-lock-mode');
  const until = headerValue(headers, 'x-amz-object-lock-retain-until-date');
  const hold = headerValue(headers, 'x-amz-object-lock-legal-hold');
  const out: { retention?: Retention; legalHold?: boolean; present: boolean } = {
    present: mode !== undefined || until !== undefined || hold !== undefined,
  };
  if (mode !== undefined || until !== undefined) {
    if (mode === undefined || until === undefined) {
      throw new S3Error('InvalidArgument', {
        message: 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
      });
    }
    if (!isMode(mode)) throw new S3Error('InvalidArgument', { message: 'Unknown wormMode directive.' });
    const retainUntil = parseDate(until.trim());
    if (retainUntil === undefined) {
      throw new S3Error('InvalidArgument', {
        message: 'The retain until date must be provided in ISO 8601 format',
      });
    }
    if (retainUntil.getTime() <= nowMs) {
      throw new S3Error('InvalidArgument', { message: 'The retain until date must be in the future!' });
    }
    out.retention = { mode, retainUntil };
  }
  if (hold !== undefined) {
    if (hold !== 'ON' && hold !== 'OFF') {
      throw new S3Error('InvalidArgument', { message: "Legal Hold must be either of 'ON' or 'OFF'" });
    }
    out.legalHold = hold === 'ON';
  }
  return out;
}

/** When a default retention period starting now ends. */
export function defaultRetainUntil(dr: DefaultRetention, nowMs: number): Date {
  const d = new Date(nowMs);
  if (dr.years !== undefined) d.setUTCFullYear(d.getUTCFullYear() + dr.years);
  else d.setUTCDate(d.getUTCDate() + (dr.days ?? 0));
  return d;
}

/**
 * Lock metadata for a new version (PutObject, CopyObject, CreateMultipartUpload):
 * the request's x-amz-object-lock-* headers, else the bucket's default retention.
 * Headers on a bucket without object lock are InvalidRequest. With `requireDigest`
 * (requests with a body), lock headers need Content-MD5 or a checksum, as AWS.
 */
export async function lockMetadataForNewVersion(
  objectLayer: ObjectLayer,
  bucket: string,
  headers: IncomingHttpHeaders,
  opts: { requireDigest: boolean; nowMs?: number },
): Promise<ObjectMetadata> {
  const nowMs = opts.nowMs ?? Date.now();
  const requested = lockHeaders(headers, nowMs);
  const state = await bucketLockState(objectLayer, bucket);
  if (!state.enabled) {
    if (requested.present) {
      throw new S3Error('InvalidRequest', { message: 'Bucket is missing Object Lock Configuration' });
    }
    return {};
  }
  if (requested.present && opts.requireDigest && !hasIntegrityHeader(headers)) {
    throw new S3Error('InvalidRequest', {
      message: 'Content-MD5 HTTP header is required for Put Object requests with Object Lock parameters',
    });
  }
  let metadata: ObjectMetadata = {};
  const dr = state.config.defaultRetention;
  const retention =
    requested.retention ??
    (dr === undefined ? undefined : { mode: dr.mode, retainUntil: defaultRetainUntil(dr, nowMs) });
  metadata = withRetention(metadata, retention);
  if (requested.legalHold !== undefined) metadata = withLegalHold(metadata, requested.legalHold);
  return metadata;
}
