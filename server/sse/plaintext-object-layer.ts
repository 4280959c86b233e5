import type { Readable } from 'node:stream';
import { SSE_METADATA } from '../../crypto/index.js';
import type {
  BucketConfigName,
  BucketInfo,
  CompleteMultipartOptions,
  DeleteObjectOptions,
  DeleteObjectResult,
  GetObjectOptions,
  GetObjectResult,
  ListMultipartUploadsOptions,
  ListMultipartUploadsResult,
  ListObjectsOptions,
  ListObjectsResult,
  ListObjectVersionsOptions,
  ListObjectVersionsResult,
  ListPartsResult,
  MultipartUploadInfo,
  ObjectInfo,
  ObjectLayer,
  ObjectMetadata,
  ObjectPartInfo,
  PartInfo,
  PutObjectOptions,
} from '../../storage/index.js';

/**
 * The ObjectLayer as handlers see it: sizes are plaintext sizes. storage/ stores an
 * encrypted object's sealed bytes and knows nothing of encryption (docs/ARCHITECTURE.md), so
 * its sizes are the sealed sizes; the plaintext size is recorded in the version's metadata
 * (x-strata-sse-size, crypto/encryption-metadata.ts), per part for multipart objects. This
 * wrapper puts those sizes into every ObjectInfo and PartInfo it returns, so listings,
 * HEAD, conditional reads, GetObjectAttributes and copies all report what S3 reports: the
 * plaintext size. Everything else passes through unchanged, including getObject's range,
 * which stays in stored (sealed) bytes: server/sse/decrypt-object.ts maps plaintext ranges.
 */
export class PlaintextObjectLayer implements ObjectLayer {
  private readonly inner: ObjectLayer;

  constructor(inner: ObjectLayer) {
    this.inner = inner;
  }

  makeBucket(bucket: string, opts: { location: string; objectLockEnabled?: boolean }): Promise<void> {
    return this.inner.makeBucket(bucket, opts);
  }
  setBucketVersioning(bucket: string, state: 'Enabled' | 'Suspended'): Promise<void> {
    return this.inner.setBucketVersioning(bucket, state);
  }
  getBucketConfig(bucket: string, name: BucketConfigName): Promise<string | undefined> {
    return this.inner.getBucketConfig(bucket, name);
  }
  putBucketConfig(bucket: string, name: BucketConfigName, value: string | undefined): Promise<void> {
    return this.inner.putBucketConfig(bucket, name, value);
  }
  getBucketInfo(bucket: string): Promise<BucketInfo> {
    return this.inner.getBucketInfo(bucket);
  }
  listBuckets(): Promise<BucketInfo[]> {
    return this.inner.listBuckets();
  }
  deleteBucket(bucket: string): Promise<void> {
    return this.inner.deleteBucket(bucket);
  }
  async putObject(bucket: string, key: string, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo> {
    const precondition = opts.precondition;
    return plainInfo(
      await this.inner.putObject(bucket, key, body, {
        ...opts,
        ...(precondition === undefined
          ? {}
          : {
              precondition: (current) => precondition(current === undefined ? undefined : plainInfo(current)),
            }),
      }),
    );
  }
  async getObjectInfo(
    bucket: string,
    key: string,
    opts?: { versionId?: string; allowDeleteMarker?: boolean },
  ): Promise<ObjectInfo> {
    return plainInfo(await this.inner.getObjectInfo(bucket, key, opts));
  }
  async getObject(bucket: string, key: string, opts: GetObjectOptions): Promise<GetObjectResult> {
    const result = await this.inner.getObject(bucket, key, opts);
    return { info: plainInfo(result.info), stream: result.stream };
  }
  async updateObjectMetadata(
    bucket: string,
    key: string,
    update: (current: ObjectInfo) => ObjectMetadata,
    opts?: { versionId?: string; touch?: boolean },
  ): Promise<ObjectInfo> {
    return plainInfo(
      await this.inner.updateObjectMetadata(bucket, key, (current) => update(plainInfo(current)), opts),
    );
  }
  async deleteObject(bucket: string, key: string, opts?: DeleteObjectOptions): Promise<DeleteObjectResult> {
    const check = opts?.check;
    return this.inner.deleteObject(
      bucket,
      key,
      check === undefined ? opts : { ...opts, check: (target) => check(plainInfo(target)) },
    );
  }
  async listObjects(bucket: string, opts: ListObjectsOptions): Promise<ListObjectsResult> {
    const result = await this.inner.listObjects(bucket, opts);
    return { ...result, objects: result.objects.map(plainInfo) };
  }
  async listObjectVersions(
    bucket: string,
    opts: ListObjectVersionsOptions,
  ): Promise<ListObjectVersionsResult> {
    const result = await this.inner.listObjectVersions(bucket, opts);
    return { ...result, versions: result.versions.map(plainInfo) };
  }
  createMultipartUpload(bucket: string, key: string, opts: { metadata: ObjectMetadata }): Promise<string> {
    return this.inner.createMultipartUpload(bucket, key, opts);
  }
  getMultipartUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUploadInfo> {
    return this.inner.getMultipartUpload(bucket, key, uploadId);
  }
  async putObjectPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    opts: Omit<PutObjectOptions, 'metadata' | 'precondition'>,
  ): Promise<PartInfo> {
    return plainPart(await this.inner.putObjectPart(bucket, key, uploadId, partNumber, body, opts));
  }
  async listParts(
    bucket: string,
    key: string,
    uploadId: string,
    opts: { partNumberMarker: number; maxParts: number },
  ): Promise<ListPartsResult> {
    const result = await this.inner.listParts(bucket, key, uploadId, opts);
    return { ...result, parts: result.parts.map(plainPart) };
  }
  listMultipartUploads(
    bucket: string,
    opts: ListMultipartUploadsOptions,
  ): Promise<ListMultipartUploadsResult> {
    return this.inner.listMultipartUploads(bucket, opts);
  }
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return this.inner.abortMultipartUpload(bucket, key, uploadId);
  }
  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    opts: CompleteMultipartOptions,
  ): Promise<ObjectInfo> {
    const precondition = opts.precondition;
    return plainInfo(
      await this.inner.completeMultipartUpload(bucket, key, uploadId, {
        ...opts,
        finalize: (parts) => opts.finalize(parts.map(plainPart)),
        ...(precondition === undefined
          ? {}
          : {
              precondition: (current) => precondition(current === undefined ? undefined : plainInfo(current)),
            }),
      }),
    );
  }
  isWritable(): Promise<boolean> {
    return this.inner.isWritable();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `info` with plaintext sizes (itself when the version is not encrypted). */
export function plainInfo(info: ObjectInfo): ObjectInfo {
  const size = recordedPlainSize(info.metadata);
  if (size === undefined) return info;
  return {
    ...info,
    sizeBytes: size,
    ...(info.parts === undefined ? {} : { parts: info.parts.map(plainPart) }),
  };
}

function plainPart<P extends ObjectPartInfo>(part: P): P {
  const size = recordedPlainSize(part.metadata);
  return size === undefined ? part : { ...part, sizeBytes: size };
}

/** The recorded plaintext size; a malformed value is left to decryption to refuse. */
function recordedPlainSize(metadata: ObjectMetadata): number | undefined {
  const value = metadata[SSE_METADATA.plainSize];
  if (value === undefined || !/^(0|[1-9]\d{0,15})$/.test(value)) return undefined;
  return Number(value);
}
