import type { ObjectInfo, PutObjectFinal } from '../../storage/index.js';
import { aclFromHeaders, aclMetadata } from '../acl.js';
import { readBody } from '../body/index.js';
import { writePrecondition } from '../conditional-write.js';
import { lockMetadataForNewVersion } from '../object-lock.js';
import { metadataFromHeaders } from '../object-metadata.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import { parseSseRequest, sealedBody } from '../sse/index.js';
import { toS3Error } from '../storage-errors.js';
import { taggingMetadataFromHeaders } from '../tagging.js';
import { writeVersionHeader } from '../versioning.js';
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
 * If-None-Match / If-Match are evaluated by storage under the key lock right before
 * the commit (conditional-write.ts): of concurrent creators exactly one wins.
 * x-amz-tagging (URL query encoded tags) and x-amz-object-lock-* (or the bucket's
 * default retention) are stored in the version's metadata (tagging.ts, object-lock.ts).
 * Server-side encryption (SSE-S3, SSE-KMS, SSE-C headers, else the bucket's default, else
 * the server's auto-encryption): the body is sealed on its way to storage (server/sse); the
 * ETag is the plaintext MD5 for SSE-S3 and a masked value for SSE-KMS and SSE-C, as AWS.
 * Deviation: storage classes other than STANDARD are InvalidStorageClass for now.
 */
export async function putObject(ctx: S3Context): Promise<S3Response> {
  rejectUnsupportedWriteHeaders(ctx.headers);
  const metadata = {
    ...metadataFromHeaders(ctx.headers),
    ...taggingMetadataFromHeaders(ctx.headers),
    ...aclMetadata(aclFromHeaders(ctx.headers)),
    ...(await lockMetadataForNewVersion(ctx.objectLayer, ctx.bucket, ctx.headers, { requireDigest: true })),
  };
  if (ctx.headers['content-length'] === undefined && ctx.headers['transfer-encoding'] === undefined) {
    throw new S3Error('MissingContentLength');
  }
  const precondition = writePrecondition(ctx.headers, ctx.key);
  const sealed = await sealedBody(ctx, parseSseRequest(ctx.headers), ctx);

  const body = readBody(ctx.raw, ctx.headers, ctx.auth);
  if (body.declaredSizeBytes > MAX_PUT_OBJECT_BYTES) {
    body.stream.destroy();
    throw new S3Error('EntityTooLarge');
  }
  const stored = sealed.wrap(body.stream, body.declaredSizeBytes);
  let checksums: Record<string, string> = {};
  let info: ObjectInfo;
  try {
    info = await ctx.objectLayer.putObject(ctx.bucket, ctx.key, stored.stream, {
      sizeBytes: stored.sizeBytes,
      metadata,
      finalize: (): PutObjectFinal => {
        const final = body.finish();
        checksums = final.checksums;
        return { etag: sealed.etag(final.md5Hex), metadata: { ...final.checksums, ...sealed.metadata() } };
      },
      signal: ctx.signal,
      ...(precondition === undefined ? {} : { precondition }),
    });
  } catch (err) {
    body.stream.destroy();
    stored.stream.destroy();
    throw toS3Error(err, { bucket: ctx.bucket, key: ctx.key });
  }
  return {
    status: 200,
    headers: { etag: `"${info.etag}"`, ...checksums, ...writeVersionHeader(info), ...sealed.responseHeaders },
  };
}
