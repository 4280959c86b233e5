// The audit trail: one entry per API call to a rotated file, a webhook and Elasticsearch,
// the HTTP targets through bounded disk-backed queues.
export { AUDIT_ENTRY_VERSION, type AuditEntry, type AuditSource, auditEntry } from './audit-entry.js';
export { AuditLog, type AuditLogOptions, type AuditTargetName, type AuditTargetStats } from './audit-log.js';
