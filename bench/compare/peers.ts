/**
 * The servers a comparison measures. Strata and s3rver are started here as child processes on
 * loopback port 0, on fresh temporary directories; every process and directory is registered so
 * that `stopAll` (and, as a last resort, the process 'exit' hook) kills them by handle and
 * removes the directories, also after an error or Ctrl-C. Extra endpoints (`--peer`) are only
 * connected to.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Target } from '../load/s3-api.js';
import type { PeerInfo } from './report.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
/** Output kept per server for error messages. */
const OUTPUT_LIMIT_CHARS = 32 * 1024;

export interface Peer {
  info: PeerInfo;
  target: S3Target;
  /** PID of the server process when this run started it (its CPU time is read from /proc). */
  pid: number | undefined;
  /** True when the peer's data goes away with it (no need to delete objects one by one). */
  ephemeral: boolean;
  /** Why the server is gone, when it exited on its own. */
  exitReason(): string | undefined;
  /** The tail of what the server printed. */
  output(): string;
  /** Stops the server (if started here) and removes its temporary directory. */
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();

process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Kills every started server at once and removes the temporary directories (second Ctrl-C). */
export function killAllNow(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `strata-compare-${label}-`));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** A server child process that prints its endpoint once it listens. */
class ServerProcess {
  private out = '';
  private exited: Promise<void>;
  private exitText: string | undefined;

  private constructor(readonly child: ChildProcess) {
    liveChildren.add(child);
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        this.exitText = `exited with code ${code}, signal ${signal}`;
        resolveExit();
      });
    });
    const append = (s: string): void => {
      this.out = (this.out + s).slice(-OUTPUT_LIMIT_CHARS);
    };
    child.stdout?.setEncoding('utf8').on('data', append);
    child.stderr?.setEncoding('utf8').on('data', append);
  }

  static async start(
    command: string,
    args: string[],
    opts: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; name: string },
  ): Promise<{ server: ServerProcess; match: RegExpExecArray }> {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ServerProcess(child);
    try {
      const match = await new Promise<RegExpExecArray>((resolveReady, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${opts.name} did not start within ${START_TIMEOUT_MS} ms:\n${server.out}`)),
          START_TIMEOUT_MS,
        );
        const check = (): void => {
          const m = opts.ready.exec(server.out);
          if (m) {
            clearTimeout(timer);
            resolveReady(m);
          }
        };
        child.stdout?.on('data', check);
        child.once('exit', () => {
          clearTimeout(timer);
          reject(new Error(`${opts.name} ${server.exitText ?? 'exited'} before listening:\n${server.out}`));
        });
        child.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      return { server, match };
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  get exitReason(): string | undefined {
    return this.exitText;
  }

  output(): string {
    return this.out;
  }

  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once the process is gone. */
  async stop(): Promise<void> {
    if (this.exitText !== undefined) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        r();
      }, STOP_TIMEOUT_MS);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }
}

function gitDescribe(cwd: string, ref?: string): string {
  try {
    const args = ref ? ['rev-parse', '--short', ref] : ['describe', '--always', '--dirty'];
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Where to run Strata from: the working tree after `npm run build`, or (with `ref`) a clean
 * export of that commit built in a temporary directory, so edits in progress in the working
 * tree cannot change what is measured.
 */
export interface StrataBuild {
  root: string;
  version: string;
  /** Removes the exported tree (nothing for the working tree). */
  dispose(): void;
}

export function buildStrata(opts: { ref?: string; build: boolean }): StrataBuild {
  if (!opts.ref) {
    if (opts.build) {
      const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
      if (build.status !== 0) throw new Error('npm run build failed (output above)');
    }
    return { root: REPO_ROOT, version: gitDescribe(REPO_ROOT), dispose: () => {} };
  }
  const root = makeTempDir('src');
  const archive = spawnSync(
    'sh',
    ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'sh', opts.ref, root],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
  if (archive.status !== 0) {
    removeTempDir(root);
    throw new Error(`cannot export ${opts.ref} from git`);
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  const tsc = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) {
    removeTempDir(root);
    throw new Error(`building ${opts.ref} failed (output above)`);
  }
  return { root, version: gitDescribe(REPO_ROOT, opts.ref), dispose: () => removeTempDir(root) };
}

const STRATA_CREDENTIALS = { accessKeyId: 'strata-bench', secretAccessKey: 'strata-bench-secret' };

/** Strata on 4 fresh drive directories (2 data + 2 parity), log level warn. */
export async function startStrata(build: StrataBuild): Promise<Peer> {
  const dir = makeTempDir('strata');
  const drives = [1, 2, 3, 4].map((i) => join(dir, `drive${i}`));
  const args = [join(build.root, 'bin', 'strata.js'), 'server', '--address', '127.0.0.1:0', ...drives];
  let started: Awaited<ReturnType<typeof ServerProcess.start>>;
  try {
    started = await ServerProcess.start(process.execPath, args, {
      cwd: build.root,
      env: {
        ...process.env,
        STRATA_ROOT_USER: STRATA_CREDENTIALS.accessKeyId,
        STRATA_ROOT_PASSWORD: STRATA_CREDENTIALS.secretAccessKey,
        STRATA_REGION: 'us-east-1',
        STRATA_LOG_LEVEL: 'warn',
      },
      ready: /Endpoint:\s*(http:\/\/127\.0\.0\.1:\d+)/,
      name: 'strata',
    });
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
  const { server, match } = started;
  const endpoint = match[1] as string;
  return {
    info: {
      name: 'strata',
      kind: 'strata',
      endpoint,
      version: build.version,
      description:
        'node bin/strata.js server, 4 drive directories on one disk (2 data + 2 parity), STRATA_LOG_LEVEL=warn',
    },
    target: { endpoint, region: 'us-east-1', ...STRATA_CREDENTIALS },
    pid: server.child.pid,
    ephemeral: true,
    exitReason: () => server.exitReason,
    output: () => server.output(),
    stop: async () => {
      await server.stop();
      removeTempDir(dir);
    },
  };
}

/**
 * s3rver (plain files, no fsync) in its own process with its default credentials S3RVER/S3RVER.
 * `--openssl-legacy-provider`: its continuation tokens use DES, which OpenSSL 3 only has there;
 * without it every listing past the first page fails.
 */
export async function startS3rver(): Promise<Peer> {
  const dir = makeTempDir('s3rver');
  const bin = join(REPO_ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js');
  const version = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 's3rver', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  let started: Awaited<ReturnType<typeof ServerProcess.start>>;
  try {
    started = await ServerProcess.start(
      process.execPath,
      [
        '--openssl-legacy-provider',
        bin,
        '--directory',
        dir,
        '--address',
        '127.0.0.1',
        '--port',
        '0',
        '--silent',
      ],
      { cwd: REPO_ROOT, env: process.env, ready: /listening on ([\d.]+):(\d+)/, name: 's3rver' },
    );
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
  const { server, match } = started;
  const endpoint = `http://${match[1]}:${match[2]}`;
  return {
    info: {
      name: 's3rver',
      kind: 's3rver',
      endpoint,
      version,
      description:
        's3rver CLI (plain files in one directory, no fsync), --silent, node --openssl-legacy-provider',
    },
    target: { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    pid: server.child.pid,
    ephemeral: true,
    exitReason: () => server.exitReason,
    output: () => server.output(),
    stop: async () => {
      await server.stop();
      removeTempDir(dir);
    },
  };
}

/**
 * `--peer name=http://ACCESS:SECRET@host:port[?region=R]`: an endpoint someone else runs.
 * Credentials missing from the URL come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
export function parsePeerSpec(spec: string, env: NodeJS.ProcessEnv = process.env): Peer {
  const eq = spec.indexOf('=');
  const name = spec.slice(0, eq);
  if (eq <= 0 || !/^[\w.-]+$/.test(name)) throw new Error(`--peer wants name=URL, got "${spec}"`);
  let url: URL;
  try {
    url = new URL(spec.slice(eq + 1));
  } catch {
    throw new Error(`--peer ${name}: not a URL: "${spec.slice(eq + 1)}"`);
  }
  if (url.protocol !== 'http:') throw new Error(`--peer ${name}: only http:// endpoints are supported`);
  const accessKeyId = decodeURIComponent(url.username) || env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = decodeURIComponent(url.password) || env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(`--peer ${name}: give credentials as http://ACCESS:SECRET@host:port`);
  }
  const region = url.searchParams.get('region') ?? 'us-east-1';
  const endpoint = `${url.protocol}//${url.host}`;
  return {
    info: { name, kind: 'external', endpoint, version: '', description: `external endpoint ${endpoint}` },
    target: { endpoint, accessKeyId, secretAccessKey, region },
    pid: undefined,
    ephemeral: false,
    exitReason: () => undefined,
    output: () => '',
    stop: async () => {},
  };
}

/** User + system CPU seconds of a process (all its threads) from /proc; undefined elsewhere. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;
function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}
