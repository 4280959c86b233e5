import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { resolveAdminEndpoint } from './admin-endpoint.js';
import type { AdminHealFlags } from './parse-command.js';
import { DEFAULT_REGION, type Env, resolveRegion, resolveRootCredentials } from './server-config.js';
import { UsageError } from './usage-error.js';

/** The admin heal call; see docs/ARCHITECTURE.md (the `/_strata/` namespace). */
export const ADMIN_HEAL_PATH = '/_strata/admin/v1/heal';

/** Largest admin response we read; a heal report is a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface AdminHealConfig {
  endpoint: URL;
  bucket: string | undefined;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
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
  const signer = new SignatureV4({
    service: 's3',
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    sha256: Sha256,
    // S3 signs the path as sent, without a second round of escaping.
    uriEscapePath: false,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: config.endpoint.protocol,
    hostname: config.endpoint.hostname,
    port: config.endpoint.port === '' ? undefined : Number(config.endpoint.port),
    path: ADMIN_HEAL_PATH,
    query,
    headers: { host: config.endpoint.host },
  });

  const queryString = Object.entries(query)
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .join('&');
  const { status, body } = await send(
    config.endpoint,
    `${ADMIN_HEAL_PATH}${queryString ? `?${queryString}` : ''}`,
    {
      ...signed.headers,
      'content-length': '0',
    },
  );
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

/** RFC 3986 unreserved characters stay; everything else is %XX (SigV4's UriEncode). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function send(
  endpoint: URL,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const request = endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: 'POST',
        hostname: endpoint.hostname.replace(/^\[|\]$/g, ''),
        port: endpoint.port,
        path,
        headers,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy(
              new Error(`${endpoint.origin} sent a response larger than ${MAX_RESPONSE_BYTES} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ECONNREFUSED' ? ' (is strata server running there?)' : '';
      reject(new Error(`cannot reach ${endpoint.origin}: ${err.message}${hint}`, { cause: err }));
    });
    req.end();
  });
}

/** `: Code (Message)` from a JSON (`{code, message}`) or S3 XML error body, else the start of the body. */
function describeError(body: string): string {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    code = typeof parsed.code === 'string' ? parsed.code : undefined;
    message = typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  }
  if (code !== undefined) {
    return `: ${code}${message ? ` (${message})` : ''}`;
  }
  const text = body.trim().slice(0, 200);
  return text === '' ? '' : `: ${text}`;
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
