/**
 * Builds dist/ once per test run when it is older than the sources, so e2e and fault
 * tests always exercise the code in the checkout. Several vitest workers (and the
 * global setup) may call this at once: a directory lock serializes them, and the
 * second caller finds the build fresh.
 */
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { mkdir, readdir, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const SOURCE_ENTRIES = [
  'main.ts',
  'common',
  'server',
  'storage',
  'crypto',
  'iam',
  'tiering',
  'cli',
  'bin',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];
const STAMP_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'strata-test');
const STAMP_FILE = join(STAMP_DIR, 'build-stamp');
const LOCK_DIR = join(STAMP_DIR, 'build.lock');
/** A lock older than this belongs to a crashed run and is broken. */
const STALE_LOCK_MS = 5 * 60_000;
const BUILD_TIMEOUT_MS = 4 * 60_000;

async function newestMtimeMs(path: string): Promise<number> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return path.endsWith('.test.ts') ? 0 : st.mtimeMs;
  let newest = 0;
  for (const entry of await readdir(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, await newestMtimeMs(join(path, entry)));
  }
  return newest;
}

async function isFresh(): Promise<boolean> {
  // Our own stamp, or the build info `npm run build` writes last (so a build made by
  // `npm test` before vitest starts counts too).
  let stampMs = 0;
  for (const f of [STAMP_FILE, join(REPO_ROOT, 'dist', '.tsbuildinfo')]) {
    try {
      stampMs = Math.max(stampMs, (await stat(f)).mtimeMs);
    } catch {
      // Missing: look at the other.
    }
  }
  try {
    await stat(join(REPO_ROOT, 'dist', 'main.js'));
  } catch {
    return false;
  }
  if (stampMs === 0) return false;
  let newest = 0;
  for (const entry of SOURCE_ENTRIES) newest = Math.max(newest, await newestMtimeMs(join(REPO_ROOT, entry)));
  return newest <= stampMs;
}

async function acquireLock(): Promise<void> {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  await mkdir(STAMP_DIR, { recursive: true });
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - (await stat(LOCK_DIR)).mtimeMs > STALE_LOCK_MS) await rmdir(LOCK_DIR);
    } catch {
      // Released meanwhile: retry.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for build lock ${LOCK_DIR}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runBuild(): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'npm',
      ['run', 'build'],
      { cwd: REPO_ROOT, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`npm run build failed:\n${stdout}\n${stderr}`, { cause: err }));
        else resolvePromise();
      },
    );
  });
}

let builtThisProcess: Promise<void> | undefined;

/** Runs `npm run build` unless dist/ is newer than every source file. Idempotent per process. */
export function ensureBuilt(): Promise<void> {
  if (process.env.STRATA_TEST_SKIP_BUILD === '1') return Promise.resolve();
  builtThisProcess ??= (async () => {
    if (await isFresh()) return;
    await acquireLock();
    try {
      if (await isFresh()) return;
      const startedMs = Date.now();
      await runBuild();
      await writeFile(STAMP_FILE, String(startedMs));
      // The stamp must not be newer than sources edited during the build.
      const { utimes } = await import('node:fs/promises');
      await utimes(STAMP_FILE, startedMs / 1000, startedMs / 1000);
    } finally {
      await rmdir(LOCK_DIR).catch(() => {});
    }
  })();
  return builtThisProcess;
}
