import type { ObjectInfo, PutObjectFinal } from '../../storage/index.js';
import { readBody } from '../body/index.js';
import { etagListMatches } from '../conditional.js';
import { metadataFromHeaders } from '../object-metadata.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { toS3Error } from '../storage-errors.js';
import { rejectUnsupportedWriteHeaders } from './unsupported-headers.js';

/** AWS's single-PUT limit. */
export const MAX_PUT_OBJECT_BYTES = 5 * 1024 ** 3;

/**
 * PutObject — https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 *
 * The body streams from the socket through readBody (signature / Content-MD5 /
 * x-amz-checksum-* verification) into ObjectLayer.putObject; nothing is buffered here.
 * The ETag is the hex MD5 computed in that same pass; verified checksums are stored
 * with the object and echoed in the response.
 * Deviations: If-None-Match: * and If-Match are checked just before the write, not
 * atomically with it; SSE, tagging, object lock and storage classes other than
 * STANDARD are NotImplemented / InvalidStorageClass for now.
 */
export async function putObject(ctx: S3Context): Promise<S3Response> {
  rejectUnsupportedWriteHeaders(ctx.headers);
  const metadata = metadataFromHeaders(ctx.headers);
  if (ctx.headers['content-length'] === undefined && ctx.headers['transfer-encoding'] === undefined) {
    throw new S3Error('MissingContentLength');
  }
  await checkWritePreconditions(ctx);

  const body = readBody(ctx.raw, ctx.headers, ctx.auth);
  if (body.declaredSizeBytes > MAX_PUT_OBJECT_BYTES) {
    body.stream.destroy();
    throw new S3Error('EntityTooLarge');
  }
  let checksums: Record<string, string> = {};
  let info: ObjectInfo;
  try {
    info = await ctx.objectLayer.putObject(ctx.bucket, ctx.key, body.stream, {
      sizeBytes: body.declaredSizeBytes,
      metadata,
      finalize: (): PutObjectFinal => {
        const final = body.finish();
        checksums = final.checksums;
        return { etag: final.md5Hex, metadata: final.checksums };
      },
      signal: ctx.signal,
    });
  } catch (err) {
    body.stream.destroy();
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  return { status: 200, headers: { etag: `"${info.etag}"`, ...checksums } };
}

/** Conditional writes (If-None-Match: * / If-Match), evaluated before the body is read. */
async function checkWritePreconditions(ctx: S3Context): Promise<void> {
  const ifNoneMatch = ctx.headers['if-none-match'];
  const ifMatch = ctx.headers['if-match'];
  if (ifNoneMatch === undefined && ifMatch === undefined) return;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw new S3Error('NotImplemented');
  let etag: string | undefined;
  try {
    etag = (await ctx.objectLayer.getObjectInfo(ctx.bucket, ctx.key)).etag;
  } catch (err) {
    const mapped = toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
    if (!(mapped instanceof S3Error && mapped.code === 'NoSuchKey')) throw mapped;
  }
  if (ifNoneMatch !== undefined && etag !== undefined) throw new S3Error('PreconditionFailed');
  if (ifMatch !== undefined) {
    if (etag === undefined) throw new S3Error('NoSuchKey', { extra: { Key: ctx.key } });
    if (!etagListMatches(ifMatch, etag)) throw new S3Error('PreconditionFailed');
  }
}
