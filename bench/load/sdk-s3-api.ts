/**
 * S3Api over @aws-sdk/client-s3, to compare its client-side cost with HttpS3Api (`--client sdk`).
 * Same transport settings: one keep-alive agent with maxSockets = concurrency; checksums only
 * when an operation requires them (the default CRC32 of every body is computed in JavaScript
 * and would make the client the bottleneck); streamed bodies are sent UNSIGNED-PAYLOAD.
 */
import { Agent } from 'node:http';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  BENCH_SSE_C_KEY,
  type ListPage,
  type PatternBody,
  type S3Api,
  S3RequestError,
  type S3Target,
  type SseMode,
} from './s3-api.js';

/** The SDK's input fields of one SSE mode: for writes, and (SSE-C only) for reads and parts. */
function sseParams(mode: SseMode): { write: SseParams; read: SseParams } {
  switch (mode) {
    case 'none':
      return { write: {}, read: {} };
    case 's3':
      return { write: { ServerSideEncryption: 'AES256' }, read: {} };
    case 'kms':
      return { write: { ServerSideEncryption: 'aws:kms' }, read: {} };
    case 'c': {
      // A base64 string of 32 bytes is sent as it is; the SDK adds the key's MD5.
      const customer = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: BENCH_SSE_C_KEY.toString('base64') };
      return { write: customer, read: customer };
    }
  }
}

interface SseParams {
  ServerSideEncryption?: 'AES256' | 'aws:kms';
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
}

export class SdkS3Api implements S3Api {
  private readonly client: S3Client;
  private readonly agent: Agent;
  private readonly sse: { write: SseParams; read: SseParams };

  constructor(target: S3Target, maxSockets: number, sse: SseMode = 'none') {
    this.sse = sseParams(sse);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
    this.client = new S3Client({
      endpoint: target.endpoint,
      region: target.region,
      forcePathStyle: true,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      requestHandler: { httpAgent: this.agent, requestTimeout: 120_000 },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
    });
  }

  async bucketExists(bucket: string): Promise<boolean> {
    try {
      await this.call('HeadBucket', () => this.client.send(new HeadBucketCommand({ Bucket: bucket })));
      return true;
    } catch (err) {
      if (err instanceof S3RequestError && err.status === 404) return false;
      throw err;
    }
  }

  async createBucket(bucket: string): Promise<void> {
    await this.call('CreateBucket', () => this.client.send(new CreateBucketCommand({ Bucket: bucket })));
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.call('DeleteBucket', () => this.client.send(new DeleteBucketCommand({ Bucket: bucket })));
  }

  async putObject(bucket: string, key: string, body: PatternBody): Promise<void> {
    await this.call('PutObject', () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: Readable.from(body.chunks(), { objectMode: false }),
          ContentLength: body.sizeBytes,
          ...this.sse.write,
        }),
      ),
    );
  }

  async getObject(bucket: string, key: string, onChunk: (chunk: Buffer) => void): Promise<number> {
    const answer = await this.call('GetObject', () =>
      this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...this.sse.read })),
    );
    let bytes = 0;
    for await (const chunk of answer.Body as Readable) {
      bytes += (chunk as Buffer).length;
      onChunk(chunk as Buffer);
    }
    return bytes;
  }

  async headObject(bucket: string, key: string): Promise<number> {
    const answer = await this.call('HeadObject', () =>
      this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...this.sse.read })),
    );
    return answer.ContentLength ?? Number.NaN;
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.call('DeleteObject', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
    );
  }

  async listObjectsV2(
    bucket: string,
    prefix: string,
    continuationToken?: string,
    maxKeys?: number,
  ): Promise<ListPage> {
    const answer = await this.call('ListObjectsV2', () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ContinuationToken: continuationToken,
          MaxKeys: maxKeys,
        }),
      ),
    );
    return {
      keys: (answer.Contents ?? []).map((c) => c.Key ?? ''),
      next: answer.IsTruncated ? answer.NextContinuationToken : undefined,
    };
  }

  async createMultipartUpload(bucket: string, key: string): Promise<string> {
    const answer = await this.call('CreateMultipartUpload', () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...this.sse.write })),
    );
    if (!answer.UploadId) throw new Error('CreateMultipartUpload: no UploadId in the answer');
    return answer.UploadId;
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: PatternBody,
  ): Promise<string> {
    const answer = await this.call('UploadPart', () =>
      this.client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: Readable.from(body.chunks(), { objectMode: false }),
          ContentLength: body.sizeBytes,
          ...this.sse.read,
        }),
      ),
    );
    if (!answer.ETag) throw new Error('UploadPart: no ETag in the answer');
    return answer.ETag;
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    await this.call('CompleteMultipartUpload', () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      ),
    );
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.call('AbortMultipartUpload', () =>
      this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
    );
  }

  close(): void {
    this.client.destroy();
    this.agent.destroy();
  }

  /** Runs one client call and maps its failure onto S3RequestError. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof S3ServiceException) {
        throw new S3RequestError(operation, err.$metadata.httpStatusCode ?? 0, err.name, { cause: err });
      }
      throw new Error(`${operation}: ${(err as Error).message}`, { cause: err });
    }
  }
}
