/**
 * Runs aws-cli against a test server with isolated configuration: root test
 * credentials in the environment, a temp config file (path-style addressing,
 * single-part uploads up to 200 MB until multipart exists), no pager, no IMDS.
 * STRATA_TEST_AWS selects the binary (default: `aws` on the PATH).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY } from './strata-server.js';

export interface AwsResult {
  code: number;
  stdout: string;
  stderr: string;
}

const AWS_TIMEOUT_MS = 120_000;

export class AwsCli {
  private constructor(
    readonly configDir: string,
    private readonly endpoint: () => string,
  ) {}

  static async create(endpoint: () => string): Promise<AwsCli> {
    const dir = await mkdtemp(join(tmpdir(), 'strata-awscli-'));
    await writeFile(
      join(dir, 'config'),
      [
        '[default]',
        `region = ${REGION}`,
        'output = json',
        's3 =',
        '  addressing_style = path',
        '  multipart_threshold = 200MB',
        '  multipart_chunksize = 200MB',
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'credentials'), '');
    return new AwsCli(dir, endpoint);
  }

  /** `aws --endpoint-url <server> ...args`; never rejects (inspect code/stdout/stderr). */
  run(args: string[], opts: { cwd?: string } = {}): Promise<AwsResult> {
    const bin = process.env.STRATA_TEST_AWS || 'aws';
    return new Promise((resolve) => {
      execFile(
        bin,
        ['--endpoint-url', this.endpoint(), ...args],
        {
          cwd: opts.cwd,
          timeout: AWS_TIMEOUT_MS,
          maxBuffer: 64 * 1024 * 1024,
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: this.configDir,
            LANG: 'C.UTF-8',
            LC_ALL: 'C.UTF-8',
            PYTHONIOENCODING: 'utf-8',
            PYTHONUTF8: '1',
            ...(process.env.PYENV_ROOT ? { PYENV_ROOT: process.env.PYENV_ROOT } : {}),
            AWS_ACCESS_KEY_ID: ROOT_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY: ROOT_SECRET_KEY,
            AWS_DEFAULT_REGION: REGION,
            AWS_CONFIG_FILE: join(this.configDir, 'config'),
            AWS_SHARED_CREDENTIALS_FILE: join(this.configDir, 'credentials'),
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_PAGER: '',
            AWS_MAX_ATTEMPTS: '2',
          },
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
    });
  }

  /** Like run(), but throws with the full output unless aws exits 0. */
  async ok(args: string[], opts: { cwd?: string } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) {
      throw new Error(`aws ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    }
    return r.stdout;
  }

  /** run() + JSON.parse of stdout (for s3api calls). */
  async json<T = Record<string, unknown>>(args: string[]): Promise<T> {
    const out = await this.ok(args);
    return (out.trim() === '' ? {} : JSON.parse(out)) as T;
  }

  async dispose(): Promise<void> {
    await rm(this.configDir, { recursive: true, force: true });
  }
}
