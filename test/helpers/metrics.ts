/** The metrics endpoint from tests: the CLI's scrape config and token, scrapes, sample values. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './build.js';
import { sendRaw } from './raw-request.js';
import { ROOT_ACCESS_KEY, ROOT_SECRET_KEY, type StrataServer } from './strata-server.js';

export const METRICS_PATH = '/strata/v1/metrics';
export const MINIO_METRICS_PATH = '/minio/v2/metrics/cluster';

export interface ScrapeJob {
  job_name: string;
  bearer_token: string;
  metrics_path: string;
  scheme: string;
  static_configs: { targets: string[] }[];
  [other: string]: unknown;
}

export interface ScrapeConfig {
  scrape_configs: ScrapeJob[];
  [other: string]: unknown;
}

/**
 * Runs `strata admin prometheus generate --endpoint <server>` with the root credentials
 * and returns its output, parsed, and the job (with its bearer token).
 */
export function generateScrapeConfig(
  server: StrataServer,
  args: string[] = [],
): Promise<{ text: string; config: ScrapeConfig; job: ScrapeJob }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'strata.js'),
        'admin',
        'prometheus',
        'generate',
        '--endpoint',
        server.endpoint,
        ...args,
      ],
      {
        cwd: REPO_ROOT,
        timeout: 60_000,
        env: { ...process.env, STRATA_ROOT_USER: ROOT_ACCESS_KEY, STRATA_ROOT_PASSWORD: ROOT_SECRET_KEY },
      },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(`strata admin prometheus generate failed: ${err.message}\n${stderr}`, { cause: err }),
          );
          return;
        }
        const text = String(stdout);
        const config = parse(text) as ScrapeConfig;
        const job = config.scrape_configs?.[0];
        if (job === undefined) {
          reject(new Error(`no scrape job in:\n${text}`));
          return;
        }
        resolve({ text, config, job });
      },
    );
  });
}

/** GET the metrics path, with `Authorization: Bearer <token>` when a token is given. */
export async function scrape(
  server: StrataServer,
  token?: string,
  path = METRICS_PATH,
): Promise<{ status: number; text: string; contentType: string }> {
  const r = await sendRaw(server.endpoint, {
    method: 'GET',
    path,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: r.status, text: r.text, contentType: String(r.headers['content-type'] ?? '') };
}

/** The value of the sample `name{labels}` (exactly these labels) in exposition text, or undefined. */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: string[] = ((m[2] ?? '').match(/\w+="(?:[^"\\]|\\.)*"/g) ?? []).sort();
    if (have.length === wanted.length && wanted.every((w, i) => have[i] === w)) return Number(m[3]);
  }
  return undefined;
}
