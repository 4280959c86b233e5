import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCli } from '../helpers/aws-cli.js';
import { bytesFor, generatedStream, md5Hex } from '../helpers/data.js';
import { createBucket, getBytes, listAllKeys, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;

async function fileDigest(path: string, alg = 'sha256'): Promise<string> {
  const h = createHash(alg);
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Relative path → sha256 for every file under dir. */
async function treeDigests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else out[relative(dir, p)] = await fileDigest(p);
    }
  }
  await walk(dir);
  return out;
}

describe('aws-cli', () => {
  const server = useStrataServer();
  let aws: AwsCli;
  let work = '';
  beforeAll(async () => {
    aws = await AwsCli.create(() => server().endpoint);
    work = await mkdtemp(join(tmpdir(), 'strata-awscli-work-'));
  });
  afterAll(async () => {
    await aws?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('aws s3 mb creates a bucket that aws s3 ls lists', async () => {
    const bucket = uniqueBucketName('cli-mb');
    const out = await aws.ok(['s3', 'mb', `s3://${bucket}`]);
    expect(out).toContain(`make_bucket: ${bucket}`);
    const ls = await aws.ok(['s3', 'ls']);
    expect(ls.split('\n').some((line) => line.trim().endsWith(` ${bucket}`))).toBe(true);
    // Re-creating a bucket you own succeeds in us-east-1, as on AWS.
    const again = await aws.ok(['s3', 'mb', `s3://${bucket}`]);
    expect(again).toContain(`make_bucket: ${bucket}`);
  });

  it('aws s3 cp uploads and downloads a small file with a hostile name and a 20 MiB file intact', async () => {
    const bucket = uniqueBucketName('cli-cp');
    await aws.ok(['s3', 'mb', `s3://${bucket}`]);
    const small = join(work, 'small 😀 +%.txt');
    const smallData = Buffer.from('hello from aws-cli\n');
    await writeFile(small, smallData);
    const big = join(work, 'big.bin');
    const gen = generatedStream(20 * MiB, 'aws-cli-big');
    await pipeline(gen.stream, createWriteStream(big));
    const bigSha = await gen.digest;

    await aws.ok(['s3', 'cp', small, `s3://${bucket}/dir/small 😀 +%.txt`]);
    await aws.ok(['s3', 'cp', big, `s3://${bucket}/big.bin`]);

    const ls = await aws.ok(['s3', 'ls', '--recursive', `s3://${bucket}`]);
    expect(ls).toMatch(new RegExp(`\\s${smallData.length} dir/small 😀 \\+%\\.txt`));
    expect(ls).toMatch(new RegExp(`\\s${20 * MiB} big\\.bin`));
    const lsDir = await aws.ok(['s3', 'ls', `s3://${bucket}/`]);
    expect(lsDir).toMatch(/PRE dir\//);

    // Single-part upload: the ETag is the file's MD5.
    const s3 = server().client();
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    expect(head.ETag).toBe(`"${await fileDigest(big, 'md5')}"`);
    expect((await getBytes(s3, bucket, 'dir/small 😀 +%.txt')).equals(smallData)).toBe(true);

    const bigBack = join(work, 'big.back');
    const smallBack = join(work, 'small.back');
    await aws.ok(['s3', 'cp', `s3://${bucket}/big.bin`, bigBack]);
    await aws.ok(['s3', 'cp', `s3://${bucket}/dir/small 😀 +%.txt`, smallBack]);
    expect(await fileDigest(bigBack)).toBe(bigSha);
    expect((await readFile(smallBack)).equals(smallData)).toBe(true);

    // Server-side copy through aws s3 cp.
    await aws.ok(['s3', 'cp', `s3://${bucket}/dir/small 😀 +%.txt`, `s3://${bucket}/copy/of small`]);
    expect((await getBytes(s3, bucket, 'copy/of small')).equals(smallData)).toBe(true);
  });

  it('aws s3 sync uploads a tree, downloads it identically, and a second sync transfers nothing', async () => {
    const bucket = uniqueBucketName('cli-sync');
    await aws.ok(['s3', 'mb', `s3://${bucket}`]);
    const src = join(work, 'sync-src');
    const files: Record<string, Buffer> = {
      'top.txt': Buffer.from('top'),
      'empty file': Buffer.alloc(0),
      'dir with space/nested 😀.bin': bytesFor(300_000, 'sync-1'),
      'dir with space/deeper/plus+percent%.dat': bytesFor(1500_000, 'sync-2'),
      'ünïcödé/中文.txt': Buffer.from('unicode'),
      'a/b/c/d/e.txt': Buffer.from('deep'),
    };
    for (const [rel, data] of Object.entries(files)) {
      await mkdir(dirname(join(src, rel)), { recursive: true });
      await writeFile(join(src, rel), data);
    }
    await aws.ok(['s3', 'sync', src, `s3://${bucket}/tree/`]);
    const keys = await listAllKeys(server().client(), bucket);
    expect(keys.sort()).toEqual(
      Object.keys(files)
        .map((k) => `tree/${k}`)
        .sort(),
    );

    const again = await aws.ok(['s3', 'sync', src, `s3://${bucket}/tree/`]);
    expect(again.trim()).toBe('');

    const dst = join(work, 'sync-dst');
    await aws.ok(['s3', 'sync', `s3://${bucket}/tree/`, dst]);
    expect(await treeDigests(dst)).toEqual(await treeDigests(src));

    // --delete removes what is gone locally.
    await rm(join(src, 'top.txt'));
    await aws.ok(['s3', 'sync', '--delete', src, `s3://${bucket}/tree/`]);
    expect(await listAllKeys(server().client(), bucket)).not.toContain('tree/top.txt');
  });

  it('aws s3 rm --recursive empties a prefix and aws s3 rb removes the bucket', async () => {
    const bucket = uniqueBucketName('cli-rm');
    const s3 = server().client();
    await createBucket(s3, bucket);
    const keys = Array.from({ length: 30 }, (_, i) => `gone/${i} 😀`);
    for (const key of keys) await put(s3, bucket, key, key);
    await put(s3, bucket, 'kept/x', 'x');
    const out = await aws.ok(['s3', 'rm', '--recursive', `s3://${bucket}/gone/`]);
    expect(out.split('\n').filter((l) => l.startsWith('delete:')).length).toBe(30);
    expect(await listAllKeys(s3, bucket)).toEqual(['kept/x']);
    const rbFull = await aws.run(['s3', 'rb', `s3://${bucket}`]);
    expect(rbFull.code).not.toBe(0);
    expect(rbFull.stderr).toContain('BucketNotEmpty');
    await aws.ok(['s3', 'rm', '--recursive', `s3://${bucket}`]);
    await aws.ok(['s3', 'rb', `s3://${bucket}`]);
    const ls = await aws.ok(['s3', 'ls']);
    expect(ls).not.toContain(bucket);
  });

  it('aws s3api put-object, head-object, get-object, list-objects-v2, copy-object and delete-objects', async () => {
    const bucket = uniqueBucketName('cli-api');
    await aws.ok(['s3api', 'create-bucket', '--bucket', bucket]);
    const file = join(work, 'api-body.bin');
    const data = bytesFor(2 * MiB + 17, 'api');
    await writeFile(file, data);
    const key = 'api/😀 key+%';

    const putOut = await aws.json<{ ETag: string }>([
      's3api',
      'put-object',
      '--bucket',
      bucket,
      '--key',
      key,
      '--body',
      file,
      '--content-type',
      'application/x-api',
      '--metadata',
      'color=green,shape=round',
    ]);
    expect(putOut.ETag).toBe(`"${md5Hex(data)}"`);

    const head = await aws.json<{
      ContentLength: number;
      ContentType: string;
      Metadata: Record<string, string>;
      ETag: string;
    }>(['s3api', 'head-object', '--bucket', bucket, '--key', key]);
    expect(head.ContentLength).toBe(data.length);
    expect(head.ContentType).toBe('application/x-api');
    expect(head.Metadata).toEqual({ color: 'green', shape: 'round' });
    expect(head.ETag).toBe(`"${md5Hex(data)}"`);

    const outFile = join(work, 'api-out.bin');
    const get = await aws.json<{ ContentLength: number }>([
      's3api',
      'get-object',
      '--bucket',
      bucket,
      '--key',
      key,
      outFile,
    ]);
    expect(get.ContentLength).toBe(data.length);
    expect((await readFile(outFile)).equals(data)).toBe(true);

    const ranged = join(work, 'api-range.bin');
    const r = await aws.json<{ ContentRange: string }>([
      's3api',
      'get-object',
      '--bucket',
      bucket,
      '--key',
      key,
      '--range',
      'bytes=100-199',
      ranged,
    ]);
    expect(r.ContentRange).toBe(`bytes 100-199/${data.length}`);
    expect((await readFile(ranged)).equals(data.subarray(100, 200))).toBe(true);

    await aws.ok([
      's3api',
      'copy-object',
      '--bucket',
      bucket,
      '--key',
      'api/copy',
      '--copy-source',
      // botocore URL-encodes the copy source itself.
      `${bucket}/${key}`,
      '--metadata-directive',
      'REPLACE',
      '--metadata',
      'copied=yes',
    ]);
    const copyHead = await aws.json<{ Metadata: Record<string, string>; ContentLength: number }>([
      's3api',
      'head-object',
      '--bucket',
      bucket,
      '--key',
      'api/copy',
    ]);
    expect(copyHead.Metadata).toEqual({ copied: 'yes' });
    expect(copyHead.ContentLength).toBe(data.length);

    const list = await aws.json<{ Contents: { Key: string; Size: number }[]; KeyCount: number }>([
      's3api',
      'list-objects-v2',
      '--bucket',
      bucket,
      '--prefix',
      'api/',
    ]);
    expect(list.Contents.map((c) => c.Key)).toEqual(['api/copy', key]);
    expect(list.Contents.map((c) => c.Size)).toEqual([data.length, data.length]);

    const del = await aws.json<{ Deleted: { Key: string }[] }>([
      's3api',
      'delete-objects',
      '--bucket',
      bucket,
      '--delete',
      JSON.stringify({ Objects: [{ Key: key }, { Key: 'api/copy' }] }),
    ]);
    expect(del.Deleted.map((d) => d.Key).sort()).toEqual(['api/copy', key].sort());
    const after = await aws.json<{ Contents?: unknown[] }>(['s3api', 'list-objects-v2', '--bucket', bucket]);
    expect(after.Contents ?? []).toEqual([]);

    const missing = await aws.run(['s3api', 'head-object', '--bucket', bucket, '--key', 'missing']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/404|Not Found/);
  });
});
