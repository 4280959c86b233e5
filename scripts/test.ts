// `npm test`: every check the project has, then the test suite. Runs the build, the type check,
// the linter and the import-boundary check one after another (a failure does not stop the
// others), then vitest with any extra arguments (`npm test -- cli/`). Vitest's output comes last;
// the exit code is non-zero when anything failed.
//
// STRATA_CHECKS_REPORT=FILE writes {"checks":[{"name","ok","exitCode"}]} for CI (.ci/run).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHECKS = ['build', 'typecheck', 'lint', 'lint:imports'] as const;

interface CheckResult {
  name: string;
  ok: boolean;
  exitCode: number;
}

function run(command: string, args: string[]): number {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.error !== undefined) {
    process.stderr.write(`cannot run ${command}: ${result.error.message}\n`);
    return 1;
  }
  return result.status ?? 1;
}

function heading(text: string): void {
  process.stdout.write(`\n=== ${text} ===\n`);
}

function main(): number {
  const results: CheckResult[] = CHECKS.map((name) => {
    heading(`npm run ${name}`);
    const exitCode = run('npm', ['run', '--silent', name]);
    return { name, ok: exitCode === 0, exitCode };
  });

  const summary = results.map((r) => `${r.name} ${r.ok ? 'ok' : `FAILED (exit ${r.exitCode})`}`).join(', ');
  heading(`checks: ${summary}`);
  const reportPath = process.env.STRATA_CHECKS_REPORT;
  if (reportPath !== undefined && reportPath !== '') {
    mkdirSync(dirname(resolve(ROOT, reportPath)), { recursive: true });
    writeFileSync(resolve(ROOT, reportPath), `${JSON.stringify({ checks: results }, null, 2)}\n`);
  }

  heading('vitest run');
  const vitestCode = run(join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', ...process.argv.slice(2)]);
  const failedChecks = results.filter((r) => !r.ok).map((r) => r.name);
  if (failedChecks.length > 0) {
    process.stderr.write(`\nnpm test: failed checks: ${failedChecks.join(', ')} (see their output above)\n`);
    return 1;
  }
  return vitestCode;
}

process.exitCode = main();
