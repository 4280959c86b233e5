/**
 * Starts a real Strata server process (node bin/strata.js server) on a loopback
 * port for end-to-end and fault tests, with fresh temporary drive directories or
 * given ones. Every process started here is killed when the test file ends, and
 * as a last resort when the worker process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ensureBuilt, REPO_ROOT } from './build.js';

export const ROOT_ACCESS_KEY = 'strata-test-root';
export const ROOT_SECRET_KEY = 'strata-test-root-secret-0123456789';
export const REGION = 'us-east-1';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Captured output kept per process for failure messages. */
const OUTPUT_LIMIT_CHARS = 64 * 1024;

const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

export interface StrataServerOptions {
  /** Drive directories to use (kept after stop). Default: 4 fresh temp dirs, removed at stop. */
  drives?: string[];
  /** Number of fresh drives when `drives` is not given. Default 4 (2 data + 2 parity). */
  driveCount?: number;
  /** Extra environment for the server process (e.g. STRATA_REGION, STRATA_DOMAIN). */
  env?: Record<string, string>;
  /**
   * PEM CA certificate(s) clients trust when the server serves HTTPS (STRATA_CERTS_DIR in
   * `env`): client() and newClient() verify the server against them.
   */
  ca?: string | Buffer;
}

export class StrataServer {
  readonly drives: string[];
  readonly region: string;
  /** Temp directory that holds the drives when the harness created them. */
  private readonly ownedRoot: string | undefined;
  private readonly env: Record<string, string>;
  private readonly ca: string | Buffer | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private out = '';
  private lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private currentEndpoint = '';
  private cachedClient: S3Client | undefined;

  private constructor(
    drives: string[],
    ownedRoot: string | undefined,
    env: Record<string, string>,
    ca?: string | Buffer,
  ) {
    this.drives = drives;
    this.ownedRoot = ownedRoot;
    this.env = env;
    this.ca = ca;
    this.region = env.STRATA_REGION ?? REGION;
  }

  /** Creates drives (unless given) and starts the server. */
  static async start(opts: StrataServerOptions = {}): Promise<StrataServer> {
    await ensureBuilt();
    let drives = opts.drives;
    let ownedRoot: string | undefined;
    if (!drives) {
      ownedRoot = await mkdtemp(join(tmpdir(), 'strata-test-'));
      drives = [];
      for (let i = 1; i <= (opts.driveCount ?? 4); i++) {
        const d = join(ownedRoot, `drive${i}`);
        await mkdir(d);
        drives.push(d);
      }
    }
    const server = new StrataServer(drives, ownedRoot, opts.env ?? {}, opts.ca);
    try {
      await server.launch();
    } catch (err) {
      await server.destroy();
      throw err;
    }
    return server;
  }

  /** `http://127.0.0.1:<port>` (`https://` with TLS) of the running process (changes on restart). */
  get endpoint(): string {
    if (!this.currentEndpoint) throw new Error('server is not running');
    return this.currentEndpoint;
  }

  get port(): number {
    return Number(new URL(this.endpoint).port);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Everything the current and earlier processes printed (tail), for failure messages. */
  output(): string {
    return this.out;
  }

  /** A client for the current endpoint, root credentials, path style. Cached until restart. */
  client(): S3Client {
    this.cachedClient ??= this.newClient();
    return this.cachedClient;
  }

  /** A fresh client with overrides (e.g. other credentials, maxAttempts). Caller destroys it. */
  newClient(overrides: Partial<S3ClientConfig> = {}): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      region: this.region,
      forcePathStyle: true,
      credentials: { accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: ROOT_SECRET_KEY },
      ...(this.ca === undefined
        ? {}
        : {
            requestHandler: new NodeHttpHandler({
              httpsAgent: new HttpsAgent({ ca: this.ca, keepAlive: true }),
            }),
          }),
      ...overrides,
    });
  }

  private appendOutput(text: string): void {
    this.out += text;
    if (this.out.length > OUTPUT_LIMIT_CHARS) this.out = this.out.slice(-OUTPUT_LIMIT_CHARS);
  }

  private async launch(): Promise<void> {
    if (this.child) throw new Error('server already running');
    this.appendOutput(`\n--- starting server on ${this.drives.join(' ')} ---\n`);
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'strata.js'), 'server', '--address', '127.0.0.1:0', ...this.drives],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          STRATA_ROOT_USER: ROOT_ACCESS_KEY,
          STRATA_ROOT_PASSWORD: ROOT_SECRET_KEY,
          STRATA_REGION: this.region,
          ...this.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    liveChildren.add(child);
    this.exited = new Promise<void>((resolveExit) => {
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        this.lastExit = { code, signal };
        this.appendOutput(`\n--- server pid ${child.pid} exited: code ${code} signal ${signal} ---\n`);
        if (this.child === child) {
          this.child = undefined;
          this.currentEndpoint = '';
        }
        resolveExit();
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => this.appendOutput(s));
    child.stdout?.setEncoding('utf8');
    let stdoutBuf = '';
    const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `server did not print "Endpoint: http(s)://..." within ${START_TIMEOUT_MS} ms\n${this.out}`,
          ),
        );
      }, START_TIMEOUT_MS);
      child.stdout?.on('data', (s: string) => {
        this.appendOutput(s);
        stdoutBuf += s;
        const m = /Endpoint:\s*(https?:\/\/127\.0\.0\.1:\d+)/.exec(stdoutBuf);
        if (m?.[1]) {
          clearTimeout(timer);
          stdoutBuf = '';
          resolveEndpoint(m[1]);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited before listening (code ${code}, signal ${signal})\n${this.out}`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    this.currentEndpoint = endpoint;
    this.cachedClient?.destroy();
    this.cachedClient = undefined;
  }

  /**
   * Waits until the current process exits by itself (e.g. after a signal the test sent to
   * `pid`) and returns its exit code and signal; throws after `timeoutMs`.
   */
  async waitForExit(
    timeoutMs = STOP_TIMEOUT_MS,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exited = this.exited;
    if (this.child !== undefined && exited !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) throw new Error(`server did not exit within ${timeoutMs} ms\n${this.out.slice(-4000)}`);
    }
    if (this.lastExit === undefined) throw new Error('server never ran');
    return this.lastExit;
  }

  /** SIGTERM, then SIGKILL if the process has not exited after a deadline. Resolves once exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.cachedClient?.destroy();
    this.cachedClient = undefined;
    child.kill('SIGTERM');
    const exited = this.exited;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited?.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.appendOutput(`\n--- server did not exit ${STOP_TIMEOUT_MS} ms after SIGTERM: SIGKILL ---\n`);
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** SIGKILL the process (simulated crash) and wait until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.cachedClient?.destroy();
    this.cachedClient = undefined;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops (if running) and starts again on the same drives; the port changes. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Starts the process again after stop()/kill(). */
  async startAgain(): Promise<void> {
    await this.launch();
  }

  /** Stops the process and removes drives the harness created. */
  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      this.cachedClient?.destroy();
      if (this.ownedRoot) await rm(this.ownedRoot, { recursive: true, force: true });
    }
  }
}

/**
 * Starts one server for the enclosing describe/file (beforeAll) and always destroys
 * it (afterAll), also when tests fail. Use the returned getter inside tests.
 */
export function useStrataServer(opts: StrataServerOptions = {}): () => StrataServer {
  let server: StrataServer | undefined;
  beforeAll(async () => {
    server = await StrataServer.start(opts);
  });
  afterAll(async () => {
    await server?.destroy();
  });
  dumpServerOutputOnFailure(() => server);
  return () => {
    if (!server) throw new Error('server not started (beforeAll failed?)');
    return server;
  };
}

let bucketCounter = 0;
/** A unique, valid bucket name per test (lower case, 3..63). */
export function uniqueBucketName(label = 'b'): string {
  bucketCounter++;
  const rand = Math.random().toString(36).slice(2, 8);
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 30);
  return `${clean}-${process.pid}-${bucketCounter}-${rand}`.replace(/-+/g, '-').slice(0, 63);
}

/** Polls `check` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`, { cause: lastErr });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** After a failed test, prints the tail of the server's output (its log explains most failures). */
export function dumpServerOutputOnFailure(get: () => StrataServer | undefined, tailChars = 6000): void {
  afterEach((ctx) => {
    const server = get();
    if (server && ctx.task.result?.state === 'fail') {
      process.stderr.write(
        `\n--- server output (tail) for "${ctx.task.name}" ---\n${server.output().slice(-tailChars)}\n`,
      );
    }
  });
}
