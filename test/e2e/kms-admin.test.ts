/**
 * The KMS admin CLI against a real server (issue 5): `strata admin kms key create|list|
 * status|rotate`, `strata admin kms rewrap` and `generate-secret`, with objects written
 * through the AWS SDK before and after a rotation, read back byte-exact after the re-wrap
 * and after a restart.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/build.js';
import { bodyBytes, bytesFor } from '../helpers/data.js';
import { createBucket } from '../helpers/s3.js';
import { customerKey, KMS_SECRET } from '../helpers/sse.js';
import {
  ROOT_ACCESS_KEY,
  ROOT_SECRET_KEY,
  type StrataServer,
  uniqueBucketName,
  useStrataServer,
} from '../helpers/strata-server.js';

const ALT = { accessKeyId: 'strata-test-alt', secretAccessKey: 'strata-test-alt-secret-0123' };

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/strata.js admin kms ARGS` against `server`, signed as `as` (root by default). */
function kmsCli(
  server: StrataServer | undefined,
  args: string[],
  as = { accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: ROOT_SECRET_KEY },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'strata.js'), 'admin', 'kms', ...args],
      {
        cwd: REPO_ROOT,
        timeout: 120_000,
        env: {
          ...process.env,
          STRATA_ENDPOINT: server?.endpoint ?? '',
          STRATA_ROOT_USER: as.accessKeyId,
          STRATA_ROOT_PASSWORD: as.secretAccessKey,
          STRATA_REGION: server?.region ?? 'us-east-1',
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs a command that must succeed; returns its stdout. */
async function ok(server: StrataServer, args: string[]): Promise<string> {
  const r = await kmsCli(server, args);
  expect(r.code, `strata admin kms ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The counts of a `strata admin kms rewrap` output. */
function rewrapCounts(stdout: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of stdout.matchAll(/^ {2}([a-zA-Z -]+?): +(\d+)$/gm)) {
    if (m[1] !== undefined && m[2] !== undefined) counts[m[1]] = Number(m[2]);
  }
  return counts;
}

async function readBack(s3: S3Client, bucket: string, key: string, versionId?: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return bodyBytes(res.Body);
}

// A key with a space, non-ASCII, an emoji and a literal %2F.
const HOSTILE_KEY = 'tenant a/ü 😀 %2F.bin';

describe('strata admin kms', () => {
  const server = useStrataServer({
    env: {
      STRATA_KMS_SECRET_KEY: KMS_SECRET,
      STRATA_SSEC_ALLOW_HTTP: '1',
      STRATA_EXTRA_USERS: `${ALT.accessKeyId}:${ALT.secretAccessKey}`,
    },
  });

  it('creates, lists, rotates and re-wraps: objects stay byte-exact through rotation, re-wrap and restart', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('kms-admin');
    await createBucket(s3, bucket);
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );

    expect(await ok(server(), ['key', 'create', 'tenant-a'])).toMatch(
      /^Created KMS key tenant-a \(version 1\)/,
    );
    const list = await ok(server(), ['key', 'list']);
    expect(list).toMatch(/^ {2}strata-default +1 +1 +\S+ +\(default: SSE-S3\)$/m);
    expect(list).toMatch(/^ {2}tenant-a +1 +1 +\d{4}-\d\d-\d\dT/m);
    const status = await ok(server(), ['key', 'status', 'tenant-a']);
    expect(status).toMatch(/latest version: +1/);
    expect(status).toMatch(/round trip: +ok/);

    const kms = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'tenant-a' } as const;
    const bodies = {
      v1: bytesFor(200 * 1024, 'kms-v1'),
      v2: bytesFor(70 * 1024, 'kms-v2'),
      hostile: bytesFor(3, 'kms-hostile'),
      s3: bytesFor(100 * 1024, 'kms-s3'),
      ssec: bytesFor(1000, 'kms-ssec'),
      after: bytesFor(5000, 'kms-after'),
      mp: bytesFor(300 * 1024, 'kms-mp'),
    };
    const ssec = customerKey('kms-admin').headers;
    // Two versions of one key and a hostile key under tenant-a, one SSE-S3 and one SSE-C object.
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'doc', Body: bodies.v1, ...kms }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'doc', Body: bodies.v2, ...kms }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: HOSTILE_KEY, Body: bodies.hostile, ...kms }));
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 's3', Body: bodies.s3, ServerSideEncryption: 'AES256' }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'ssec', Body: bodies.ssec, ...ssec }));
    // An upload opened before the rotation, completed after the re-wrap.
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp', ...kms }));

    const rotated = await ok(server(), ['key', 'rotate', 'tenant-a']);
    expect(rotated).toContain('Rotated KMS key tenant-a');
    expect(rotated).toContain('new objects use version 2. Version 1 stays readable.');
    expect(await ok(server(), ['key', 'status', 'tenant-a'])).toMatch(
      /latest version: +2[\s\S]*version 1: +created/,
    );
    expect(await ok(server(), ['key', 'list'])).toMatch(/^ {2}tenant-a +2 +2 /m);

    // Old objects still open (with the old key version); a new one uses the new version.
    expect((await readBack(s3, bucket, 'doc', v1.VersionId)).equals(bodies.v1)).toBe(true);
    expect((await readBack(s3, bucket, HOSTILE_KEY)).equals(bodies.hostile)).toBe(true);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'after', Body: bodies.after, ...kms }));

    const first = await ok(server(), ['rewrap', '--bucket', bucket]);
    expect(first).toContain(`Re-wrap of bucket ${bucket}`);
    expect(rewrapCounts(first)).toEqual({
      'buckets scanned': 1,
      'versions scanned': 6,
      rewrapped: 3,
      unchanged: 2,
      'not encrypted': 0,
      'skipped SSE-C': 1,
      'skipped changed': 0,
      failed: 0,
    });
    expect(first).toContain('1 open multipart upload(s) use an older key version');
    expect(first).toContain('Re-wrap complete.');
    const second = await ok(server(), ['rewrap', '--bucket', bucket]);
    expect(rewrapCounts(second)).toMatchObject({ rewrapped: 0, unchanged: 5, failed: 0 });

    const part = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: 'mp',
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: bodies.mp,
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'mp',
        UploadId: upload.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    // Every bucket: the completed upload is the one version left on the old key version.
    const all = await ok(server(), ['rewrap']);
    expect(all).toContain('Re-wrap of all buckets');
    expect(rewrapCounts(all)).toMatchObject({ rewrapped: 1, failed: 0 });
    expect(all).not.toContain('open multipart upload');

    const expectAll = async (): Promise<void> => {
      const client = server().client();
      expect((await readBack(client, bucket, 'doc', v1.VersionId)).equals(bodies.v1)).toBe(true);
      expect((await readBack(client, bucket, 'doc', v2.VersionId)).equals(bodies.v2)).toBe(true);
      expect((await readBack(client, bucket, HOSTILE_KEY)).equals(bodies.hostile)).toBe(true);
      expect((await readBack(client, bucket, 's3')).equals(bodies.s3)).toBe(true);
      expect((await readBack(client, bucket, 'after')).equals(bodies.after)).toBe(true);
      expect((await readBack(client, bucket, 'mp')).equals(bodies.mp)).toBe(true);
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec', ...ssec }));
      expect((await bodyBytes(got.Body)).equals(bodies.ssec)).toBe(true);
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: 'doc', VersionId: v1.VersionId }),
      );
      expect([head.ServerSideEncryption, head.SSEKMSKeyId, head.ContentLength]).toEqual([
        'aws:kms',
        'tenant-a',
        bodies.v1.length,
      ]);
    };
    await expectAll();
    await server().restart();
    await expectAll();
    expect(await ok(server(), ['key', 'list'])).toMatch(/^ {2}tenant-a +2 +2 /m);
    expect(rewrapCounts(await ok(server(), ['rewrap']))).toMatchObject({ rewrapped: 0, failed: 0 });
  }, 180_000);

  it('refuses to create a key that exists and reports a missing or invalid key (exit 1, server error on stderr)', async () => {
    await ok(server(), ['key', 'create', 'tenant-dup']);
    // Independent calls: run at once (each is a node process).
    const [dup, missing, rotateMissing, invalid, noBucket, systemBucket] = await Promise.all([
      kmsCli(server(), ['key', 'create', 'tenant-dup']),
      kmsCli(server(), ['key', 'status', 'no-such-key']),
      kmsCli(server(), ['key', 'rotate', 'no-such-key']),
      kmsCli(server(), ['key', 'create', 'bad/name']),
      kmsCli(server(), ['rewrap', '--bucket', 'no-such-bucket-kms']),
      kmsCli(server(), ['rewrap', '--bucket', 'strata_system']),
    ]);
    for (const r of [dup, missing, rotateMissing, invalid, noBucket, systemBucket])
      expect(r.code, r.stdout).toBe(1);
    expect(dup.stderr).toMatch(/answered 409: KeyExists \(KMS key "tenant-dup" exists\)/);
    expect(missing.stderr).toMatch(/answered 404: KeyNotFound \(KMS key "no-such-key" does not exist\)/);
    expect(rotateMissing.stderr).toMatch(/answered 404: KeyNotFound/);
    expect(invalid.stderr).toMatch(/answered 400: InvalidKeyName/);
    expect(noBucket.stderr).toMatch(/answered 404: NoSuchBucket/);
    expect(systemBucket.stderr).toMatch(/answered 404: NoSuchBucket/);
  }, 120_000);

  it('refuses a signer who is not root, for reads and writes alike', async () => {
    const refused = await Promise.all(
      [['key', 'list'], ['key', 'create', 'tenant-alt'], ['rewrap']].map((args) =>
        kmsCli(server(), args, ALT),
      ),
    );
    for (const r of refused) {
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toMatch(/answered 403: AccessDenied/);
    }
    expect(await ok(server(), ['key', 'list'])).not.toContain('tenant-alt');
  }, 120_000);

  it('generate-secret prints a NAME:base64 root secret locally (no server needed)', async () => {
    const r = await kmsCli(undefined, ['generate-secret', 'ops-root']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ops-root:[A-Za-z0-9+/]{43}=\n$/);
    const bad = await kmsCli(undefined, ['generate-secret', 'bad name']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid root secret name');
  });
});

describe('strata admin kms without a KMS root secret', () => {
  const server = useStrataServer();

  it('answers KmsNotConfigured', async () => {
    const answers = await Promise.all(
      [['key', 'list'], ['key', 'create', 'tenant-a'], ['rewrap']].map((args) => kmsCli(server(), args)),
    );
    for (const r of answers) {
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toMatch(
        /answered 501: KmsNotConfigured \(KMS not configured: .*STRATA_KMS_SECRET_KEY/,
      );
    }
  });
});
