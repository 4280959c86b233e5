import { ListObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { compareUtf8, decodeUrlKey, HOSTILE_KEYS, mapLimit, XML_SAFE_HOSTILE_KEYS } from '../helpers/data.js';
import { createBucket, expectS3Error, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

/** Keys whose UTF-8 order differs from JavaScript's UTF-16 order (U+FF61 vs U+1F600). */
const ORDER_KEYS = [
  'a',
  'A',
  'Z',
  'z',
  '~',
  'é',
  '\uFF61halfwidth',
  '😀emoji',
  '\uFFFDreplacement',
  'a/b',
  'a-b',
  'a.b',
  'a b',
];

async function putAll(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  await mapLimit(keys, 16, async (key) => {
    await put(s3, bucket, key, `v:${key}`);
  });
}

async function listV2All(s3: S3Client, bucket: string, maxKeys?: number) {
  const keys: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        ContinuationToken: token,
        MaxKeys: maxKeys,
        EncodingType: 'url',
      }),
    );
    pages++;
    const pageKeys = (r.Contents ?? []).map((o) => decodeUrlKey(o.Key ?? ''));
    expect(r.KeyCount).toBe(pageKeys.length);
    if (maxKeys !== undefined) expect(pageKeys.length).toBeLessThanOrEqual(maxKeys);
    keys.push(...pageKeys);
    if (r.IsTruncated) expect(r.NextContinuationToken).toBeTruthy();
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return { keys, pages };
}

describe('listing', () => {
  const server = useStrataServer();

  it('listObjectsV2 returns every hostile key, url-encoded on request, in UTF-8 binary order', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('order');
    await createBucket(s3, bucket);
    const all = [...HOSTILE_KEYS, ...ORDER_KEYS];
    await putAll(s3, bucket, all);
    const expected = [...all].sort(compareUtf8);
    // Guard: the set really distinguishes UTF-8 from UTF-16 order.
    expect(expected).not.toEqual([...all].sort());

    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, EncodingType: 'url' }));
    expect(r.EncodingType).toBe('url');
    const raw = (r.Contents ?? []).map((o) => o.Key ?? '');
    for (const k of raw) expect(k).not.toMatch(/[\u0000-\u001f\u007f ]/);
    expect(raw.map(decodeUrlKey)).toEqual(expected);
    expect(r.KeyCount).toBe(all.length);
    expect(r.IsTruncated).toBe(false);
    for (const o of r.Contents ?? []) {
      expect(o.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(o.LastModified).toBeInstanceOf(Date);
      expect(o.StorageClass).toBe('STANDARD');
      expect(o.Size).toBe(Buffer.byteLength(`v:${decodeUrlKey(o.Key ?? '')}`));
    }

    const v1 = await s3.send(new ListObjectsCommand({ Bucket: bucket, EncodingType: 'url' }));
    expect((v1.Contents ?? []).map((o) => decodeUrlKey(o.Key ?? ''))).toEqual(expected);
  });

  it('without encoding-type, XML-safe hostile keys come back verbatim', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('verbatim');
    await createBucket(s3, bucket);
    await putAll(s3, bucket, XML_SAFE_HOSTILE_KEYS);
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((r.Contents ?? []).map((o) => o.Key)).toEqual([...XML_SAFE_HOSTILE_KEYS].sort(compareUtf8));
  });

  it('prefix and delimiter group keys into common prefixes (V2 and V1)', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('delim');
    await createBucket(s3, bucket);
    await putAll(s3, bucket, [
      'photos/2024/a.jpg',
      'photos/2024/b.jpg',
      'photos/2025/c 😀.jpg',
      'photos/top.jpg',
      'docs/x',
      'root.txt',
      '//lead/a',
      '/slash',
    ]);
    const top = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    expect((top.Contents ?? []).map((o) => o.Key)).toEqual(['root.txt']);
    expect((top.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['/', 'docs/', 'photos/']);
    expect(top.KeyCount).toBe(4);
    expect(top.Delimiter).toBe('/');

    const photos = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', Prefix: 'photos/' }),
    );
    expect((photos.Contents ?? []).map((o) => o.Key)).toEqual(['photos/top.jpg']);
    expect((photos.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['photos/2024/', 'photos/2025/']);
    expect(photos.Prefix).toBe('photos/');

    const slash = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', Prefix: '/' }));
    expect((slash.Contents ?? []).map((o) => o.Key)).toEqual(['/slash']);
    expect((slash.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['//']);

    const noDelim = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'photos/2' }));
    expect((noDelim.Contents ?? []).map((o) => o.Key)).toEqual([
      'photos/2024/a.jpg',
      'photos/2024/b.jpg',
      'photos/2025/c 😀.jpg',
    ]);

    const v1 = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: '/', Prefix: 'photos/' }));
    expect((v1.Contents ?? []).map((o) => o.Key)).toEqual(['photos/top.jpg']);
    expect((v1.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['photos/2024/', 'photos/2025/']);

    // A multi-character delimiter works too.
    const multi = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/20' }));
    expect((multi.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['photos/20']);
  });

  it('common prefixes count toward max-keys and paging with a delimiter visits each once', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('delimpage');
    await createBucket(s3, bucket);
    const keys: string[] = [];
    for (let d = 0; d < 5; d++) for (let f = 0; f < 3; f++) keys.push(`dir${d}/f${f}`);
    keys.push('file-a', 'file-b', 'file-c');
    await putAll(s3, bucket, keys);
    const seenPrefixes: string[] = [];
    const seenKeys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }),
      );
      pages++;
      const n = (r.Contents?.length ?? 0) + (r.CommonPrefixes?.length ?? 0);
      expect(n).toBeLessThanOrEqual(2);
      expect(r.KeyCount).toBe(n);
      seenPrefixes.push(...(r.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''));
      seenKeys.push(...(r.Contents ?? []).map((o) => o.Key ?? ''));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token && pages < 50);
    expect(seenPrefixes).toEqual(['dir0/', 'dir1/', 'dir2/', 'dir3/', 'dir4/']);
    expect(seenKeys).toEqual(['file-a', 'file-b', 'file-c']);
    expect(pages).toBe(4);

    // V1 with a delimiter reports NextMarker when truncated.
    const markerKeys: string[] = [];
    let marker: string | undefined;
    let v1Pages = 0;
    do {
      const r = await s3.send(
        new ListObjectsCommand({ Bucket: bucket, Delimiter: '/', MaxKeys: 3, Marker: marker }),
      );
      v1Pages++;
      markerKeys.push(
        ...(r.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
        ...(r.Contents ?? []).map((o) => o.Key ?? ''),
      );
      if (r.IsTruncated) expect(r.NextMarker).toBeTruthy();
      marker = r.IsTruncated ? r.NextMarker : undefined;
    } while (marker && v1Pages < 50);
    expect([...markerKeys].sort(compareUtf8)).toEqual([
      'dir0/',
      'dir1/',
      'dir2/',
      'dir3/',
      'dir4/',
      'file-a',
      'file-b',
      'file-c',
    ]);
    expect(v1Pages).toBe(3);
  });

  it('pages through 1,234 keys with V2 continuation tokens, V2 start-after and V1 markers', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('paging');
    await createBucket(s3, bucket);
    const keys = Array.from(
      { length: 1234 },
      (_, i) => `page/${String(i).padStart(5, '0')}${i % 7 === 0 ? ' 😀' : ''}`,
    );
    await putAll(s3, bucket, keys);
    const expected = [...keys].sort(compareUtf8);

    // Default page size is 1000.
    const first = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(first.Contents?.length).toBe(1000);
    expect(first.MaxKeys).toBe(1000);
    expect(first.IsTruncated).toBe(true);
    const rest = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: first.NextContinuationToken }),
    );
    expect(rest.Contents?.length).toBe(234);
    expect(rest.IsTruncated).toBe(false);
    expect(rest.ContinuationToken).toBe(first.NextContinuationToken);

    // Pages of 100 cover every key once, in order.
    const paged = await listV2All(s3, bucket, 100);
    expect(paged.keys).toEqual(expected);
    expect(paged.pages).toBe(13);

    // max-keys above 1000 is capped at 1000.
    const capped = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 5000 }));
    expect(capped.Contents?.length).toBe(1000);

    // start-after is exclusive and need not be an existing key.
    const after = expected[599] ?? '';
    const sa = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: after, MaxKeys: 5 }));
    expect(sa.StartAfter).toBe(after);
    expect((sa.Contents ?? []).map((o) => o.Key)).toEqual(expected.slice(600, 605));
    const saGap = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'page/00600a', MaxKeys: 1 }),
    );
    expect((saGap.Contents ?? []).map((o) => o.Key)).toEqual([expected[601]]);

    // V1 without a delimiter: the last key is the next marker.
    const v1Keys: string[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 20; i++) {
      const r = await s3.send(new ListObjectsCommand({ Bucket: bucket, Marker: marker, MaxKeys: 250 }));
      const page = (r.Contents ?? []).map((o) => o.Key ?? '');
      v1Keys.push(...page);
      if (!r.IsTruncated) break;
      marker = r.NextMarker ?? page[page.length - 1];
    }
    expect(v1Keys).toEqual(expected);
  });

  it('fetch-owner adds owners to V2 entries; V1 always has them', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('owner');
    await createBucket(s3, bucket);
    await put(s3, bucket, 'o', 'x');
    const without = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(without.Contents?.[0]?.Owner).toBeUndefined();
    const withOwner = await s3.send(new ListObjectsV2Command({ Bucket: bucket, FetchOwner: true }));
    expect(withOwner.Contents?.[0]?.Owner?.ID).toBeTruthy();
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: bucket }));
    expect(v1.Contents?.[0]?.Owner?.ID).toBeTruthy();
  });

  it('encoding-type=url also encodes prefix, delimiter results and start-after', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('encall');
    await createBucket(s3, bucket);
    await putAll(s3, bucket, ['dir with space/a+b', 'dir with space/sub dir/c', 'other%/d']);
    const r = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: 'dir with space/',
        Delimiter: '/',
        EncodingType: 'url',
      }),
    );
    expect(decodeUrlKey(r.Prefix ?? '')).toBe('dir with space/');
    expect((r.Contents ?? []).map((o) => decodeUrlKey(o.Key ?? ''))).toEqual(['dir with space/a+b']);
    expect((r.Contents ?? []).map((o) => o.Key)).not.toContain('dir with space/a+b');
    expect((r.CommonPrefixes ?? []).map((p) => decodeUrlKey(p.Prefix ?? ''))).toEqual([
      'dir with space/sub dir/',
    ]);
  });

  it('an empty bucket lists nothing and a missing bucket fails with NoSuchBucket', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('empty');
    await createBucket(s3, bucket);
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(r.Contents ?? []).toEqual([]);
    expect(r.KeyCount).toBe(0);
    expect(r.IsTruncated).toBe(false);
    expect(r.Name).toBe(bucket);
    await expectS3Error(
      s3.send(new ListObjectsV2Command({ Bucket: uniqueBucketName('none') })),
      'NoSuchBucket',
      404,
    );
  });
});
