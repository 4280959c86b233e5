import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCli } from '../helpers/aws-cli.js';
import { bodyBytes, decodeUrlKey, XML_SAFE_HOSTILE_KEYS } from '../helpers/data.js';
import { encodeKey, escapeUri, type RawResponse, signedRequest } from '../helpers/raw-request.js';
import {
  createBucket,
  expectS3Error,
  expectStatus,
  getBytes,
  listAllKeys,
  put,
  sdkError,
} from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

async function versioning(s3: S3Client, bucket: string, status: 'Enabled' | 'Suspended'): Promise<void> {
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }),
  );
}

async function versionedBucket(s3: S3Client, label: string): Promise<string> {
  const bucket = uniqueBucketName(label);
  await createBucket(s3, bucket);
  await versioning(s3, bucket, 'Enabled');
  return bucket;
}

interface Listed {
  key: string;
  versionId: string;
  isLatest: boolean;
  marker: boolean;
}

/** Every version and marker, in listing order, through all pages of `pageSize`. */
async function listVersions(
  s3: S3Client,
  bucket: string,
  pageSize = 1000,
  prefix?: string,
): Promise<Listed[]> {
  const out: Listed[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const r: ListObjectVersionsCommandOutput = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: pageSize,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
        EncodingType: 'url',
      }),
    );
    const items = [
      ...(r.Versions ?? []).map((v) => ({ v, marker: false })),
      ...(r.DeleteMarkers ?? []).map((v) => ({ v, marker: true })),
    ];
    // The SDK splits the interleaved document into two lists; restore the order.
    const ordered = items.sort((a, b) => {
      const ka = Buffer.from(decodeUrlKey(a.v.Key ?? ''));
      const kb = Buffer.from(decodeUrlKey(b.v.Key ?? ''));
      const c = Buffer.compare(ka, kb);
      if (c !== 0) return c;
      return (b.v.LastModified?.getTime() ?? 0) - (a.v.LastModified?.getTime() ?? 0);
    });
    for (const { v, marker } of ordered) {
      out.push({
        key: decodeUrlKey(v.Key ?? ''),
        versionId: v.VersionId ?? '',
        isLatest: v.IsLatest ?? false,
        marker,
      });
    }
    if (!r.IsTruncated) return out;
    keyMarker = r.NextKeyMarker === undefined ? undefined : decodeUrlKey(r.NextKeyMarker);
    versionIdMarker = r.NextVersionIdMarker;
  }
  throw new Error('listing did not end');
}

describe('bucket versioning state machine', () => {
  const server = useStrataServer();

  it('goes from unset to Enabled and Suspended and back, never to unset', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ver-state');
    await createBucket(s3, bucket);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined();
    for (const status of ['Suspended', 'Enabled', 'Enabled', 'Suspended', 'Enabled'] as const) {
      await versioning(s3, bucket, status);
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe(status);
    }
  });

  it('rejects a bad status, refuses MFA delete and answers NoSuchBucket', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ver-bad');
    await createBucket(s3, bucket);
    await expectS3Error(
      s3.send(
        new PutBucketVersioningCommand({
          Bucket: bucket,
          VersioningConfiguration: { Status: 'enabled' as 'Enabled' },
        }),
      ),
      'MalformedXML',
      400,
    );
    await expectS3Error(
      s3.send(
        new PutBucketVersioningCommand({
          Bucket: bucket,
          VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Enabled' },
        }),
      ),
      'NotImplemented',
      501,
    );
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Disabled' },
      }),
    );
    await expectS3Error(
      s3.send(new GetBucketVersioningCommand({ Bucket: uniqueBucketName('missing') })),
      'NoSuchBucket',
      404,
    );
  });
});

describe('versions and delete markers', () => {
  const server = useStrataServer();

  it('keeps every version of hostile keys readable by id, newest first in the listing', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'ver-keys');
    const written = new Map<string, string[]>();
    for (const key of XML_SAFE_HOSTILE_KEYS) {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await put(s3, bucket, key, `${key}#${i}`);
        expect(r.VersionId, key).toBeTruthy();
        expect(r.VersionId).not.toBe('null');
        ids.push(r.VersionId ?? '');
      }
      written.set(key, ids);
    }
    for (const [key, ids] of written) {
      for (const [i, id] of ids.entries()) {
        const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: id }));
        expect(r.VersionId).toBe(id);
        expect((await bodyBytes(r.Body)).toString()).toBe(`${key}#${i}`);
      }
      expect((await getBytes(s3, bucket, key)).toString()).toBe(`${key}#2`);
    }
    const listed = await listVersions(s3, bucket);
    const expected = [...written.entries()]
      .sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))
      .flatMap(([key, ids]) =>
        [...ids].reverse().map((versionId, i) => ({ key, versionId, isLatest: i === 0, marker: false })),
      );
    expect(listed).toEqual(expected);
  });

  it('a delete adds a marker: GET is 404 with the marker headers, the old version stays readable', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'ver-marker');
    const key = 'doc 😀.txt';
    const v1 = (await put(s3, bucket, key, 'one')).VersionId ?? '';
    const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    expect(del.DeleteMarker).toBe(true);
    const markerId = del.VersionId ?? '';
    expect(markerId).not.toBe('');
    expect(markerId).not.toBe(v1);

    const get = await sdkError(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    expect({ name: get.name, status: get.status }).toEqual({ name: 'NoSuchKey', status: 404 });
    const raw = await fetchRaw(server().endpoint, bucket, key);
    expect(raw.status).toBe(404);
    expect(raw.headers['x-amz-delete-marker']).toBe('true');
    expect(raw.headers['x-amz-version-id']).toBe(markerId);

    // GET/HEAD of the marker by id: 405 with the headers.
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: markerId })),
      'MethodNotAllowed',
      405,
    );
    await expectStatus(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: markerId })),
      405,
    );

    expect(await listAllKeys(s3, bucket)).toEqual([]);
    expect(await listVersions(s3, bucket)).toEqual([
      { key, versionId: markerId, isLatest: true, marker: true },
      { key, versionId: v1, isLatest: false, marker: false },
    ]);
    const old = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: v1 }));
    expect((await bodyBytes(old.Body)).toString()).toBe('one');

    // Removing the marker by id brings the object back.
    const undel = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: markerId }));
    expect(undel.DeleteMarker).toBe(true);
    expect(undel.VersionId).toBe(markerId);
    expect((await getBytes(s3, bucket, key)).toString()).toBe('one');
  });

  it('deleting a version by id removes exactly it; the previous one becomes latest', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'ver-delid');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await put(s3, bucket, 'k', `v${i}`)).VersionId ?? '');
    const r = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k', VersionId: ids[2] }));
    expect(r.VersionId).toBe(ids[2]);
    expect(r.DeleteMarker).toBeUndefined();
    expect((await getBytes(s3, bucket, 'k')).toString()).toBe('v1');
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: ids[2] })),
      'NoSuchVersion',
      404,
    );
    // Deleting a version that no longer exists succeeds (idempotent), as AWS.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k', VersionId: ids[2] }));
    expect((await listVersions(s3, bucket)).map((v) => v.versionId)).toEqual([ids[1], ids[0]]);
  });

  it('version ids in the wrong shape are InvalidArgument, unknown ones NoSuchVersion', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'ver-badid');
    await put(s3, bucket, 'k', 'x');
    const raw = await fetchRaw(server().endpoint, bucket, 'k', { versionId: 'a b' });
    expect(raw.status).toBe(400);
    expect(raw.text).toContain('Invalid version id specified');
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: 'NoSuchVersionHere123' })),
      'NoSuchVersion',
      404,
    );
  });

  it('null version: objects from before versioning keep id null, Suspended overwrites it', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ver-null');
    await createBucket(s3, bucket);
    const plain = await put(s3, bucket, 'k', 'plain');
    expect(plain.VersionId).toBeUndefined();
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }))).VersionId).toBeUndefined();

    await versioning(s3, bucket, 'Enabled');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(head.VersionId).toBe('null');
    const v2 = (await put(s3, bucket, 'k', 'versioned')).VersionId ?? '';
    const nullGet = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: 'null' }));
    expect((await bodyBytes(nullGet.Body)).toString()).toBe('plain');

    await versioning(s3, bucket, 'Suspended');
    const suspendedPut = await put(s3, bucket, 'k', 'suspended');
    expect(suspendedPut.VersionId).toBeUndefined();
    const listed = await listVersions(s3, bucket);
    expect(listed.map((v) => v.versionId)).toEqual(['null', v2]);
    const nullNow = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: 'null' }));
    expect((await bodyBytes(nullNow.Body)).toString()).toBe('suspended');

    // A delete while Suspended replaces the null version with a null marker.
    const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(del.DeleteMarker).toBe(true);
    expect(del.VersionId).toBe('null');
    expect(await listVersions(s3, bucket)).toEqual([
      { key: 'k', versionId: 'null', isLatest: true, marker: true },
      { key: 'k', versionId: v2, isLatest: false, marker: false },
    ]);
  });

  it('unversioned buckets send no version headers and delete for real', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('ver-none');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'k', 'x');
    const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(del.VersionId).toBeUndefined();
    expect(del.DeleteMarker).toBeUndefined();
    expect(await listVersions(s3, bucket)).toEqual([]);
    const raw = await fetchRaw(server().endpoint, bucket, 'k', {}, 'HEAD');
    expect(raw.status).toBe(404);
    expect(raw.headers['x-amz-delete-marker']).toBe('false');
  });

  it('CopyObject copies a named version and reports both version ids', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'ver-copy');
    const key = 'src 😀 +%.txt';
    const v1 = (await put(s3, bucket, key, 'first')).VersionId ?? '';
    await put(s3, bucket, key, 'second');
    const source = `${bucket}/${key.split('/').map(escapeUri).join('/')}?versionId=${v1}`;
    const r = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst', CopySource: source }));
    expect(r.CopySourceVersionId).toBe(v1);
    expect(r.VersionId).toBeTruthy();
    expect((await getBytes(s3, bucket, 'dst')).toString()).toBe('first');

    // Restoring an old version onto its own key writes a new version.
    const restore = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: source }));
    expect(restore.VersionId).not.toBe(v1);
    expect((await getBytes(s3, bucket, key)).toString()).toBe('first');
    expect((await listVersions(s3, bucket, 1000, 'src')).length).toBe(3);

    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))).VersionId ?? '';
    await expectS3Error(
      s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: 'dst2',
          CopySource: `${bucket}/${key.split('/').map(escapeUri).join('/')}?versionId=${marker}`,
        }),
      ),
      'InvalidRequest',
      400,
    );
    await expectS3Error(
      s3.send(
        new CopyObjectCommand({ Bucket: bucket, Key: 'dst2', CopySource: `${bucket}/${escapeUri(key)}` }),
      ),
      'NoSuchKey',
      404,
    );
  });

  it('DeleteObjects removes versions by id and reports created and removed markers', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'ver-multi');
    const a1 = (await put(s3, bucket, 'a', 'a1')).VersionId ?? '';
    await put(s3, bucket, 'b', 'b1');
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'a', VersionId: a1 }, { Key: 'b' }, { Key: 'never' }] },
      }),
    );
    expect(r.Errors ?? []).toEqual([]);
    const byKey = new Map((r.Deleted ?? []).map((d) => [d.Key, d]));
    expect(byKey.get('a')).toMatchObject({ VersionId: a1 });
    expect(byKey.get('a')?.DeleteMarker).toBeUndefined();
    expect(byKey.get('b')?.DeleteMarker).toBe(true);
    const bMarker = byKey.get('b')?.DeleteMarkerVersionId ?? '';
    expect(bMarker).not.toBe('');
    expect(byKey.get('never')?.DeleteMarker).toBe(true);

    const again = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'b', VersionId: bMarker }] } }),
    );
    expect(again.Deleted?.[0]).toMatchObject({
      Key: 'b',
      VersionId: bMarker,
      DeleteMarker: true,
      DeleteMarkerVersionId: bMarker,
    });
    expect((await getBytes(s3, bucket, 'b')).toString()).toBe('b1');
    expect((await listVersions(s3, bucket)).filter((v) => v.key === 'a')).toEqual([]);
  });
});

describe('ListObjectVersions', () => {
  const server = useStrataServer();

  it('pages through versions and markers with key and version-id markers, at every page size', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'lov-page');
    for (const key of ['a', 'b/1', 'b/2', 'c 😀']) {
      for (let i = 0; i < 3; i++) await put(s3, bucket, key, `${key}${i}`);
    }
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'b/1' }));
    const all = await listVersions(s3, bucket);
    expect(all.length).toBe(13);
    expect(all.filter((v) => v.isLatest).map((v) => v.key)).toEqual(['a', 'b/1', 'b/2', 'c 😀']);
    for (const size of [1, 2, 3, 5, 12]) {
      expect(await listVersions(s3, bucket, size), `page size ${size}`).toEqual(all);
    }
  });

  it('groups common prefixes with a delimiter, filters by prefix and url-encodes names', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'lov-delim');
    for (const key of ['dir/a', 'dir/b', 'top', 'x y+z']) await put(s3, bucket, key, key);
    const r = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Delimiter: '/', EncodingType: 'url' }),
    );
    expect((r.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['dir/']);
    expect((r.Versions ?? []).map((v) => v.Key)).toEqual(['top', 'x%20y%2Bz']);
    expect(r.Versions?.[0]?.Owner?.ID).toBeTruthy();
    expect(r.Versions?.[0]?.StorageClass).toBe('STANDARD');
    const p = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'dir/' }));
    expect((p.Versions ?? []).map((v) => v.Key)).toEqual(['dir/a', 'dir/b']);
    await expectS3Error(
      s3.send(new ListObjectVersionsCommand({ Bucket: bucket, VersionIdMarker: 'abc' })),
      'InvalidArgument',
      400,
    );
  });

  it('stays consistent while PUTs race with it: every listed version exists', async () => {
    const s3 = server().client();
    const bucket = await versionedBucket(s3, 'lov-race');
    const keys = Array.from({ length: 8 }, (_, i) => `race/${i} 😀`);
    for (const key of keys) await put(s3, bucket, key, 'seed');
    let stop = false;
    const writers = keys.map(async (key) => {
      let n = 0;
      while (!stop && n < 25) await put(s3, bucket, key, `w${n++}`);
    });
    const seen: Listed[][] = [];
    try {
      for (let i = 0; i < 10; i++) seen.push(await listVersions(s3, bucket, 7));
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    for (const listing of seen) {
      const latest = new Set<string>();
      for (const v of listing) {
        if (v.isLatest) {
          expect(latest.has(v.key), `one latest per key: ${v.key}`).toBe(false);
          latest.add(v.key);
        }
      }
      const ids = listing.map((v) => `${v.key}\u0000${v.versionId}`);
      expect(new Set(ids).size, 'no version listed twice').toBe(ids.length);
    }
    // Every version any listing showed exists (nothing is deleted in this test).
    const checked = new Set<string>();
    for (const v of seen.flat()) {
      const id = `${v.key}\u0000${v.versionId}`;
      if (checked.has(id)) continue;
      checked.add(id);
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: v.key, VersionId: v.versionId }));
    }
  });
});

describe('versioning with aws-cli', () => {
  const server = useStrataServer();
  let aws: AwsCli;
  beforeAll(async () => {
    aws = await AwsCli.create(() => server().endpoint);
  });
  afterAll(async () => {
    await aws?.dispose();
  });

  it('put-bucket-versioning, get-bucket-versioning and list-object-versions', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('cli-ver');
    await createBucket(s3, bucket);
    await aws.ok([
      's3api',
      'put-bucket-versioning',
      '--bucket',
      bucket,
      '--versioning-configuration',
      'Status=Enabled',
    ]);
    const state = JSON.parse(await aws.ok(['s3api', 'get-bucket-versioning', '--bucket', bucket])) as {
      Status?: string;
    };
    expect(state.Status).toBe('Enabled');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await put(s3, bucket, 'k 😀', `v${i}`)).VersionId);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k 😀' }));
    const out = JSON.parse(await aws.ok(['s3api', 'list-object-versions', '--bucket', bucket])) as {
      Versions?: Array<{ Key: string; VersionId: string; IsLatest: boolean }>;
      DeleteMarkers?: Array<{ Key: string; IsLatest: boolean }>;
    };
    expect((out.Versions ?? []).map((v) => v.VersionId)).toEqual([...ids].reverse());
    expect(out.Versions?.every((v) => v.Key === 'k 😀' && !v.IsLatest)).toBe(true);
    expect(out.DeleteMarkers).toEqual([expect.objectContaining({ Key: 'k 😀', IsLatest: true })]);
  });
});

/** A signed raw request, to see headers the SDK hides on errors. */
function fetchRaw(
  endpoint: string,
  bucket: string,
  key: string,
  query: Record<string, string> = {},
  method: 'GET' | 'HEAD' = 'GET',
): Promise<RawResponse> {
  return signedRequest(endpoint, { method, path: `/${bucket}/${encodeKey(key)}`, query });
}
