import { resolveAdminEndpoint } from './admin-endpoint.js';
import { type AdminTarget, adminRequest, describeError } from './admin-request.js';
import type { AdminHealFlags } from './parse-command.js';
import { DEFAULT_REGION, type Env, resolveRegion, resolveRootCredentials } from './server-config.js';
import { UsageError } from './usage-error.js';

/** The admin heal call; see docs/ARCHITECTURE.md (the `/_strata/` namespace). */
export const ADMIN_HEAL_PATH = '/_strata/admin/v1/heal';

export interface AdminHealConfig extends AdminTarget {
  bucket: string | undefined;
}

/** The counts a heal reports (the server's JSON body). */
export interface HealCounts {
  objectsScanned: number;
  objectsHealed: number;
  shardsRepaired: number;
  objectsFailed: number;
  bucketsHealed: number;
}

const COUNT_FIELDS = [
  'bucketsHealed',
  'objectsScanned',
  'objectsHealed',
  'shardsRepaired',
  'objectsFailed',
] as const;

/** Merges flags with STRATA_ENDPOINT / STRATA_ADDRESS / STRATA_REGION / root credentials. Throws UsageError. */
export function resolveAdminHealConfig(flags: AdminHealFlags, env: Env): AdminHealConfig {
  const endpoint = resolveAdminEndpoint(flags.endpoint, env);
  if (flags.bucket !== undefined && flags.bucket.trim() === '') {
    throw new UsageError('--bucket needs a bucket name');
  }
  const { rootUser, rootPassword } = resolveRootCredentials(env);
  return {
    endpoint,
    bucket: flags.bucket,
    region: resolveRegion(env.STRATA_REGION || DEFAULT_REGION),
    accessKeyId: rootUser,
    secretAccessKey: rootPassword,
  };
}

/**
 * Calls `POST /_strata/admin/v1/heal[?bucket=]` signed with SigV4 (service s3) and returns the counts.
 * Throws Error with a message fit for the terminal when the server is unreachable or refuses.
 */
export async function adminHeal(config: AdminHealConfig): Promise<HealCounts> {
  const query: Record<string, string> = config.bucket === undefined ? {} : { bucket: config.bucket };
  const { status, body } = await adminRequest(config, 'POST', ADMIN_HEAL_PATH, query);
  if (status !== 200) {
    throw new Error(`${config.endpoint.origin} answered ${status}${describeError(body)}`);
  }
  return parseCounts(body);
}

/** The report as printed by `strata admin heal`. */
export function formatHealCounts(
  counts: HealCounts,
  config: Pick<AdminHealConfig, 'endpoint' | 'bucket'>,
): string {
  const scope = config.bucket === undefined ? 'all buckets' : `bucket ${config.bucket}`;
  const rows: [string, number][] = [
    ['buckets healed', counts.bucketsHealed],
    ['objects scanned', counts.objectsScanned],
    ['objects healed', counts.objectsHealed],
    ['shards repaired', counts.shardsRepaired],
    ['objects failed', counts.objectsFailed],
  ];
  const lines = rows.map(([label, n]) => `  ${`${label}:`.padEnd(17)}${n}`);
  const verdict =
    counts.objectsFailed === 0
      ? 'Heal complete.'
      : `Heal incomplete: ${counts.objectsFailed} object(s) have fewer good shards than data shards.`;
  return `Heal of ${scope} on ${config.endpoint.origin}\n${lines.join('\n')}\n${verdict}\n`;
}

function parseCounts(body: string): HealCounts {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new Error(`the server's heal report is not JSON: ${body.slice(0, 200)}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null) {
    throw new Error(`the server's heal report is not a JSON object: ${body.slice(0, 200)}`);
  }
  const record = value as Record<string, unknown>;
  const counts = {} as HealCounts;
  for (const field of COUNT_FIELDS) {
    const n = record[field];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new Error(`the server's heal report has no count "${field}": ${body.slice(0, 200)}`);
    }
    counts[field] = n;
  }
  return counts;
}
