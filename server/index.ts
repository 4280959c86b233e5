// The only door into server/: what main.ts needs to run the S3 endpoint.
export { buildServer, LOG_REDACT_PATHS, MAX_KEY_BYTES, type ServerOptions } from './app.js';
export type { CredentialLookup, Credentials } from './auth/index.js';
export { S3_OPERATIONS, type S3Operation } from './resolve-operation.js';
export {
  type AuditEntry,
  AuditLog,
  type AuditLogOptions,
  type AuditTargetName,
  type AuditTargetStats,
} from './telemetry/audit/index.js';
export { CertificateStore } from './tls/certificate-store.js';
export { type Listeners, listen } from './tls/listeners.js';
