/** The admin heal call (POST /_strata/admin/v1/heal, SigV4 by root) from tests. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from './build.js';
import { signedRequest } from './raw-request.js';
import { ROOT_ACCESS_KEY, ROOT_SECRET_KEY, type StrataServer } from './strata-server.js';

export interface HealReport {
  objectsScanned: number;
  objectsHealed: number;
  shardsRepaired: number;
  objectsFailed: number;
  bucketsHealed: number;
}

/** Calls the heal endpoint and returns its JSON report (asserting 200 and the report's shape). */
export async function adminHeal(server: StrataServer, bucket?: string): Promise<HealReport> {
  const r = await signedRequest(
    server.endpoint,
    { method: 'POST', path: '/_strata/admin/v1/heal', query: bucket ? { bucket } : {} },
    { region: server.region },
  );
  expect(r.status, r.text).toBe(200);
  const report = JSON.parse(r.text) as HealReport;
  for (const field of [
    'objectsScanned',
    'objectsHealed',
    'shardsRepaired',
    'objectsFailed',
    'bucketsHealed',
  ] as const) {
    expect(typeof report[field], `${field} in ${r.text}`).toBe('number');
  }
  return report;
}

/** Runs `node bin/strata.js admin heal --endpoint URL` with root credentials; resolves with its output. */
export function adminHealCli(
  server: StrataServer,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'strata.js'), 'admin', 'heal', '--endpoint', server.endpoint],
      {
        cwd: REPO_ROOT,
        timeout: 120_000,
        env: {
          ...process.env,
          STRATA_ROOT_USER: ROOT_ACCESS_KEY,
          STRATA_ROOT_PASSWORD: ROOT_SECRET_KEY,
          STRATA_REGION: server.region,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
