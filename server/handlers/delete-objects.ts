import type { DeleteObjectResult } from '../../storage/index.js';
import { bypassGovernance, checkVersionDeletable } from '../object-lock.js';
import { hasIntegrityHeader } from '../request-integrity.js';
import { type S3Context, type S3Response, xmlResponse } from '../s3-context.js';
import { isS3Error, S3Error } from '../s3-errors.js';
import { readSmallBody } from '../small-body.js';
import { toS3Error } from '../storage-errors.js';
import { parseVersionId } from '../versioning.js';
import { childElement, childElements, parseXml, type XmlObject } from '../xml.js';

/** AWS's limit on keys per DeleteObjects request. */
export const MAX_DELETE_KEYS = 1000;
/** Deletes run with bounded parallelism: enough to overlap quorum round trips, not to flood the drives. */
const DELETE_CONCURRENCY = 8;
const MAX_KEY_BYTES = 1024;

/**
 * DeleteObjects — https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 *
 * The body must be integrity-protected: Content-MD5, or an x-amz-checksum-* header or
 * trailer (what current SDKs send instead), verified by readBody. Per-key failures are
 * reported in the result; Quiet mode lists only errors. Each entry deletes like
 * DeleteObject (VersionId, object lock with x-amz-bypass-governance-retention) and
 * reports DeleteMarker / DeleteMarkerVersionId when a marker was created or removed.
 */
export async function deleteObjects(ctx: S3Context): Promise<S3Response> {
  if (!hasIntegrityHeader(ctx.headers)) {
    throw new S3Error('InvalidRequest', { message: 'Missing required header for this request: Content-MD5' });
  }
  try {
    await ctx.objectLayer.getBucketInfo(ctx.bucket);
  } catch (err) {
    throw toS3Error(err, { bucket: ctx.bucket });
  }
  const { bytes } = await readSmallBody(ctx);
  if (bytes.length === 0) throw new S3Error('MissingRequestBodyError');
  const { quiet, objects } = parseDeleteRequest(bytes);

  const bypass = bypassGovernance(ctx.headers);
  const results: DeleteOutcome[] = new Array(objects.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < objects.length) {
      const i = next++;
      const obj = objects[i];
      if (obj === undefined) continue;
      results[i] = await deleteOne(ctx, obj.key, obj.versionId, bypass);
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, objects.length) }, worker));

  const deleted: XmlObject[] = [];
  const errors: XmlObject[] = [];
  for (const r of results) {
    if (r.ok) {
      if (!quiet) {
        const marker = r.result.isDeleteMarker;
        deleted.push({
          Key: r.key,
          VersionId: r.versionId,
          DeleteMarker: marker ? true : undefined,
          // The marker's id: the one removed (VersionId given) or the one created.
          DeleteMarkerVersionId: marker ? r.result.versionId : undefined,
        });
      }
    } else {
      errors.push({ Key: r.key, VersionId: r.versionId, Code: r.err.code, Message: r.err.message });
    }
  }
  return xmlResponse('DeleteResult', { Deleted: deleted, Error: errors });
}

type DeleteOutcome =
  | { ok: true; key: string; versionId?: string; result: DeleteObjectResult }
  | { ok: false; key: string; versionId?: string; err: S3Error };

async function deleteOne(
  ctx: S3Context,
  key: string,
  versionId: string | undefined,
  bypass: boolean,
): Promise<DeleteOutcome> {
  const base = versionId === undefined ? { key } : { key, versionId };
  try {
    parseVersionId(versionId ?? null, 'VersionId');
  } catch {
    return { ...base, ok: false, err: new S3Error('NoSuchVersion') };
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    return { ...base, ok: false, err: new S3Error('KeyTooLongError') };
  try {
    const result = await ctx.objectLayer.deleteObject(
      ctx.bucket,
      key,
      versionId === undefined
        ? {}
        : { versionId, check: (target) => checkVersionDeletable(target, bypass, Date.now()) },
    );
    return { ...base, ok: true, result };
  } catch (err) {
    const mapped = toS3Error(err, { bucket: ctx.bucket, key });
    if (isS3Error(mapped)) return { ...base, ok: false, err: mapped };
    ctx.log.error({ err, requestId: ctx.requestId }, 'DeleteObjects: internal error deleting one key');
    return { ...base, ok: false, err: new S3Error('InternalError') };
  }
}

/** Parses `<Delete><Quiet/><Object><Key/><VersionId/></Object>…</Delete>`; MalformedXML otherwise. */
export function parseDeleteRequest(bytes: Buffer): {
  quiet: boolean;
  objects: Array<{ key: string; versionId?: string }>;
} {
  const root = parseXml(bytes);
  if (root.name !== 'Delete') throw new S3Error('MalformedXML');
  const quietText = childElement(root, 'Quiet')?.text.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false')
    throw new S3Error('MalformedXML');
  const objects = childElements(root, 'Object').map((el) => {
    const key = childElement(el, 'Key');
    if (key === undefined) throw new S3Error('MalformedXML');
    const versionId = childElement(el, 'VersionId')?.text;
    return versionId === undefined ? { key: key.text } : { key: key.text, versionId };
  });
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML');
  return { quiet: quietText === 'true', objects };
}
