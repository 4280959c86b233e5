// `npm run bench [-- micro [FILTER]]`: builds, then runs every bench/**/*.bench.ts (or those whose
// path contains FILTER) one after another with tsx, each in its own process so they do not share a
// heap. `npm run bench -- FILTER` still works for a FILTER that is not a workload name.
//
// `npm run bench -- <workload> [options]` (put, get, mixed, list, small, multipart) runs the S3
// load generator of bench/load/ instead (`npm run bench -- --help`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMain } from '../bench/load/main.js';
import { isWorkload } from '../bench/load/workloads.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function findBenches(dir: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        return findBenches(path);
      }
      return entry.endsWith('.bench.ts') ? [path] : [];
    });
}

function runMicro(filter: string): number {
  const benches = findBenches(join(ROOT, 'bench')).filter((path) => relative(ROOT, path).includes(filter));
  if (benches.length === 0) {
    process.stderr.write(`bench: no bench/**/*.bench.ts matches "${filter}"\n`);
    return 1;
  }
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    return 1;
  }
  let failed = 0;
  for (const bench of benches) {
    process.stdout.write(`\n=== ${relative(ROOT, bench)} ===\n`);
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [bench], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (result.status !== 0) {
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const [first, ...rest] = process.argv.slice(2);
  if (first === 'micro') return runMicro(rest[0] ?? '');
  if (first === '-h' || first === '--help' || (first !== undefined && isWorkload(first))) {
    return loadMain(first === '--help' || first === '-h' ? ['--help'] : [first, ...rest]);
  }
  return runMicro(first ?? '');
}

process.exitCode = await main();
