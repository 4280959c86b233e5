import type { GetObjectResult, ObjectInfo } from '../../storage/index.js';
import { evaluatePreconditions } from '../conditional.js';
import { withResponseHeaders } from '../error-response.js';
import { locatePart } from '../multipart-part-range.js';
import { lockResponseHeaders } from '../object-lock.js';
import { checksumEntries, objectResponseHeaders } from '../object-metadata.js';
import { contentRange, resolveRange } from '../range.js';
import type { S3Context, S3Response } from '../s3-context.js';
import { S3Error } from '../s3-errors.js';
import {
  parseReadCustomerKey,
  readDecrypted,
  sseResponseHeaders,
  storedEncryption,
  unsealForRead,
} from '../sse/index.js';
import { tagCountHeader } from '../tagging.js';
import { deleteMarkerNotAllowed, objectReadError, parseVersionId, readVersionHeader } from '../versioning.js';

/** The request headers of a conditional GET (conditional.ts). */
const CONDITIONAL_HEADERS = [
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
] as const;

/** How often GetObject re-reads when the object is replaced between stat and open. */
const MAX_OPEN_ATTEMPTS = 3;

/**
 * GetObject — https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 *
 * One Range per request (several ranges: the whole object, as AWS); conditional
 * headers in RFC 9110 order (see conditional.ts); response-* overrides; checksum
 * headers only with x-amz-checksum-mode: ENABLED on whole-object reads.
 * partNumber: see multipart-part-range.ts (a part of a multipart object is a 206 with
 * x-amz-mp-parts-count; partNumber=1 of a single-part object is the whole object).
 * Encrypted objects (server/sse): sizes and ranges are plaintext; an SSE-C object needs its
 * customer key (checked before anything is read, on HEAD too); only the 64 KiB packages a
 * range touches are read and decrypted, and data that fails authentication is never sent.
 */
export async function getObject(ctx: S3Context): Promise<S3Response> {
  return readObject(ctx, true);
}

/** Shared by GetObject and HeadObject (HeadObject sends the same headers, no body). */
export async function readObject(ctx: S3Context, withBody: boolean): Promise<S3Response> {
  const versionId = parseVersionId(ctx.query.get('versionId'));
  const partNumber = parsePartNumber(ctx.query.get('partNumber'));
  const rangeHeader = typeof ctx.headers.range === 'string' ? ctx.headers.range : undefined;
  if (partNumber !== undefined && rangeHeader !== undefined) {
    throw new S3Error('InvalidRequest', {
      message: 'Cannot specify both Range header and partNumber query parameter',
    });
  }
  const customerKey = parseReadCustomerKey(ctx.headers);
  // An unconditional whole-object GET of the latest version opens the object first and
  // takes its headers from the version it opened: one metadata read instead of two (stat,
  // then open), a large part of a small object's GET (bench/README.md, "Small objects").
  // A conditional GET stats first: it often ends in 304 without a body.
  const openFirst =
    withBody &&
    versionId === undefined &&
    rangeHeader === undefined &&
    partNumber === undefined &&
    customerKey === undefined &&
    CONDITIONAL_HEADERS.every((name) => ctx.headers[name] === undefined);

  for (let attempt = 1; ; attempt++) {
    const opened = openFirst ? await openLatest(ctx) : undefined;
    // The opened stream goes out with the response, or is destroyed on every other exit.
    let handedOver = false;
    try {
      const info = opened?.info ?? (await stat(ctx, versionId));
      const part =
        partNumber === undefined
          ? undefined
          : locatePart(info, partNumber, header(ctx, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED');
      // After the part check, as S3: a missing part is InvalidPart even without the SSE-C key.
      const encryption = await storedEncryption(ctx, info, { bucket: ctx.bucket, key: ctx.key }, customerKey);
      const headers = {
        ...objectResponseHeaders(info, ctx.query),
        ...lockResponseHeaders(info.metadata),
        ...tagCountHeader(info.metadata),
        ...sseResponseHeaders(encryption?.description),
        ...(await readVersionHeader(ctx.objectLayer, ctx.bucket, info)),
      };
      const outcome = evaluatePreconditions(
        {
          ifMatch: header(ctx, 'if-match'),
          ifNoneMatch: header(ctx, 'if-none-match'),
          ifModifiedSince: header(ctx, 'if-modified-since'),
          ifUnmodifiedSince: header(ctx, 'if-unmodified-since'),
        },
        info,
      );
      if (outcome === 'precondition-failed') throw new S3Error('PreconditionFailed');
      if (outcome === 'not-modified') {
        return {
          status: 304,
          headers: { etag: headers.etag ?? '', 'last-modified': headers['last-modified'] ?? '' },
        };
      }

      const range = part?.range ?? resolveRange(rangeHeader, info.sizeBytes);
      if (range.kind === 'unsatisfiable') {
        throw withResponseHeaders(
          new S3Error('InvalidRange', {
            extra: { RangeRequested: rangeHeader ?? '', ActualObjectSize: String(info.sizeBytes) },
          }),
          { 'content-range': `bytes */${info.sizeBytes}` },
        );
      }
      const partial = range.kind === 'partial';
      const status = partial ? 206 : 200;
      const responseHeaders: Record<string, string | number> = {
        ...headers,
        'content-length': partial ? range.end - range.start + 1 : info.sizeBytes,
      };
      if (partial) responseHeaders['content-range'] = contentRange(range.start, range.end, info.sizeBytes);
      if (!partial && header(ctx, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
        for (const [name, value] of checksumEntries(info.metadata)) responseHeaders[name] = value;
      }
      if (part !== undefined) Object.assign(responseHeaders, part.headers);
      if (!withBody) return { status, headers: responseHeaders };

      if (opened !== undefined && encryption === undefined) {
        handedOver = true;
        return { status, headers: responseHeaders, body: opened.stream };
      }
      const plainRange = partial ? { start: range.start, end: range.end } : undefined;
      let result: GetObjectResult;
      try {
        if (encryption === undefined) {
          result = await ctx.objectLayer.getObject(ctx.bucket, ctx.key, {
            ...(plainRange === undefined ? {} : { range: plainRange }),
            ...(versionId === undefined ? {} : { versionId }),
          });
        } else {
          const objectKey = await unsealForRead(ctx.sse, encryption);
          // The version just described, exactly: its key opens only its packages.
          result = await readDecrypted(
            ctx.objectLayer,
            encryption,
            objectKey,
            info,
            plainRange,
            info.versionId,
            ctx.log,
            ctx.sse.plaintextBuffers,
          );
        }
      } catch (err) {
        throw objectReadError(err, { bucket: ctx.bucket, key: ctx.key }, ctx.method);
      }
      // The object may have been replaced between stat and open: headers and range
      // would then describe another version. Retry with the new one.
      if (result.info.etag !== info.etag || result.info.sizeBytes !== info.sizeBytes) {
        result.stream.destroy();
        if (attempt >= MAX_OPEN_ATTEMPTS) throw new S3Error('ServiceUnavailable');
        continue;
      }
      return { status, headers: responseHeaders, body: result.stream };
    } finally {
      if (!handedOver) opened?.stream.destroy();
    }
  }
}

/** Opens the latest version (errors as stat's: a delete marker is NoSuchKey with its headers). */
async function openLatest(ctx: S3Context): Promise<GetObjectResult> {
  try {
    return await ctx.objectLayer.getObject(ctx.bucket, ctx.key, {});
  } catch (err) {
    throw objectReadError(err, { bucket: ctx.bucket, key: ctx.key }, ctx.method);
  }
}

async function stat(ctx: S3Context, versionId: string | undefined): Promise<ObjectInfo> {
  let info: ObjectInfo;
  try {
    info = await ctx.objectLayer.getObjectInfo(
      ctx.bucket,
      ctx.key,
      versionId === undefined ? {} : { versionId, allowDeleteMarker: true },
    );
  } catch (err) {
    throw objectReadError(err, { bucket: ctx.bucket, key: ctx.key }, ctx.method);
  }
  if (info.isDeleteMarker) throw deleteMarkerNotAllowed(info, ctx.method);
  return info;
}

function header(ctx: S3Context, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parsePartNumber(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000) {
    throw new S3Error('InvalidArgument', {
      message: 'Part number must be an integer between 1 and 10000, inclusive',
      extra: { ArgumentName: 'partNumber', ArgumentValue: value },
    });
  }
  return Number(value);
}
