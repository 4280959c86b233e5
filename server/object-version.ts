import type { ObjectInfo, ObjectMetadata } from '../storage/index.js';
import type { S3Context } from './s3-context.js';
import { deleteMarkerNotAllowed, objectReadError, parseVersionId } from './versioning.js';

/**
 * Reading and rewriting the one version an object sub-resource request names
 * (?tagging, ?retention, ?legal-hold, ?acl): the latest, or ?versionId=. A delete
 * marker is 405 MethodNotAllowed; a key whose latest version is a marker is 404
 * NoSuchKey with the marker headers (versioning.ts).
 */

export async function statVersion(ctx: S3Context): Promise<ObjectInfo> {
  const versionId = parseVersionId(ctx.query.get('versionId'));
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

/**
 * Rewrites the named version's metadata with `next` without touching its data or
 * Last-Modified. `next` runs under storage's key lock and may throw to refuse
 * (object lock checks).
 */
export async function updateVersionMetadata(
  ctx: S3Context,
  next: (current: ObjectInfo) => ObjectMetadata,
): Promise<ObjectInfo> {
  const versionId = parseVersionId(ctx.query.get('versionId'));
  try {
    return await ctx.objectLayer.updateObjectMetadata(
      ctx.bucket,
      ctx.key,
      (current) => {
        if (current.isDeleteMarker) throw deleteMarkerNotAllowed(current, ctx.method);
        return next(current);
      },
      versionId === undefined ? { touch: false } : { versionId, touch: false },
    );
  } catch (err) {
    throw objectReadError(err, { bucket: ctx.bucket, key: ctx.key }, ctx.method);
  }
}
