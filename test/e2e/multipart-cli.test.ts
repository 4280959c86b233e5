import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCli } from '../helpers/aws-cli.js';
import { generatedStream } from '../helpers/data.js';
import { createBucket } from '../helpers/s3.js';
import { REGION, uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;

async function fileDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) h.update(chunk as Buffer);
  return h.digest('hex');
}

describe('aws-cli multipart', () => {
  const server = useStrataServer();
  let aws: AwsCli;
  let work = '';
  beforeAll(async () => {
    aws = await AwsCli.create(() => server().endpoint);
    // The harness raises the multipart threshold to 200 MB; put aws-cli's defaults
    // (8 MB threshold and chunk size) back so `aws s3 cp` uses multipart here.
    await writeFile(
      join(aws.configDir, 'config'),
      ['[default]', `region = ${REGION}`, 'output = json', 's3 =', '  addressing_style = path', ''].join(
        '\n',
      ),
    );
    work = await mkdtemp(join(tmpdir(), 'strata-mpcli-'));
  });
  afterAll(async () => {
    await aws?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('aws s3 cp of a 40 MiB file uploads in parts and downloads identical', async () => {
    const bucket = uniqueBucketName('mpcli-cp');
    await createBucket(server().client(), bucket);
    const src = join(work, 'forty.bin');
    await pipeline(generatedStream(40 * MiB, 'mpcli-40').stream, createWriteStream(src));
    await aws.ok(['s3', 'cp', src, `s3://${bucket}/dir/forty 😀.bin`]);
    const head = await server()
      .client()
      .send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/forty 😀.bin' }));
    expect(head.ContentLength).toBe(40 * MiB);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-5"$/); // 8 MiB parts
    const back = join(work, 'back.bin');
    await aws.ok(['s3', 'cp', `s3://${bucket}/dir/forty 😀.bin`, back]);
    expect(await fileDigest(back)).toBe(await fileDigest(src));
  }, 180_000);

  it('aws s3api lists, then aborts, multipart uploads', async () => {
    const bucket = uniqueBucketName('mpcli-list');
    await createBucket(server().client(), bucket);
    const created = await aws.json<{ UploadId: string }>([
      's3api',
      'create-multipart-upload',
      '--bucket',
      bucket,
      '--key',
      'pending/key',
    ]);
    const listed = await aws.json<{ Uploads?: Array<{ Key: string; UploadId: string }> }>([
      's3api',
      'list-multipart-uploads',
      '--bucket',
      bucket,
    ]);
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['pending/key', created.UploadId]]);
    await aws.ok([
      's3api',
      'abort-multipart-upload',
      '--bucket',
      bucket,
      '--key',
      'pending/key',
      '--upload-id',
      created.UploadId,
    ]);
    const after = await aws.json<{ Uploads?: unknown[] }>([
      's3api',
      'list-multipart-uploads',
      '--bucket',
      bucket,
    ]);
    expect(after.Uploads ?? []).toEqual([]);
  });
});
