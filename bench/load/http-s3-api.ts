/**
 * S3Api over plain node:http: one keep-alive agent with maxSockets = concurrency, SigV4 headers
 * from @smithy/signature-v4 (hashing with node:crypto) and UNSIGNED-PAYLOAD, so the client never
 * hashes a body; bodies are written as views of the shared pattern with explicit backpressure.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Agent, type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  encodeRfc3986,
  type ListPage,
  objectPath,
  type PatternBody,
  parseListObjectsV2,
  type S3Api,
  S3RequestError,
  type S3Target,
  type SseHeaders,
  type SseMode,
  sseHeaders,
  xmlElement,
} from './s3-api.js';

/** An idle socket (or a server that stops answering) fails the request after this long. */
const SOCKET_TIMEOUT_MS = 120_000;

/** The `Checksum` constructor SignatureV4 wants, on node:crypto (the default is pure JS). */
class NodeSha256 {
  private readonly secret: string | Uint8Array | undefined;
  private hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : toBytes(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text, unless it was streamed to `onChunk`. */
  text: string;
}

interface Call {
  operation: string;
  method: string;
  bucket: string;
  key?: string;
  query?: Record<string, string>;
  headers?: Readonly<Record<string, string>>;
  body?: PatternBody | Buffer;
  /** Receives the body of a 2xx answer instead of collecting it as text. */
  onChunk?: (chunk: Buffer) => void;
  /** Status codes that are not errors (default: 2xx). */
  accept?: readonly number[];
}

export class HttpS3Api implements S3Api {
  private readonly url: URL;
  private readonly agent: Agent;
  private readonly signer: SignatureV4;
  private readonly sse: SseHeaders;

  /** `sse`: the encryption headers added to writes (and, for SSE-C, to reads and parts). */
  constructor(target: S3Target, maxSockets: number, sse: SseMode = 'none') {
    this.sse = sseHeaders(sse);
    this.url = new URL(target.endpoint);
    if (this.url.protocol !== 'http:')
      throw new Error(`only http:// endpoints are supported: ${target.endpoint}`);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
    this.signer = new SignatureV4({
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      region: target.region,
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
    });
  }

  async bucketExists(bucket: string): Promise<boolean> {
    const answer = await this.call({ operation: 'HeadBucket', method: 'HEAD', bucket, accept: [200, 404] });
    return answer.status === 200;
  }

  async createBucket(bucket: string): Promise<void> {
    await this.call({ operation: 'CreateBucket', method: 'PUT', bucket });
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.call({ operation: 'DeleteBucket', method: 'DELETE', bucket });
  }

  async putObject(bucket: string, key: string, body: PatternBody): Promise<void> {
    await this.call({ operation: 'PutObject', method: 'PUT', bucket, key, body, headers: this.sse.write });
  }

  async getObject(bucket: string, key: string, onChunk: (chunk: Buffer) => void): Promise<number> {
    let bytes = 0;
    await this.call({
      operation: 'GetObject',
      method: 'GET',
      bucket,
      key,
      headers: this.sse.read,
      onChunk: (chunk) => {
        bytes += chunk.length;
        onChunk(chunk);
      },
    });
    return bytes;
  }

  async headObject(bucket: string, key: string): Promise<number> {
    const answer = await this.call({
      operation: 'HeadObject',
      method: 'HEAD',
      bucket,
      key,
      headers: this.sse.read,
    });
    return Number(answer.headers['content-length']);
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.call({ operation: 'DeleteObject', method: 'DELETE', bucket, key, accept: [200, 204, 404] });
  }

  async listObjectsV2(
    bucket: string,
    prefix: string,
    continuationToken?: string,
    maxKeys?: number,
  ): Promise<ListPage> {
    const query: Record<string, string> = { 'list-type': '2', prefix };
    if (continuationToken !== undefined) query['continuation-token'] = continuationToken;
    if (maxKeys !== undefined) query['max-keys'] = String(maxKeys);
    const answer = await this.call({ operation: 'ListObjectsV2', method: 'GET', bucket, query });
    return parseListObjectsV2(answer.text);
  }

  async createMultipartUpload(bucket: string, key: string): Promise<string> {
    const answer = await this.call({
      operation: 'CreateMultipartUpload',
      method: 'POST',
      bucket,
      key,
      query: { uploads: '' },
      headers: this.sse.write,
    });
    const uploadId = xmlElement(answer.text, 'UploadId');
    if (!uploadId) throw new Error('CreateMultipartUpload: no UploadId in the answer');
    return uploadId;
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: PatternBody,
  ): Promise<string> {
    const answer = await this.call({
      operation: 'UploadPart',
      method: 'PUT',
      bucket,
      key,
      query: { partNumber: String(partNumber), uploadId },
      body,
      headers: this.sse.read,
    });
    const etag = answer.headers.etag;
    if (!etag) throw new Error('UploadPart: no ETag in the answer');
    return etag;
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    const xml = `<CompleteMultipartUpload>${parts
      .map(
        (p) =>
          `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag.replace(/&/g, '&amp;')}</ETag></Part>`,
      )
      .join('')}</CompleteMultipartUpload>`;
    const answer = await this.call({
      operation: 'CompleteMultipartUpload',
      method: 'POST',
      bucket,
      key,
      query: { uploadId },
      body: Buffer.from(xml),
      headers: { 'content-type': 'application/xml' },
    });
    // S3 may answer 200 and then report a failure in the body.
    if (answer.text.includes('<Error>')) {
      throw new S3RequestError(
        'CompleteMultipartUpload',
        answer.status,
        xmlElement(answer.text, 'Code') ?? '',
      );
    }
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.call({
      operation: 'AbortMultipartUpload',
      method: 'DELETE',
      bucket,
      key,
      query: { uploadId },
      accept: [204, 404],
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private async call(call: Call): Promise<Answer> {
    const path = objectPath(call.bucket, call.key);
    const query = call.query ?? {};
    const contentLength = call.body === undefined ? undefined : bodyLength(call.body);
    const headers: Record<string, string> = {
      host: this.url.host,
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      ...call.headers,
    };
    if (contentLength !== undefined) headers['content-length'] = String(contentLength);
    const signed = await this.signer.sign(
      new HttpRequest({
        method: call.method,
        protocol: 'http:',
        hostname: this.url.hostname,
        port: Number(this.url.port),
        path,
        query,
        headers,
      }),
    );
    const queryString = Object.entries(query)
      .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
      .join('&');
    return new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method: call.method,
          path: queryString ? `${path}?${queryString}` : path,
          headers: signed.headers,
        },
        (res) => this.receive(call, res, resolve, reject),
      );
      req.setTimeout(SOCKET_TIMEOUT_MS, () =>
        req.destroy(new Error(`${call.operation}: no answer for ${SOCKET_TIMEOUT_MS} ms`)),
      );
      req.on('error', (err) => reject(new Error(`${call.operation}: ${err.message}`, { cause: err })));
      if (call.body === undefined) req.end();
      else if (Buffer.isBuffer(call.body)) req.end(call.body);
      else writeChunks(req, call.body.chunks()).catch((err: unknown) => req.destroy(err as Error));
    });
  }

  private receive(
    call: Call,
    res: IncomingMessage,
    resolve: (a: Answer) => void,
    reject: (e: Error) => void,
  ): void {
    const status = res.statusCode ?? 0;
    const accepted = call.accept ? call.accept.includes(status) : status >= 200 && status < 300;
    const parts: Buffer[] = [];
    if (accepted && call.onChunk && status >= 200 && status < 300) res.on('data', call.onChunk);
    else res.on('data', (chunk: Buffer) => parts.push(chunk));
    res.on('error', (err) => reject(new Error(`${call.operation}: ${err.message}`, { cause: err })));
    res.on('close', () => {
      if (!res.complete) reject(new Error(`${call.operation}: the answer was cut off`));
    });
    res.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      if (accepted) resolve({ status, headers: res.headers, text });
      else reject(new S3RequestError(call.operation, status, xmlElement(text, 'Code') ?? ''));
    });
  }
}

function bodyLength(body: PatternBody | Buffer): number {
  return Buffer.isBuffer(body) ? body.length : body.sizeBytes;
}

/** Writes `chunks` honouring backpressure; stops early when the request is destroyed. */
async function writeChunks(req: import('node:http').ClientRequest, chunks: Iterable<Buffer>): Promise<void> {
  for (const chunk of chunks) {
    if (req.destroyed) return;
    if (!req.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          req.off('drain', done);
          req.off('close', done);
          resolve();
        };
        req.on('drain', done);
        req.on('close', done);
      });
    }
  }
  if (!req.destroyed) req.end();
}
