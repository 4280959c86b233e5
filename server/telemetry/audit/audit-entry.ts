import type { RequestRecord } from '../../request-record.js';

/**
 * Version of the audit entry schema. Bump it when a field changes meaning or type, so
 * consumers (Elasticsearch mappings, SIEM parsers) can tell entries apart.
 * Do not change for existing fields: entries already queued on disk carry it.
 */
export const AUDIT_ENTRY_VERSION = '1';

/**
 * One audit entry: one JSON object per API call, one line of NDJSON in every target.
 * Every field is always present (empty string or 0 when unknown) so an index mapping
 * stays stable. Field names follow MinIO's audit entries where they exist, flattened.
 * Never holds a credential: the headers are the allow-lists of server/request-record.ts.
 */
export interface AuditEntry {
  /** Schema version (AUDIT_ENTRY_VERSION). */
  version: string;
  /** Deployment id of the drives, '' when unknown. */
  deploymentId: string;
  /** The node that served the request (host name; the pod name on Kubernetes). */
  node: string;
  /** When the request arrived, ISO 8601 UTC with milliseconds. */
  time: string;
  /** The x-amz-request-id of the response. */
  requestId: string;
  /** The S3 operation name ('PutObject', …); 'Internal' for /_strata, 'Preflight' for CORS; '' unresolved. */
  api: string;
  method: string;
  bucket: string;
  /** The object key, '' when none. */
  object: string;
  versionId: string;
  /** HTTP status sent. */
  status: number;
  /** S3 error code of an error response, '' on success. */
  errorCode: string;
  /** Request body bytes (declared). */
  rx: number;
  /** Response body bytes (declared, 0 when not sent in full). */
  tx: number;
  /** Arrival to response headers, milliseconds. */
  ttfbMs: number;
  /** Arrival to the last byte, milliseconds. */
  totalMs: number;
  /** Signing access key, '' for anonymous requests. */
  accessKey: string;
  /** Client IP address. */
  remoteHost: string;
  userAgent: string;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
}

export interface AuditSource {
  deploymentId?: string | undefined;
  node: string;
}

/** Durations are kept to the microsecond; more digits are noise. */
function ms(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function auditEntry(record: RequestRecord, source: AuditSource): AuditEntry {
  return {
    version: AUDIT_ENTRY_VERSION,
    deploymentId: source.deploymentId ?? '',
    node: source.node,
    time: record.time.toISOString(),
    requestId: record.requestId,
    api: record.op ?? '',
    method: record.method,
    bucket: record.bucket,
    object: record.key,
    versionId: record.versionId,
    status: record.status,
    errorCode: record.errorCode,
    rx: record.bytesIn,
    tx: record.bytesOut,
    ttfbMs: ms(record.timeToFirstByteMs),
    totalMs: ms(record.totalMs),
    accessKey: record.accessKeyId,
    remoteHost: record.sourceIp,
    userAgent: record.userAgent,
    requestHeaders: record.requestHeaders,
    responseHeaders: record.responseHeaders,
  };
}
