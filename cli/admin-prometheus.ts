import { issuePrometheusToken, METRICS_PATH } from '../server/index.js';
import { resolveAdminEndpoint } from './admin-endpoint.js';
import type { AdminPrometheusFlags } from './parse-command.js';
import { type Env, resolveRootCredentials } from './server-config.js';
import { UsageError } from './usage-error.js';

/**
 * `strata admin prometheus generate`: a bearer token for the metrics endpoint and a
 * Prometheus scrape config that uses it, like MinIO's `mc admin prometheus generate`.
 * The token is made here from the root credentials (no call to the server): a JWT
 * signed with HS512 by STRATA_ROOT_PASSWORD, `sub` STRATA_ROOT_USER, `iss` prometheus,
 * valid for 100 years (server/telemetry/prometheus-token.ts). It stops working when the
 * root password changes.
 */

export const DEFAULT_PROMETHEUS_JOB = 'strata';

export interface AdminPrometheusConfig {
  endpoint: URL;
  job: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Merges flags with STRATA_ENDPOINT / STRATA_ADDRESS and the root credentials. Throws UsageError. */
export function resolveAdminPrometheusConfig(flags: AdminPrometheusFlags, env: Env): AdminPrometheusConfig {
  const endpoint = resolveAdminEndpoint(flags.endpoint, env);
  const job = flags.job ?? DEFAULT_PROMETHEUS_JOB;
  // Prometheus job names are free text, but one line of plain YAML keeps the output simple.
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(job)) {
    throw new UsageError(`--job "${job}" must be 1 to 100 letters, digits or _ . : -`);
  }
  const { rootUser, rootPassword } = resolveRootCredentials(env);
  return { endpoint, job, accessKeyId: rootUser, secretAccessKey: rootPassword };
}

/** The scrape config printed by the command (YAML), with the token in `bearer_token`. */
export function formatScrapeConfig(
  config: Pick<AdminPrometheusConfig, 'endpoint' | 'job'>,
  token: string,
): string {
  const { endpoint } = config;
  const scheme = endpoint.protocol === 'https:' ? 'https' : 'http';
  const port = endpoint.port !== '' ? endpoint.port : scheme === 'https' ? '443' : '80';
  const target = `${endpoint.hostname}:${port}`;
  return [
    `# Prometheus scrape config for Strata at ${endpoint.origin}.`,
    '# The bearer token is a JWT signed with the root credentials: keep it secret.',
    'scrape_configs:',
    `  - job_name: ${config.job}`,
    `    bearer_token: ${token}`,
    `    metrics_path: ${METRICS_PATH}`,
    `    scheme: ${scheme}`,
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n');
}

/** The command's whole output. */
export async function adminPrometheusGenerate(config: AdminPrometheusConfig): Promise<string> {
  const token = await issuePrometheusToken({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
  });
  return formatScrapeConfig(config, token);
}
