// The only door into cli/: command-line parsing, configuration and the admin client. main.ts composes them.

export { endpointUrl } from './address.js';
export { adminHeal, formatHealCounts, resolveAdminHealConfig } from './admin-heal.js';
export { adminKms, generateSecret, resolveAdminKmsConfig } from './admin-kms.js';
export { adminPrometheusGenerate, resolveAdminPrometheusConfig } from './admin-prometheus.js';
export { defaultCredentialsWarning, formatBanner } from './banner.js';
export { expandEllipses, expandEllipsis } from './expand-ellipsis.js';
export type {
  AdminHealFlags,
  AdminKmsAction,
  AdminKmsFlags,
  AdminPrometheusFlags,
  Command,
  HelpTopic,
} from './parse-command.js';
export { parseCommand } from './parse-command.js';
export type { Env, LogLevel, ServerConfig, ServerFlags } from './server-config.js';
export { resolveServerConfig } from './server-config.js';
export { usage } from './usage.js';
export { UsageError } from './usage-error.js';
export { readVersion } from './version.js';
