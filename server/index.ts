// The only door into server/: what main.ts needs to run the S3 endpoint.
export { buildServer, LOG_REDACT_PATHS, MAX_KEY_BYTES, type ServerOptions } from './app.js';
export type { CredentialLookup, Credentials } from './auth/index.js';
export {
  HEALTH_CLUSTER_PATH,
  HEALTH_LIVE_PATH,
  HEALTH_READY_PATH,
  METRICS_PATH,
  type MetricsAccess,
  MINIO_METRICS_PATH,
} from './internal-endpoints.js';
export type { RewrapFailure, RewrapReport } from './kms-rewrap.js';
export { S3_OPERATIONS, type S3Operation } from './resolve-operation.js';
export {
  type AuditEntry,
  AuditLog,
  type AuditLogOptions,
  type AuditTargetName,
  type AuditTargetStats,
} from './telemetry/audit/index.js';
export { type HealthPhase, HealthState } from './telemetry/health.js';
export { Metrics, type MetricsOptions } from './telemetry/metrics.js';
export {
  issuePrometheusToken,
  PROMETHEUS_AUTH_TYPES,
  type PrometheusAuthType,
} from './telemetry/prometheus-token.js';
export { CertificateStore } from './tls/certificate-store.js';
export { type Listeners, listen } from './tls/listeners.js';
