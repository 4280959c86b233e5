/**
 * Measures one workload against a Strata server started here, and optionally CPU-profiles it.
 *
 *     npx tsx bench/profile/profile-server.ts [--root DIR] [--workload put|get] [--size 16MiB]
 *         [--concurrency 4] [--duration 10s] [--repeat 1] [--objects 16] [--prof DIR] [--top 25]
 *         [--sse none|s3|kms|c]
 *
 * Starts `node [--cpu-prof] DIR/bin/strata.js server` (DIR: the repo, built with `npm run build`,
 * or any other built tree) on 4 fresh temp drives, runs the workload `--repeat` times with the
 * load generator, and prints per run: MiB/s, and the server's CPU during the timed phase in ms per
 * MiB, split into the main thread and the other threads (libuv threadpool, V8), read from
 * /proc/<pid>/task/<tid>/stat. With `--prof`, the server is stopped with SIGTERM so V8 writes its
 * .cpuprofile, which is then summarized (bench/profile/cpuprofile-summary.ts). The V8 profile
 * samples wall time: a main thread that is runnable but preempted (2 shared cores) is charged
 * to whatever it was doing. `--perf FILE` records on-CPU samples of every thread of the first
 * run with `perf record` instead (`perf report -i FILE --sort comm,dso,sym`); `--node-arg X`
 * passes options to the server's node. The server inherits this environment (STRATA_KMS_SECRET_KEY
 * for `--sse s3|kms`, STRATA_SSEC_ALLOW_HTTP=1 for `--sse c`, STRATA_SSE_AEAD).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from '../load/run.js';
import { isSseMode } from '../load/s3-api.js';
import { parseDuration, parseSize } from '../load/units.js';
import type { WorkloadName } from '../load/workloads.js';
import { formatSummary, summarizeProfile } from './cpuprofile-summary.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CREDENTIALS = { accessKeyId: 'strata-profile', secretAccessKey: 'strata-profile-secret' };

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU seconds of a process (user + system) split into its main thread and all other threads
 * (Node 20 does not name its threads: the libuv threadpool, which runs fs calls and
 * Reed-Solomon, and V8's workers are all "node").
 */
export function threadCpuSeconds(pid: number): Record<string, number> {
  const out: Record<string, number> = { main: 0, threads: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const group = tid === String(pid) ? 'main' : 'threads';
    out[group] = (out[group] ?? 0) + seconds;
  }
  return out;
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) out[k] = (b[k] ?? 0) - (a[k] ?? 0);
  return out;
}

async function startServer(
  root: string,
  profDir: string | undefined,
  nodeArgs: readonly string[],
): Promise<{ child: ChildProcess; endpoint: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-profile-'));
  const drives = [1, 2, 3, 4].map((i) => join(dir, `drive${i}`));
  const args = [
    ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
    ...nodeArgs,
    join(root, 'bin', 'strata.js'),
    'server',
    '--address',
    '127.0.0.1:0',
    ...drives,
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      STRATA_ROOT_USER: CREDENTIALS.accessKeyId,
      STRATA_ROOT_PASSWORD: CREDENTIALS.secretAccessKey,
      STRATA_REGION: 'us-east-1',
      STRATA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  if (process.env.STRATA_PROFILE_SERVER_LOG) {
    const log = createWriteStream(process.env.STRATA_PROFILE_SERVER_LOG);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const endpoint = await new Promise<string>((ok, fail) => {
    const onData = (s: string) => {
      out += s;
      const m = /Endpoint:\s*(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) ok(m[1] as string);
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => fail(new Error(`strata exited (${code}) before listening:\n${out}`)));
  });
  return { child, endpoint, dir };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      workload: { type: 'string' },
      size: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      repeat: { type: 'string' },
      objects: { type: 'string' },
      prof: { type: 'string' },
      'node-arg': { type: 'string', multiple: true },
      perf: { type: 'string' },
      top: { type: 'string' },
      sse: { type: 'string' },
    },
  });
  const root = resolve(values.root ?? REPO_ROOT);
  const workload = (values.workload ?? 'put') as WorkloadName;
  if (workload !== 'put' && workload !== 'get') throw new Error('--workload must be put or get');
  const sizeBytes = parseSize(values.size ?? '16MiB');
  const concurrency = Number(values.concurrency ?? 4);
  const durationMs = parseDuration(values.duration ?? '10s');
  const repeat = Number(values.repeat ?? 1);
  const sse = values.sse ?? 'none';
  if (!isSseMode(sse)) throw new Error('--sse must be none, s3, kms or c');
  const profDir = values.prof ? resolve(values.prof) : undefined;

  const nodeArgs = values['node-arg'] ?? [];
  if (values.perf && !nodeArgs.includes('--perf-basic-prof')) nodeArgs.push('--perf-basic-prof');
  const { child, endpoint, dir } = await startServer(root, profDir, nodeArgs);
  const pid = child.pid as number;
  try {
    let perf: ChildProcess | undefined;
    for (let run = 1; run <= repeat; run++) {
      let before: Record<string, number> = {};
      let after: Record<string, number> = {};
      const r = await runLoad({
        workload,
        target: { endpoint, region: 'us-east-1', ...CREDENTIALS },
        client: 'http',
        sse,
        bucket: 'strata-profile',
        sizeBytes,
        partSizeBytes: 5 * 1024 * 1024,
        concurrency,
        durationMs,
        maxOps: 0,
        objects: Number(values.objects ?? 16),
        prepareConcurrency: 8,
        keep: false,
        seed: run,
        progress: false,
        onTimedPhase: (edge) => {
          if (edge === 'start') {
            before = threadCpuSeconds(pid);
            // perf (linux-tools) samples every thread on CPU, JIT frames named by --perf-basic-prof.
            if (values.perf && run === 1)
              perf = spawn('perf', ['record', '-F', '1999', '-g', '-p', String(pid), '-o', values.perf], {
                stdio: 'ignore',
              });
          } else {
            after = threadCpuSeconds(pid);
            perf?.kill('SIGINT');
          }
        },
      });
      const cpu = diff(before, after);
      const mib = r.total.bytes / 1024 / 1024;
      const totalCpu = Object.values(cpu).reduce((a, b) => a + b, 0);
      const perMib = (s: number) => ((1000 * s) / Math.max(mib, 1e-9)).toFixed(2);
      const groups = Object.entries(cpu)
        .sort((a, b) => b[1] - a[1])
        .map(([g, s]) => `${g} ${perMib(s)}`)
        .join(', ');
      process.stdout.write(
        `${workload} ${values.size ?? '16MiB'} c=${concurrency} sse=${sse} run ${run}: ${r.total.mibPerSec.toFixed(1)} MiB/s, ` +
          `${r.total.ops} ops, ${r.errors} errors, p50 ${r.total.latencyMs.p50.toFixed(0)} ms; server CPU ` +
          `${perMib(totalCpu)} ms/MiB (${groups}); client CPU ${((1000 * (r.clientCpu.userMs + r.clientCpu.systemMs)) / 1000 / Math.max(mib, 1e-9)).toFixed(2)} ms/MiB; ` +
          `load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 1).join('')}\n`,
      );
      for (const e of r.errorSamples) process.stdout.write(`  error: ${e.count} × ${e.message}\n`);
    }
  } finally {
    await stopServer(child);
    rmSync(dir, { recursive: true, force: true });
  }
  if (profDir) {
    const files = readdirSync(profDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profDir, f))
      .sort();
    const latest = files[files.length - 1];
    if (latest) {
      process.stdout.write(`\n${latest}\n`);
      const summary = summarizeProfile(JSON.parse(readFileSync(latest, 'utf8')));
      process.stdout.write(`${formatSummary(summary, Number(values.top ?? 25))}\n`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`profile-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
