import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { bodyBytes, bytesFor, generatedStream, md5Hex, sha256Hex, sha256OfBody } from '../helpers/data.js';
import { encodeKey, parseXmlError, signedRequest, xmlValues } from '../helpers/raw-request.js';
import { createBucket, expectS3Error, expectStatus, getBytes, listAllKeys, put } from '../helpers/s3.js';
import { uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const MiB = 1024 * 1024;

/** What S3 computes for a multipart ETag: MD5 of the binary part MD5s, `-N`. */
function expectedEtag(parts: readonly Buffer[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(createHash('md5').update(p).digest());
  return `"${h.digest('hex')}-${parts.length}"`;
}

async function startUpload(s3: S3Client, bucket: string, key: string, extra = {}): Promise<string> {
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }));
  expect(r.UploadId).toBeTruthy();
  return r.UploadId as string;
}

async function uploadParts(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  parts: readonly Buffer[],
  extra = {},
): Promise<CompletedPart[]> {
  const out: CompletedPart[] = [];
  for (const [i, body] of parts.entries()) {
    const r = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: i + 1,
        Body: body,
        ...extra,
      }),
    );
    expect(r.ETag).toBe(`"${md5Hex(body)}"`);
    out.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
  }
  return out;
}

describe('multipart uploads', () => {
  const server = useStrataServer();

  it('lib-storage uploads 300 MiB from a stream with 4 parts in flight; it reads back identical', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-big');
    await createBucket(s3, bucket);
    const key = 'big/😀 %2F 300MiB';
    const size = 300 * MiB;
    const gen = generatedStream(size, 'mp-300');
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: gen.stream },
      queueSize: 4,
      partSize: 8 * MiB,
    });
    const done = await upload.done();
    const partCount = Math.ceil(size / (8 * MiB));
    expect(done.ETag).toMatch(new RegExp(`^"[0-9a-f]{32}-${partCount}"$`));
    const want = await gen.digest;

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    expect(head.ContentLength).toBe(size);
    expect(head.ETag).toBe(done.ETag);
    // lib-storage creates the upload with CRC32 (COMPOSITE by default) and sends CRC32 per part.
    expect(head.ChecksumCRC32).toMatch(new RegExp(`^[A-Za-z0-9+/]{6}==-${partCount}$`));
    expect(head.ChecksumType).toBe('COMPOSITE');

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await sha256OfBody(got.Body)).toEqual({ sha256: want, sizeBytes: size });
  }, 300_000);

  it('completes three parts into one object with the multipart ETag; partNumber reads return each part', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-basic');
    await createBucket(s3, bucket);
    const key = 'dir/ключ 😀 %2F+?#';
    const parts = [bytesFor(5 * MiB, 'p1'), bytesFor(5 * MiB + 3, 'p2'), bytesFor(1, 'p3')];
    const uploadId = await startUpload(s3, bucket, key, {
      ContentType: 'text/x-test',
      Metadata: { color: 'blue' },
    });
    const completed = await uploadParts(s3, bucket, key, uploadId, parts);
    // Not visible before completion.
    expect(await listAllKeys(s3, bucket)).toEqual([]);
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), 404);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
    );
    expect(done.ETag).toBe(expectedEtag(parts));
    expect(done.Bucket).toBe(bucket);
    expect(done.Key).toBe(key);
    expect(done.Location).toContain(`/${bucket}/`);

    const whole = Buffer.concat(parts);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(got.ETag).toBe(done.ETag);
    expect(got.ContentType).toBe('text/x-test');
    expect(got.Metadata).toEqual({ color: 'blue' });
    expect(sha256Hex(await bodyBytes(got.Body))).toBe(sha256Hex(whole));
    expect(await listAllKeys(s3, bucket)).toEqual([key]);

    let offset = 0;
    for (const [i, part] of parts.entries()) {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: i + 1 }));
      expect(r.$metadata.httpStatusCode).toBe(206);
      expect(r.PartsCount).toBe(3);
      expect(r.ETag).toBe(done.ETag);
      expect(r.ContentLength).toBe(part.length);
      expect(r.ContentRange).toBe(`bytes ${offset}-${offset + part.length - 1}/${whole.length}`);
      expect((await bodyBytes(r.Body)).equals(part)).toBe(true);
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: i + 1 }));
      expect(h.PartsCount).toBe(3);
      expect(h.ContentLength).toBe(part.length);
      offset += part.length;
    }
    // AWS is reported to answer 416 InvalidPartNumber; ceph/s3-tests expects 400 InvalidPart.
    await expectS3Error(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 4 })),
      'InvalidPart',
      400,
    );
    await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: 4 })), 400);
    const bad = await signedRequest(server().endpoint, {
      method: 'GET',
      path: `/${bucket}/${encodeKey(key)}`,
      query: { partNumber: '0' },
    });
    expect([bad.status, parseXmlError(bad.text).code]).toEqual([400, 'InvalidArgument']);
    // The upload is gone once completed.
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(listed.Uploads ?? []).toEqual([]);
  });

  it('refuses parts under 5 MiB but the last with EntityTooSmall and keeps the upload open', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-small');
    await createBucket(s3, bucket);
    const parts = [bytesFor(1024, 'a'), bytesFor(1024, 'b')];
    const uploadId = await startUpload(s3, bucket, 'k');
    const completed = await uploadParts(s3, bucket, 'k', uploadId, parts);
    await expectS3Error(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
        }),
      ),
      'EntityTooSmall',
      400,
    );
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId }));
    expect(listed.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    // A single small part is a valid (last) part.
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'k',
        UploadId: uploadId,
        MultipartUpload: { Parts: completed.slice(0, 1) },
      }),
    );
    expect(done.ETag).toBe(expectedEtag(parts.slice(0, 1)));
    expect(
      (await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))).Body)).equals(
        parts[0] as Buffer,
      ),
    ).toBe(true);
  });

  it('answers InvalidPart, InvalidPartOrder, MalformedXML and NoSuchUpload like S3', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-invalid');
    await createBucket(s3, bucket);
    const key = 'k';
    const uploadId = await startUpload(s3, bucket, key);
    const completed = await uploadParts(s3, bucket, key, uploadId, [
      bytesFor(5 * MiB, 'x'),
      bytesFor(10, 'y'),
    ]);
    const complete = (Parts: CompletedPart[]) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts },
        }),
      );
    await expectS3Error(
      complete([{ PartNumber: 1, ETag: '"ffffffffffffffffffffffffffffffff"' }]),
      'InvalidPart',
      400,
    );
    await expectS3Error(
      complete([...completed, { PartNumber: 3, ETag: completed[0]?.ETag }]),
      'InvalidPart',
      400,
    );
    await expectS3Error(complete([...completed].reverse()), 'InvalidPartOrder', 400);

    const path = `/${bucket}/${encodeKey(key)}`;
    const empty = await signedRequest(server().endpoint, {
      method: 'POST',
      path,
      query: { uploadId },
      body: '',
    });
    expect([empty.status, parseXmlError(empty.text).code]).toEqual([400, 'MalformedXML']);
    const noParts = await signedRequest(server().endpoint, {
      method: 'POST',
      path,
      query: { uploadId },
      body: '<CompleteMultipartUpload></CompleteMultipartUpload>',
    });
    expect([noParts.status, parseXmlError(noParts.text).code]).toEqual([400, 'MalformedXML']);
    for (const partNumber of ['0', '10001', 'x']) {
      const r = await signedRequest(server().endpoint, {
        method: 'PUT',
        path,
        query: { uploadId, partNumber },
        body: 'abc',
      });
      expect([r.status, parseXmlError(r.text).code], partNumber).toEqual([400, 'InvalidArgument']);
    }
    await expectS3Error(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: 'nope',
          MultipartUpload: { Parts: completed },
        }),
      ),
      'NoSuchUpload',
      404,
    );
    await expectS3Error(
      s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: 'nope', PartNumber: 1, Body: 'x' }),
      ),
      'NoSuchUpload',
      404,
    );
    // The upload belongs to its key.
    await expectS3Error(
      s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'other', UploadId: uploadId })),
      'NoSuchUpload',
      404,
    );
    // Still completable after all those failures.
    const done = await complete(completed);
    expect(done.ETag).toMatch(/-2"$/);
  });

  it('a part number listed twice in a row counts once with its last ETag (a re-sent part)', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-resend');
    await createBucket(s3, bucket);
    const uploadId = await startUpload(s3, bucket, 'k');
    const [b] = await uploadParts(s3, bucket, 'k', uploadId, [Buffer.from('BBBBBBBB')]);
    const [a] = await uploadParts(s3, bucket, 'k', uploadId, [Buffer.from('AAAAAAAA')]);
    const complete = (Parts: CompletedPart[]) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts },
        }),
      );
    const strip = (p: CompletedPart | undefined) => ({ PartNumber: p?.PartNumber, ETag: p?.ETag });
    // The last entry is used: listing the overwritten upload last is InvalidPart.
    await expectS3Error(complete([strip(a), strip(b)]), 'InvalidPart', 400);
    const done = await complete([strip(b), strip(a)]);
    expect(done.ETag).toBe(expectedEtag([Buffer.from('AAAAAAAA')]));
    expect((await getBytes(s3, bucket, 'k')).toString()).toBe('AAAAAAAA');
  });

  it('abort removes the upload and its parts; a second abort is NoSuchUpload', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-abort');
    await createBucket(s3, bucket);
    const uploadId = await startUpload(s3, bucket, 'a/k');
    await uploadParts(s3, bucket, 'a/k', uploadId, [bytesFor(300_000, 'ab1'), bytesFor(2 * MiB, 'ab2')]);
    const abort = await s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'a/k', UploadId: uploadId }),
    );
    expect(abort.$metadata.httpStatusCode).toBe(204);
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(listed.Uploads ?? []).toEqual([]);
    expect(await listAllKeys(s3, bucket)).toEqual([]);
    await expectS3Error(
      s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'a/k', UploadId: uploadId })),
      'NoSuchUpload',
      404,
    );
    await expectS3Error(
      s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'a/k', UploadId: uploadId })),
      'NoSuchUpload',
      404,
    );
    await expectS3Error(
      s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: 'a/k', UploadId: uploadId, PartNumber: 3, Body: 'x' }),
      ),
      'NoSuchUpload',
      404,
    );
  });

  it('ListParts pages with max-parts and part-number-marker; a re-uploaded part replaces the old one', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-listparts');
    await createBucket(s3, bucket);
    const uploadId = await startUpload(s3, bucket, 'k');
    const bodies = [1, 2, 3, 4, 5].map((n) => bytesFor(1000 + n, `lp${n}`));
    await uploadParts(s3, bucket, 'k', uploadId, bodies);
    const replacement = bytesFor(777, 'lp3-again');
    await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: 'k',
        UploadId: uploadId,
        PartNumber: 3,
        Body: replacement,
      }),
    );

    const seen: number[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const r = await s3.send(
        new ListPartsCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MaxParts: 2,
          PartNumberMarker: marker,
        }),
      );
      pages++;
      expect(r.MaxParts).toBe(2);
      expect(r.StorageClass).toBe('STANDARD');
      expect(r.Initiator?.ID).toBeTruthy();
      expect(r.Owner?.ID).toBeTruthy();
      for (const p of r.Parts ?? []) {
        seen.push(p.PartNumber as number);
        const body = p.PartNumber === 3 ? replacement : (bodies[(p.PartNumber as number) - 1] as Buffer);
        expect(p.ETag).toBe(`"${md5Hex(body)}"`);
        expect(p.Size).toBe(body.length);
        expect(p.LastModified).toBeInstanceOf(Date);
      }
      if (!r.IsTruncated) break;
      expect(r.NextPartNumberMarker).toBe(String(seen[seen.length - 1]));
      marker = r.NextPartNumberMarker;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
  });

  it('ListMultipartUploads pages by key and upload id, groups by delimiter, filters by prefix, url-encodes', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-listuploads');
    await createBucket(s3, bucket);
    const keys = ['a/1', 'a/1', 'a/2', 'b/x 😀+', 'top'];
    const ids: Array<[string, string]> = [];
    for (const key of keys) ids.push([key, await startUpload(s3, bucket, key)]);

    const seen: Array<[string, string]> = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const r = await s3.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          MaxUploads: 2,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      expect(r.MaxUploads).toBe(2);
      for (const u of r.Uploads ?? []) {
        seen.push([u.Key as string, u.UploadId as string]);
        expect(u.Initiated).toBeInstanceOf(Date);
        expect(u.StorageClass).toBe('STANDARD');
      }
      if (!r.IsTruncated) break;
      keyMarker = r.NextKeyMarker;
      uploadIdMarker = r.NextUploadIdMarker;
    }
    expect(seen.map(([k]) => k)).toEqual(keys);
    expect(new Set(seen.map(([, id]) => id))).toEqual(new Set(ids.map(([, id]) => id)));

    const grouped = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Delimiter: '/' }));
    expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(grouped.Uploads?.map((u) => u.Key)).toEqual(['top']);

    const prefixed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'a/' }));
    expect(prefixed.Uploads?.map((u) => u.Key)).toEqual(['a/1', 'a/1', 'a/2']);

    const encoded = await signedRequest(server().endpoint, {
      method: 'GET',
      path: `/${bucket}`,
      query: { uploads: '', prefix: 'b/', 'encoding-type': 'url' },
    });
    expect(encoded.status).toBe(200);
    expect(xmlValues(encoded.text, 'Key')).toEqual(['b/x%20%F0%9F%98%80%2B']);
    expect(xmlValues(encoded.text, 'EncodingType')).toEqual(['url']);

    for (const [key, id] of ids)
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
  });

  it('two concurrent CompleteMultipartUpload calls both succeed with the same ETag (a retry answers the stored result)', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-race');
    await createBucket(s3, bucket);
    const parts = [bytesFor(5 * MiB, 'r1'), bytesFor(123_456, 'r2')];
    const uploadId = await startUpload(s3, bucket, 'k');
    const completed = await uploadParts(s3, bucket, 'k', uploadId, parts);
    const complete = () =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
        }),
      );
    const [a, b] = await Promise.all([complete(), complete()]);
    expect(a.ETag).toBe(expectedEtag(parts));
    expect(b.ETag).toBe(a.ETag);
    // And a later retry too.
    expect((await complete()).ETag).toBe(a.ETag);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(sha256Hex(await bodyBytes(got.Body))).toBe(sha256Hex(Buffer.concat(parts)));
    // Completing again with other parts is NoSuchUpload: the upload is gone.
    await expectS3Error(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: completed.slice(0, 1) },
        }),
      ),
      'NoSuchUpload',
      404,
    );
  });

  it('a presigned UploadPart URL uploads a part with plain fetch', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-presign');
    await createBucket(s3, bucket);
    const key = 'presigned/😀 %2F key';
    const uploadId = await startUpload(s3, bucket, key);
    const parts = [bytesFor(5 * MiB, 'ps1'), bytesFor(4321, 'ps2')];
    const completed: CompletedPart[] = [];
    for (const [i, body] of parts.entries()) {
      const url = await getSignedUrl(
        s3,
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1 }),
        { expiresIn: 600 },
      );
      const r = await fetch(url, { method: 'PUT', body });
      expect(r.status, await r.clone().text()).toBe(200);
      expect(r.headers.get('etag')).toBe(`"${md5Hex(body)}"`);
      completed.push({ PartNumber: i + 1, ETag: r.headers.get('etag') ?? '' });
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
    );
    expect(done.ETag).toBe(expectedEtag(parts));
  });

  it('UploadPartCopy copies ranges of a source (and a whole source), with copy conditions and range errors', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-copy');
    await createBucket(s3, bucket);
    const source = bytesFor(10 * MiB + 5, 'copy-src');
    const src = await put(s3, bucket, 'src 😀', source);
    const small = bytesFor(5, 'copy-small');
    await put(s3, bucket, 'small', small);
    const key = 'dest';
    const uploadId = await startUpload(s3, bucket, key);
    const copy = (PartNumber: number, CopySourceRange?: string, extra = {}) =>
      s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber,
          CopySource: `${bucket}/${encodeURIComponent('src 😀')}`,
          CopySourceRange,
          ...extra,
        }),
      );
    const split = 5 * MiB;
    const p1 = await copy(1, `bytes=0-${split - 1}`);
    expect(p1.CopyPartResult?.ETag).toBe(`"${md5Hex(source.subarray(0, split))}"`);
    expect(p1.CopyPartResult?.LastModified).toBeInstanceOf(Date);
    const p2 = await copy(2, `bytes=${split}-${source.length - 1}`);
    const p3 = await s3.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: 3,
        CopySource: `${bucket}/small`,
      }),
    );
    expect(p3.CopyPartResult?.ETag).toBe(`"${md5Hex(small)}"`);

    await expectS3Error(copy(4, `bytes=0-${source.length}`), 'InvalidRange', 416);
    for (const bad of ['0-2', 'bytes=0', 'bytes=hello-world', 'bytes=0-bar', 'bytes=0-2,3-5', 'bytes=-5']) {
      await expectS3Error(copy(4, bad), 'InvalidArgument', 400);
    }
    await expectS3Error(copy(4, undefined, { CopySourceIfMatch: '"nope"' }), 'PreconditionFailed', 412);
    await expectS3Error(copy(4, undefined, { CopySourceIfNoneMatch: src.ETag }), 'PreconditionFailed', 412);
    await expectS3Error(
      s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: 4,
          CopySource: `${bucket}/missing`,
        }),
      ),
      'NoSuchKey',
      404,
    );

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.CopyPartResult?.ETag },
            { PartNumber: 2, ETag: p2.CopyPartResult?.ETag },
            { PartNumber: 3, ETag: p3.CopyPartResult?.ETag },
          ],
        },
      }),
    );
    const whole = Buffer.concat([source, small]);
    expect(done.ETag).toBe(expectedEtag([source.subarray(0, split), source.subarray(split), small]));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(sha256Hex(await bodyBytes(got.Body))).toBe(sha256Hex(whole));
  });

  it('CompleteMultipartUpload honours If-None-Match and If-Match atomically', async () => {
    const s3 = server().client();
    const bucket = uniqueBucketName('mp-cond');
    await createBucket(s3, bucket);
    const body = bytesFor(1000, 'cond');
    const attempt = async (cond: { IfNoneMatch?: string; IfMatch?: string }) => {
      const uploadId = await startUpload(s3, bucket, 'k');
      const completed = await uploadParts(s3, bucket, 'k', uploadId, [body]);
      return s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
          ...cond,
        }),
      );
    };
    await expectS3Error(attempt({ IfMatch: '*' }), 'NoSuchKey', 404);
    const first = await attempt({ IfNoneMatch: '*' });
    await expectS3Error(attempt({ IfNoneMatch: '*' }), 'PreconditionFailed', 412);
    await expectS3Error(
      attempt({ IfMatch: '"0123456789abcdef0123456789abcdef-1"' }),
      'PreconditionFailed',
      412,
    );
    const second = await attempt({ IfMatch: first.ETag as string });
    expect(second.ETag).toBe(first.ETag);
    // Failed completions leave their uploads open (as AWS): three remain.
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(listed.Uploads?.length).toBe(3);
  });
});
