/** Small helpers over @aws-sdk/client-s3 used by the e2e and fault tests. */
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { bodyBytes, sha256OfBody } from './data.js';

export interface SdkErrorShape {
  name: string;
  status: number | undefined;
  requestId: string | undefined;
  message: string;
}

/** Awaits `p`, expects it to reject with an SDK service error, and returns its shape. */
export async function sdkError(p: Promise<unknown>): Promise<SdkErrorShape> {
  let result: unknown;
  try {
    result = await p;
  } catch (err) {
    const e = err as {
      name?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number; requestId?: string };
    };
    return {
      name: e.name ?? '',
      status: e.$metadata?.httpStatusCode,
      requestId: e.$metadata?.requestId,
      message: e.message ?? '',
    };
  }
  throw new Error(
    `expected the request to fail, but it succeeded: ${JSON.stringify(result, null, 1)?.slice(0, 500)}`,
  );
}

/** Expects an S3 error with this code (SDK error name) and HTTP status. */
export async function expectS3Error(
  p: Promise<unknown>,
  code: string,
  status: number,
): Promise<SdkErrorShape> {
  const e = await sdkError(p);
  expect({ name: e.name, status: e.status }, e.message).toEqual({ name: code, status });
  return e;
}

/** Expects a failure with this HTTP status (for bodiless responses such as HEAD). */
export async function expectStatus(p: Promise<unknown>, status: number): Promise<SdkErrorShape> {
  const e = await sdkError(p);
  expect(e.status, `${e.name}: ${e.message}`).toBe(status);
  return e;
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function put(
  client: S3Client,
  bucket: string,
  key: string,
  body: Buffer | string,
  extra: Partial<PutObjectCommandInput> = {},
) {
  return client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
}

export async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return bodyBytes(r.Body);
}

export async function getSha256(client: S3Client, bucket: string, key: string) {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256OfBody(r.Body);
}

/** Every key in the bucket (ListObjectsV2, all pages). */
export async function listAllKeys(client: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
        EncodingType: 'url',
      }),
    );
    for (const o of r.Contents ?? []) keys.push(decodeURIComponent((o.Key ?? '').replace(/\+/g, ' ')));
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys;
}
